"""The program language: canonical text, round trips, clear errors."""

from __future__ import annotations

import pytest

from rationalize.dialogue.grammar import OPERATIONS, Filter, GrammarError, Program, parse_program


@pytest.mark.parametrize("text", [
    "filter id 54 and attribute topk 3 method integrated-gradients",
    "filter gold NEG and filter length <= 300 and mistakes sample 3",
    'filter id negR_800.txt and whatif text "a fine film"',
    "whatif replace bad good", "compare methods attention,occlusion", "score metric f1 split val perclass",
    "filter contains \"special effects\" and keywords topk 3 least",
])
def test_round_trip(text):
    p = parse_program(text)
    assert parse_program(p.to_text()).to_text() == p.to_text()
    assert p.to_text() == text or sorted(p.to_text().split(" and ")) == sorted(text.split(" and "))


def test_canonical_drops_defaults_and_orders_filters():
    a = parse_program("filter incorrect and filter id 5 and attribute topk 5 unit word")
    b = Program("attribute", {}, [Filter("id", "5"), Filter("incorrect")])
    assert a.to_text() == b.to_text() == "filter id 5 and filter incorrect and attribute"
    assert a.arg("topk") == 5 and a.arg("method") is None


def test_every_operation_example_parses():
    for spec in OPERATIONS.values():
        assert parse_program(spec.example).operation == spec.name


@pytest.mark.parametrize("text, words", [
    ("filter id 5", "no operation"), ("predict and show", "two operations"), ("filter colour red and show", "filter needs"),
    ("attribute topk many", "positive number"), ("score metric speed", "must be one of"), ("explain id 5", "unknown clause"),
    ("filter length about 5 and show", "comparison"), ('show "open', "close every quote"), ("show and", "empty clause"),
])
def test_errors_say_what_is_wrong(text, words):
    with pytest.raises(GrammarError, match=words):
        parse_program(text)

"""The fresh held-out test set (benchmarks/data/dialogue_questions_fresh.jsonl) is valid and never trained on.

The parser's intent classifier learns from the packaged question set and its cue lists are hand-written
regular expressions; a fresh question found word for word in either would make the fresh score a training
score. These tests fail if that ever happens (e.g. someone copies fresh questions into questions.jsonl).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rationalize.dialogue.grammar import FILTERS, OPERATIONS, parse_program
from rationalize.dialogue.parser import CUES, TRAIN_SPLITS, Parser, load_questions

FRESH = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "dialogue_questions_fresh.jsonl"


def _norm(question: str) -> str:
    return " ".join(re.findall(r"[a-z0-9_]+", question.lower()))


def leaks(fresh: list[str], training: list[str], cues: dict[str, str]) -> list[str]:
    """The fresh questions that are a training question (without case and punctuation) or a literal of a cue."""
    seen = {_norm(q) for q in training}
    text = " ".join(cues.values()).lower()
    return [q for q in fresh if _norm(q) in seen
            or re.search(rf"(?<![a-z]){re.escape(q.lower().strip('?!. '))}(?![a-z])", text)]


@pytest.fixture(scope="module")
def fresh_rows():
    return [json.loads(line) for line in FRESH.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_fresh_set_covers_the_grammar_with_valid_gold_programs(fresh_rows):
    assert len(fresh_rows) >= 150 and {r["split"] for r in fresh_rows} == {"fresh"}
    ops, kinds = set(), set()
    for r in fresh_rows:
        for field in ("parse", "context"):
            if r[field]:
                p = parse_program(r[field])
                assert p.to_text() == r[field], r  # canonical, as the benchmark compares
                assert all(f.value in r["labels"] for f in p.filters if f.kind in ("gold", "pred")), r
        if r["parse"]:
            p = parse_program(r["parse"])
            ops.add(p.operation)
            kinds |= {f.kind for f in p.filters}
    assert ops == set(OPERATIONS) and kinds == set(FILTERS)
    assert {r["style"] for r in fresh_rows} == {"terse", "polite", "casual", "misspelt", "verbose"}
    assert any(r["context"] for r in fresh_rows) and any(not r["parse"] for r in fresh_rows)
    assert {r["dataset"] for r in fresh_rows} == {"movies", "esnli", "fever"}


def test_no_fresh_question_in_the_training_data_or_the_cues(fresh_rows, tfidf_parser):
    fresh = [r["question"] for r in fresh_rows]
    assert "fresh" not in {r["split"] for r in load_questions()}
    assert leaks(fresh, [r["question"] for r in load_questions()], CUES) == []
    # what the shipped parser's classifier actually learnt from (the default training splits)
    assert tfidf_parser.classifier.train_texts_ == [r["question"] for r in load_questions(split=TRAIN_SPLITS)]
    assert leaks(fresh, tfidf_parser.classifier.train_texts_, CUES) == []


def test_the_leak_check_finds_a_planted_leak(fresh_rows):
    q = fresh_rows[0]["question"]
    assert leaks([q], ["unrelated", q.upper() + "!"], {}) == [q]
    assert leaks(["why?"], [], {"attribute": r"\b(?:why|how)\b"}) == ["why?"]
    assert leaks([q], ["unrelated"], {"show": r"\bshow\b"}) == []


def test_a_parser_trained_on_given_questions_learns_only_those():
    rows = load_questions(split="train")[:40]
    assert Parser.train(["NEG", "POS"], encoder=None, questions=rows).classifier.train_texts_ == [r["question"] for r in rows]

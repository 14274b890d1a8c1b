"""Label parsing: every format and style round-trips, and bad outputs are reported, never guessed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rationalize.data.schema import Dataset, Document, Example
from rationalize.rationalizers.freetext import PromptTemplate, match_label, parse_output, task_for
from rationalize.rationalizers.freetext.templates import NLI

NLI_LABELS = ["contradiction", "entailment", "neutral"]


@pytest.mark.parametrize("fmt", ["explain-then-predict", "predict-then-explain"])
@pytest.mark.parametrize("style", ["wt5", "cot"])
@settings(max_examples=40, deadline=None)
@given(label=st.sampled_from(NLI_LABELS),
       words=st.lists(st.sampled_from(["a", "man", "is", "outside", "the", "dog", "sleeps", "two"]), min_size=1, max_size=12))
def test_target_round_trips(fmt, style, label, words):
    t = PromptTemplate(NLI, fmt, style)
    expl = " ".join(words)
    p = t.parse(t.target(label, expl), NLI_LABELS)
    assert p.ok and p.label == label
    assert p.explanation.rstrip(".") == expl


@pytest.mark.parametrize("text, label, status", [
    ("explanation: a man is a person answer: entailment", "entailment", "ok"),
    ("explanation : a man is a person answer : entailment", "entailment", "ok"),   # word-level tokenizers
    ("A man is a person. So the answer is: Entailment.", "entailment", "ok"),     # case, colon, full stop
    ("A man is a person. The answer is entails", "entailment", "ok"),             # alias
    ("A man is a person. So the answer is entailment.\nExplanation: blah answer: neutral", "entailment", "ok"),
    ("A man is a person, so it is entailment.", None, "unparseable"),            # no answer marker: not guessed
    ("explanation: x answer:", None, "unparseable"),                              # empty answer
    ("explanation: x answer: maybe", None, "unparseable"),                        # no label
    ("explanation: x answer: entailment or neutral", None, "ambiguous"),          # two labels
    ("explanation: x answer: not entailment", None, "unparseable"),               # negated
    ("explanation: x answer: it isn't entailment", None, "unparseable"),
    ("explanation: x answer: entailments", None, "unparseable"),                  # whole words only
])
def test_explain_then_predict_edge_cases(text, label, status):
    p = parse_output(text, NLI_LABELS, "explain-then-predict", aliases=NLI.aliases)
    assert (p.label, p.status) == (label, status)
    assert (p.reason is None) == (status == "ok")


@pytest.mark.parametrize("text, label, status, expl", [
    ("entailment explanation: a man is a person", "entailment", "ok", "a man is a person"),
    (" Neutral. Explanation: we do not know", "neutral", "ok", "we do not know"),
    ("Answer: contradiction. Explanation: cats are not dogs", "contradiction", "ok", "cats are not dogs"),
    ("contradiction", "contradiction", "ok", ""),                   # label only: parsed, no explanation
    ("entailment neutral explanation: hmm", None, "ambiguous", "hmm"),
    ("explanation: only an explanation", None, "unparseable", "only an explanation"),
    ("", None, "unparseable", ""),
    # no explanation marker: one label on the first line, the free text is the explanation
    ("The premise is a contradiction, as it contradicts the hypothesis.", "contradiction", "ok",
     "The premise is a contradiction, as it contradicts the hypothesis."),
    ('The premise is a contradiction, and the answer is "neutral."', None, "ambiguous",
     'The premise is a contradiction, and the answer is "neutral."'),
])
def test_predict_then_explain_edge_cases(text, label, status, expl):
    p = parse_output(text, NLI_LABELS, "predict-then-explain", aliases=NLI.aliases)
    assert (p.label, p.status, p.explanation) == (label, status, expl)


def test_nested_choice_prefers_longer_match_and_distinct_choices_are_ambiguous():
    choices = ["store", "department store", "bank"]
    assert match_label("the department store", choices)[:2] == ("department store", "ok")
    assert match_label("store", choices)[:2] == ("store", "ok")
    assert match_label("bank or store", choices)[:2] == (None, "ambiguous")
    with pytest.raises(ValueError):
        match_label("x", [])
    with pytest.raises(ValueError):
        parse_output("x", choices, "sideways")


def test_cose_style_example_maps_letter_label_to_choice_text():
    doc = Document.from_text("q1", "Where do you keep money ?\n")
    ex = Example("q1", ["q1"], "B", "store [sep] bank [sep] shoe",
                 explanations=["banks keep money"], metadata={"choices": {"A": "store", "B": "bank", "C": "shoe"}})
    ds = Dataset("cose", {"val": [ex]}, {"q1": doc}, ["A", "B", "C"])
    t = PromptTemplate(task_for(ds), "explain-then-predict", "cot")
    assert t.task.gold(ex, ds) == "bank"
    assert t.task.candidates(ex, ds) == ["store", "bank", "shoe"]
    prompt = t.prompt(ex, ds)
    assert "Question: Where do you keep money ?" in prompt and "store, bank, shoe" in prompt
    assert t.parse(" Money is in banks. So the answer is bank.", t.task.candidates(ex, ds)).label == "bank"

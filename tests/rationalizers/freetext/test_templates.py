"""Prompt templates for e-SNLI, CoS-E and ERASER tasks (in-memory datasets shaped like our loaders')."""

from __future__ import annotations

import pytest

from rationalize.data.schema import Dataset, Document, Example
from rationalize.rationalizers.freetext import PromptTemplate, task_for
from rationalize.rationalizers.freetext.templates import DocumentTask, MultipleChoiceTask, NLITask


def esnli_like() -> Dataset:
    """Two documents per example, premise then hypothesis, as the e-SNLI loader stores them."""
    docs = {"val_1_premise": Document.from_text("val_1_premise", "Two women are hugging .\n"),
            "val_1_hypothesis": Document.from_text("val_1_hypothesis", "Two people hug .\n")}
    ex = Example("val_1", ["val_1_premise", "val_1_hypothesis"], "entailment",
                 explanations=["women are people", "hugging is hug"])
    return Dataset("esnli", {"val": [ex]}, docs, ["contradiction", "entailment", "neutral"])


def test_task_choice_by_dataset_name():
    ds = esnli_like()
    assert isinstance(task_for(ds), NLITask)
    assert isinstance(task_for(Dataset("cos-e", {}, {}, [])), MultipleChoiceTask)
    assert isinstance(task_for(Dataset("movies", {}, {}, ["NEG", "POS"])), DocumentTask)


def test_esnli_prompts_in_both_styles_and_formats():
    ds = esnli_like()
    ex = ds["val"][0]
    wt5 = PromptTemplate(task_for(ds), "predict-then-explain", "wt5")
    assert wt5.prompt(ex, ds) == "explain nli premise: Two women are hugging . hypothesis: Two people hug . output:"
    assert wt5.target("entailment", "women are people") == " entailment explanation: women are people"
    assert wt5.prompt(ex, ds, hint="entailment").endswith("hint: entailment output:")
    cot = PromptTemplate(task_for(ds), "explain-then-predict", "cot")
    p = cot.prompt(ex, ds)
    assert p.startswith("Premise: Two women are hugging .\nHypothesis: Two people hug .\n")
    assert "contradiction, entailment, neutral" in p and p.endswith("Let's think step by step.")
    assert cot.target("entailment", "Women are people.") == " Women are people. So the answer is entailment."
    assert cot.answer_prefix("Women are people") == " Women are people. So the answer is"
    with pytest.raises(ValueError):
        wt5.answer_prefix("x")
    with pytest.raises(ValueError):
        PromptTemplate(task_for(ds), "explain-later", "wt5")


def test_eraser_task_uses_query_and_truncated_document():
    doc = Document.from_text("d1", "one two three four five six\n")
    ex = Example("a1", ["d1"], "SUPPORTS", query="is it five ?")
    ds = Dataset("fever", {"val": [ex]}, {"d1": doc}, ["REFUTES", "SUPPORTS"])
    t = PromptTemplate(task_for(ds, max_tokens=3), "explain-then-predict", "wt5")
    assert t.prompt(ex, ds) == "explain fever query: is it five ? document: one two three output:"
    assert t.task.candidates(ex, ds) == ["REFUTES", "SUPPORTS"]

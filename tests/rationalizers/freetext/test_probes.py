"""CoT faithfulness probes: their bookkeeping with a model that ignores its rationale, and a tiny model
whose answer does follow its rationale."""

from __future__ import annotations

import numpy as np

from rationalize.rationalizers.freetext import Generation, GenerationConfig, PromptTemplate, probe_records
from rationalize.rationalizers.freetext.probes import cot_faithfulness_probes
from rationalize.rationalizers.freetext.templates import NLI


class _IgnoresRationale:
    """A 'model' whose forced answer never depends on the rationale it is given."""

    name = "constant"

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def generate(self, prompts, config=None, progress=False, prefixes=None):
        self.calls.append(list(prefixes))
        return [[Generation(" " + self.answers[p], 1)] for p in prompts]


def test_probes_report_no_change_for_a_model_that_ignores_its_rationale():
    t = PromptTemplate(NLI, "explain-then-predict", "cot")
    prompts = ["p1", "p2", "p3", "p4"]
    labels = ["entailment", "neutral", "entailment", None]
    expls = ["one two three four", "five six", "seven", "unused"]
    gen = _IgnoresRationale(dict(zip(prompts, ["entailment.", "neutral.", "entailment.", "x"])))
    out = cot_faithfulness_probes(gen, t, prompts, labels, expls, [["entailment", "neutral", "contradiction"]] * 4,
                                  fractions=(0.0, 0.5))
    assert out["n"] == 3  # the unparsed example is left out
    assert out["swap"]["changed"] == 0.0 and out["truncation"]["0.5"]["changed"] == 0.0
    trunc_half, swap = gen.calls[1], gen.calls[2]
    assert trunc_half[0] == " one two. So the answer is" and gen.calls[0][0] == " So the answer is"
    assert swap[0] == " five six. So the answer is"   # the next example with another answer
    assert swap[1] == " seven. So the answer is"  # example 2 (neutral) -> example 3 (entailment)
    assert np.isclose(out["truncation"]["0"]["unparseable"], 0.0)


def test_probe_records_reads_a_results_file_s_fields():
    t = PromptTemplate(NLI, "explain-then-predict", "cot")
    recs = [{"prompt": "p1", "label": "entailment", "explanation": "one two", "candidates": ["entailment", "neutral"]},
            {"prompt": "p2", "label": "neutral", "explanation": "three",
             "candidates": ["entailment", "contradiction"]}]  # its forced answer is not a candidate: unparseable
    gen = _IgnoresRationale({"p1": "entailment.", "p2": "neutral."})
    out = probe_records(gen, t, recs, fractions=(0.0,))
    assert out["n"] == 2 and gen.calls[0] == [" So the answer is"] * 2  # fraction 0: answer without a rationale
    assert out["truncation"]["0"] == {"changed": 0.5, "unparseable": 0.5} == out["swap"]


def test_swapping_the_rationale_flips_the_tiny_models_answer(toy, toy_template, trained_toy):
    gen, _, _ = trained_toy
    exs = toy["val"][:16]
    prompts = [toy_template.prompt(e, toy) for e in exs]
    parsed = [toy_template.parse(o[0].text, toy.labels) for o in gen.generate(prompts, GenerationConfig(max_new_tokens=14))]
    out = cot_faithfulness_probes(gen, toy_template, prompts, [p.label for p in parsed],
                                  [p.explanation for p in parsed], [toy.labels] * len(exs), fractions=(0.0, 1.0))
    assert out["n"] == 16
    # the model learnt "... is negative answer : NEG": another example's rationale with the other polarity
    # must flip the answer; the full rationale must not
    assert out["swap"]["changed"] >= 0.9
    assert out["truncation"]["1"]["changed"] == 0.0
    pte = PromptTemplate(toy_template.task, "predict-then-explain", "wt5")
    assert cot_faithfulness_probes(gen, pte, prompts, [], [], [])["applicable"] is False

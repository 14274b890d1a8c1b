"""CoT faithfulness probes with a model whose answer does follow its rationale."""

from __future__ import annotations

from rationalize.metrics.freetext import cot_faithfulness_probes
from rationalize.rationalizers.freetext import GenerationConfig, PromptTemplate


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

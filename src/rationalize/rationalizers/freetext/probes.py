"""Chain-of-thought faithfulness probes (Lanham et al. 2023, "Measuring Faithfulness in Chain-of-Thought
Reasoning"): does a model's answer depend on the rationale it wrote?

Force the model to answer after a *truncated* rationale, or after *another example's* rationale, and count
how often the answer changes. An answer that never changes does not depend on the rationale it was given.
The probes generate with the model, so they live with the generators rather than in
:mod:`rationalize.metrics.freetext`, whose scores are functions of texts and labels only;
``rationalize evaluate-freetext --probes-model`` adds their result to that module's scores as ``cot_probes``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rationalize.rationalizers.freetext.generators import GenerationConfig, Generator
from rationalize.rationalizers.freetext.templates import PromptTemplate


def cot_faithfulness_probes(
    generator: Generator,
    template: PromptTemplate,
    prompts: Sequence[str],
    labels: Sequence[str | None],
    explanations: Sequence[str],
    candidates: Sequence[Sequence[str]],
    fractions: Sequence[float] = (0.0, 0.5),
    max_new_tokens: int = 8,
    batch_size: int = 8,
) -> dict[str, Any]:
    """Answer-change rates when the rationale is truncated or swapped (explain-then-predict only).

    For each example with a parsed ``label`` and a non-empty explanation: keep the first ``fraction`` of
    its words and force the answer marker after them (``fraction=0`` answers with no rationale); and
    separately, use the explanation of the next example whose answer differs (cyclically). The model
    continues greedily and its answer is parsed. Reports, per probe, the share of answers that changed
    and of continuations that no longer parse.
    """
    if not template.explain_first:
        return {"applicable": False, "reason": "probes need the explain-then-predict format"}
    idx = [i for i, (lab, e) in enumerate(zip(labels, explanations)) if lab is not None and e and e.strip()]
    cfg = GenerationConfig(max_new_tokens=max_new_tokens, batch_size=batch_size)

    def run(new_expls: list[str]) -> tuple[float, float, list[str | None]]:
        prefixes = [template.answer_prefix(e) for e in new_expls]
        outs = generator.generate([prompts[i] for i in idx], cfg, prefixes=prefixes)
        new_labels = []
        for i, pre, gens in zip(idx, prefixes, outs):
            parsed = template.parse(pre + gens[0].text, candidates[i])
            new_labels.append(parsed.label)
        changed = [nl != labels[i] for i, nl in zip(idx, new_labels)]
        bad = [nl is None for nl in new_labels]
        return float(np.mean(changed)), float(np.mean(bad)), new_labels

    if not idx:
        return {"applicable": True, "n": 0}
    result: dict[str, Any] = {"applicable": True, "n": len(idx), "truncation": {}}
    for f in fractions:
        cut = [" ".join(explanations[i].split()[: int(len(explanations[i].split()) * f)]) for i in idx]
        rate, bad, _ = run(cut)
        result["truncation"][f"{f:g}"] = {"changed": rate, "unparseable": bad}
    swapped = []
    for pos, i in enumerate(idx):
        others = idx[pos + 1 :] + idx[:pos]
        j = next((o for o in others if labels[o] != labels[i]), others[0] if others else i)
        swapped.append(explanations[j])
    rate, bad, _ = run(swapped)
    result["swap"] = {"changed": rate, "unparseable": bad}
    return result


def probe_records(generator: Generator, template: PromptTemplate, records: Sequence[Mapping[str, Any]],
                  **kwargs: Any) -> dict[str, Any]:
    """:func:`cot_faithfulness_probes` over the records of a ``rationalize generate`` results file (their
    ``prompt``, parsed ``label``, ``explanation`` and ``candidates``); ``kwargs`` go to the probes."""
    return cot_faithfulness_probes(generator, template, [r["prompt"] for r in records], [r["label"] for r in records],
                                   [r["explanation"] for r in records], [r.get("candidates") or [] for r in records],
                                   **kwargs)

"""A2R: attention-to-rationale training (Yu, Chang, Zhang & Jaakkola, NeurIPS 2021, "Understanding
Interlocking Dynamics of Cooperative Rationalization"), in the form the noise-injection paper trains it
(Storek, Subbiah & McKeown, ACL 2023, "BERT-A2R"; released code ``adamstorek/noise_injection``,
``model/models.py`` and ``model/run_words.py``; A2R's own code ``Gorov/Understanding_Interlocking``).

* The **generator** encodes the whole input; an attention head gives one logit per document word and a
  softmax over the document words gives the attention ``α`` (the soft scores). A **soft predictor**
  classifies the attention-pooled generator states ``Σ_t α_t h_t``.
* The **hard rationale** is the top-k of ``α``: ``k_tokens(ρ, words)`` words of every document (ρ the
  sparsity target), at training and at test, detached from the generator. A **hard predictor** (a
  separate encoder, as in BERT-A2R) reads only those words and makes the prediction.
* With rationale supervision (``rationale_supervision=λ``), the supervised examples add ``λ · KL(mask /
  |mask| || α)`` (:meth:`A2R.rationale_loss`): the attention is a distribution, so it is pulled towards
  the normalised human mask rather than each word towards 0/1 (a deviation from the per-word binary
  cross-entropy the other methods use).
* Loss: ``CE_soft + CE_hard + λ · JS(p_soft, p_hard)``, split as the reference does: the generator and
  soft predictor minimise ``CE_soft + λ · JS(p_soft, sg(p_hard))``, the hard predictor
  ``CE_hard + λ · JS(sg(p_soft), p_hard)`` (``sg`` = stop gradient; ``λ`` = ``js_weight``, the
  reference's ``proximity`` 0.1). The generator learns which words matter only through the soft path
  and through agreeing with the hard predictor, never through the hard selection itself, so noise
  injected into the hard path (:mod:`.noise`) cannot reach its gradient.

Deviations: our encoders (GloVe or spaCy vectors + BiGRU/CNN, or a Hugging Face encoder) for both
networks; cross-entropy on logits (the released code applies it to probabilities); the selection
rule and its rounding are :func:`rationalize.rationalizers.discretize.k_tokens` (ceiling, see there),
where the reference rounds ``len · ρ`` to the nearest integer (at most one word apart); early
stopping on the hard predictor's validation cross-entropy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from rationalize.models.supervision import attention_alignment_loss
from rationalize.rationalizers.select_predict.framework import (
    Batch,
    Item,
    Selection,
    SelectPredictRationalizer,
    rate_and_transitions,
)


def js_divergence(p: torch.Tensor, q: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Per-row Jensen-Shannon divergence of two ``(B, C)`` probability tables (natural log)."""
    m = (p + q) / 2
    kl_pm = (p * (torch.log(p + eps) - torch.log(m + eps))).sum(-1)
    kl_qm = (q * (torch.log(q + eps) - torch.log(m + eps))).sum(-1)
    return (kl_pm + kl_qm) / 2


class A2R(SelectPredictRationalizer):
    """Extra parameter: ``js_weight`` λ of the JS agreement term (default 0.1, the reference's
    ``proximity``). The own selection rule is top-k at the sparsity target (see the module docstring);
    ``complement_weight`` and ``predictor_warmup_steps`` do not apply."""

    method = "a2r"
    complement_control = False

    def __init__(self, *args: Any, js_weight: float = 0.1, **kw: Any):
        if js_weight < 0:
            raise ValueError(f"js_weight must be >= 0, got {js_weight}")
        if kw.get("comprehensiveness_weight", 0.0) or kw.get("singularity_weight", 0.0):
            raise ValueError("a2r's generator never receives the hard predictor's gradient; the ECHR regularizers "
                             "(comprehensiveness, singularity) do not apply")
        super().__init__(*args, js_weight=js_weight, **kw)
        self.js_weight = js_weight

    def _build_generator_head(self) -> None:
        self.generator_head = nn.Linear(self.generator.out_dim, 1)  # attention logits
        self.soft_head = nn.Linear(self.generator.out_dim, len(self.labels))

    def attention(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """``(α, states)``: the softmax attention over each example's document words and the generator states."""
        states = self.generator.word_states(batch)
        logits = self.generator_head(states).squeeze(-1)
        sel = batch["selectable"]
        logits = logits.masked_fill(~sel, float("-inf"))
        alpha = torch.softmax(logits, -1)
        alpha = torch.where(sel, alpha, torch.zeros_like(alpha))  # rows without document words: all 0
        return alpha, states

    def select(self, batch: Batch) -> Selection:
        """Top-k of the attention (detached), the attention as soft scores; the same in training and eval."""
        alpha, states = self.attention(batch)
        z = self.top_k_selection(batch, alpha)
        return self._finish(z, alpha, batch, states=states)

    def soft_logits(self, sel: Selection) -> torch.Tensor:
        """The soft predictor's logits from the attention-pooled generator states."""
        pooled = (sel.probs.unsqueeze(-1) * sel.extra["states"]).sum(1)
        return self.soft_head(pooled)

    def step(self, batch: Batch) -> tuple[dict[str, torch.Tensor | float], Selection]:
        """``CE_soft + CE_hard + λ · JS`` with the reference's stop-gradients (module docstring); noise, if
        configured, replaces part of the hard path's selected words."""
        y = batch["labels"]
        sel = self.select(batch)
        soft = self.soft_logits(sel)
        noisy, replaced, _ = self.inject_noise(batch, sel.z)
        hard = self.predict_logits(batch, sel.z.detach(), noisy)
        p_soft, p_hard = torch.softmax(soft, -1), torch.softmax(hard, -1)
        ce_soft = F.cross_entropy(soft, y)
        ce_hard = F.cross_entropy(hard, y)
        js_gen = js_divergence(p_soft, p_hard.detach()).mean()
        js_pred = js_divergence(p_soft.detach(), p_hard).mean()
        loss = ce_soft + ce_hard + self.js_weight * (js_gen + js_pred)
        rate, trans = rate_and_transitions(sel.z, batch["selectable"])
        terms: dict[str, torch.Tensor | float] = {
            "loss": loss, "ce": ce_hard.detach(), "ce_soft": ce_soft.detach(), "js": js_gen.detach(),
            "selection_rate": rate.mean().detach(), "transitions": trans.mean().detach(),
            "accuracy": (hard.argmax(1) == y).float().mean(), "soft_accuracy": (soft.argmax(1) == y).float().mean()}
        if self.noise_injection is not None:
            terms["replaced"] = replaced
        return terms, sel

    def rationale_loss(self, batch: Batch, sel: Selection) -> torch.Tensor:
        """The attention's rationale loss: ``KL(mask / |mask| || α)`` over the document words, mean over the
        supervised examples. ``α`` is a softmax over the document (it sums to 1, so a per-word binary
        cross-entropy against a 0/1 mask cannot be met); pulling it towards the normalised human mask moves
        the top-k hard rationale onto the mask, the attention supervision of the classifiers
        (:func:`rationalize.models.supervision.attention_alignment_loss`)."""
        return attention_alignment_loss(sel.probs, batch["rationale"], batch["selectable"], batch["supervised"])

    def validation_metrics(self, items: Sequence[Item], batch_size: int = 32) -> dict[str, float]:
        """The framework's validation metrics with ``objective`` = the hard predictor's cross-entropy (the
        selection rate is the target by construction)."""
        out = super().validation_metrics(items, batch_size)
        out["objective"] = out["ce"]
        return out

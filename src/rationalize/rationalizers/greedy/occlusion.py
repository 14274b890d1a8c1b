"""Occlusion (leave-one-out) baseline: a token's score is how much log p(y_t) drops when it alone is
removed from the full context (a true removal: the other tokens keep their positions). Computed with
Captum ``FeatureAblation`` over a keep-mask, all removals of a target in one batched evaluation."""

from __future__ import annotations

import torch
from captum.attr import FeatureAblation

from rationalize.models.lm import SequenceAdapter, Target
from rationalize.rationalizers.greedy.ordered import OrderedRationalizer


class OcclusionRationalizer(OrderedRationalizer):
    """Sequential rationale from leave-one-out occlusion scores."""

    name = "occlusion"

    def scores(self, adapter: SequenceAdapter, target: Target) -> torch.Tensor:
        """Drop in log p(y_t) when each context token alone is left out (Captum feature ablation)."""
        n = len(target.context)
        cand = set(target.candidates)

        def forward(mask: torch.Tensor) -> torch.Tensor:
            subsets = [sorted({int(p) for p in torch.nonzero(row > 0.5)[:, 0] if int(p) in cand} | {target.query})
                       for row in mask]
            lp, _ = adapter.target_log_probs([target] * len(subsets), subsets)
            return lp

        keep = torch.ones(1, n)
        return FeatureAblation(forward).attribute(keep, baselines=0.0, perturbations_per_eval=n)[0]

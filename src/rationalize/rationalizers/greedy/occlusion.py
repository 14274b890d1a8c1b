"""Occlusion (leave-one-out) baseline: a token's score is how much log p(y_t) drops when it alone is removed from
the full context, the post-hoc ``occlusion`` explainer (Captum ``Occlusion``, window 1) on the next-token
prediction. A removal is a true one: the token is dropped and the others keep their positions
(:class:`~rationalize.rationalizers.greedy.attribution.NextTokenModel`); all removals of a target go through one
batched evaluation."""

from __future__ import annotations

from typing import Any

from rationalize.models.lm import Target
from rationalize.rationalizers.greedy.ordered import AttributionRationalizer


class OcclusionRationalizer(AttributionRationalizer):
    """Sequential rationale from leave-one-out occlusion scores."""

    name = "occlusion"
    explainer = "occlusion"

    def explainer_params(self, target: Target) -> dict[str, Any]:
        """Every removal of a target in one evaluation (the adapter splits it by its token budget)."""
        n = len(target.context)
        return {"perturbations_per_eval": n, "batch_size": n}

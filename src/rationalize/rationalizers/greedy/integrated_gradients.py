"""Integrated-gradients baseline: the post-hoc ``integrated-gradients`` explainer (Captum
``IntegratedGradients``) on the next-token prediction, from an all-zero token-embedding baseline while the
positions stay fixed, as in the paper's code (which scales GPT-2's token embeddings and keeps its position
embeddings)."""

from __future__ import annotations

from typing import Any

from rationalize.models.lm import Target
from rationalize.rationalizers.greedy.ordered import AttributionRationalizer


class IntegratedGradientsRationalizer(AttributionRationalizer):
    """Sequential rationale from integrated gradients summed over the embedding dimension (``n_steps``
    quadrature points, ``internal_batch_size`` of them per forward pass)."""

    name = "integrated_gradients"
    explainer = "integrated-gradients"

    def __init__(self, max_steps: int | None = None, chunk: int = 4, n_steps: int = 32,
                 internal_batch_size: int = 16, **kw: Any):
        super().__init__(max_steps=max_steps, chunk=chunk, **kw)
        self.n_steps = n_steps
        self.internal_batch_size = internal_batch_size

    def explainer_params(self, target: Target) -> dict[str, Any]:
        """Zero baseline, ``n_steps`` and ``internal_batch_size`` for the post-hoc explainer."""
        return {"baseline": "zero", "n_steps": self.n_steps, "internal_batch_size": self.internal_batch_size}

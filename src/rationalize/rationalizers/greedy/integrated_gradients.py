"""Integrated-gradients baseline (Captum ``IntegratedGradients``, all-zero embedding baseline, as in the
paper: the path scales the token embeddings while positions stay fixed)."""

from __future__ import annotations

import torch
from captum.attr import IntegratedGradients

from rationalize.models.lm import SequenceAdapter, Target
from rationalize.rationalizers.greedy._attribution import embeddings_and_forward
from rationalize.rationalizers.greedy.ordered import OrderedRationalizer


class IntegratedGradientsRationalizer(OrderedRationalizer):
    """Sequential rationale from integrated gradients summed over the embedding dimension."""

    name = "integrated_gradients"

    def __init__(self, max_steps: int | None = None, chunk: int = 4, n_steps: int = 32,
                 internal_batch_size: int = 16, progress: bool = False):
        super().__init__(max_steps=max_steps, chunk=chunk, progress=progress)
        self.n_steps = n_steps
        self.internal_batch_size = internal_batch_size

    def scores(self, adapter: SequenceAdapter, target: Target) -> torch.Tensor:
        """Integrated gradients (Sundararajan et al., 2017) from an all-zero embedding baseline in ``n_steps``
        steps, summed over the embedding dimension."""
        emb, f = embeddings_and_forward(adapter, target)
        with torch.enable_grad():
            attr = IntegratedGradients(f).attribute(emb, baselines=torch.zeros_like(emb), n_steps=self.n_steps,
                                                    internal_batch_size=self.internal_batch_size)
        return attr[0].sum(dim=-1)

"""Gradient-norm baseline: rank context tokens by ||d log p(y_t) / d e_i|| (Captum ``Saliency``)."""

from __future__ import annotations

import torch
from captum.attr import Saliency

from rationalize.models.lm import SequenceAdapter, Target
from rationalize.rationalizers.greedy._attribution import embeddings_and_forward
from rationalize.rationalizers.greedy.ordered import OrderedRationalizer


class GradientNormRationalizer(OrderedRationalizer):
    """Sequential rationale from the L2 norm of the gradient of log p(y_t) w.r.t. each token embedding."""

    name = "gradient_norm"

    def scores(self, adapter: SequenceAdapter, target: Target) -> torch.Tensor:
        """L2 norm of the gradient of log p(y_t) with respect to each context token's embedding."""
        emb, f = embeddings_and_forward(adapter, target)
        with torch.enable_grad():
            grad = Saliency(f).attribute(emb, abs=True)
        return grad[0].norm(dim=-1)

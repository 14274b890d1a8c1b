"""Input x gradient baseline: rank context tokens by sum_h e_ih * d log p(y_t) / d e_ih (Captum
``InputXGradient``; the paper's "signed gradient")."""

from __future__ import annotations

import torch
from captum.attr import InputXGradient

from rationalize.models.lm import SequenceAdapter, Target
from rationalize.rationalizers.greedy._attribution import embeddings_and_forward
from rationalize.rationalizers.greedy.ordered import OrderedRationalizer


class InputXGradientRationalizer(OrderedRationalizer):
    """Sequential rationale from input x gradient scores of the token embeddings."""

    name = "input_x_gradient"

    def scores(self, adapter: SequenceAdapter, target: Target) -> torch.Tensor:
        """Input x gradient of each context token's embedding, summed over the embedding dimension."""
        emb, f = embeddings_and_forward(adapter, target)
        with torch.enable_grad():
            attr = InputXGradient(f).attribute(emb)
        return attr[0].sum(dim=-1)

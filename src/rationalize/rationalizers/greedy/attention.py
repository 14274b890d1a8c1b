"""Attention baselines: rank context tokens by the attention the query position pays them, averaged over
heads of the last layer (``attention_last``) or over all heads of all layers (``attention_all``)."""

from __future__ import annotations

import torch

from rationalize.errors import RationalizeError
from rationalize.models.lm import SequenceAdapter, Target
from rationalize.rationalizers.greedy.ordered import OrderedRationalizer


def _attention(adapter: SequenceAdapter, target: Target) -> torch.Tensor:
    if not getattr(adapter, "supports_attention", False) or target.source_length:
        raise RationalizeError(f"{type(adapter).__name__} does not support attention baselines (causal LMs only; "
                               "a TorchLMAdapter needs attentions=)")
    ids = target.context[None]
    pos = torch.arange(len(target.context))[None]
    return adapter.attentions(ids, pos)  # (layers, heads, L, L)


class AttentionLastRationalizer(OrderedRationalizer):
    """Sequential rationale from last-layer attention (mean over heads) at the query position."""

    name = "attention_last"

    def scores(self, adapter: SequenceAdapter, target: Target) -> torch.Tensor:
        """Last-layer attention from the query position to each context position, averaged over heads."""
        return _attention(adapter, target)[-1].mean(0)[target.query]


class AttentionAllRationalizer(OrderedRationalizer):
    """Sequential rationale from attention averaged over all layers and heads at the query position."""

    name = "attention_all"

    def scores(self, adapter: SequenceAdapter, target: Target) -> torch.Tensor:
        """Attention from the query position to each context position, averaged over all layers and heads."""
        return _attention(adapter, target).mean((0, 1))[target.query]

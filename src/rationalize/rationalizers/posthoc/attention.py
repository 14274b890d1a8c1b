"""Attention weights as token scores (Jain & Wallace, 2019; Wiegreffe & Pinter, 2019 discuss when
they explain): the attention from the classification position ([CLS] for transformers, the pooling query
for our encoders) to each piece, averaged over heads, from the last layer (``layers="last"``, the
``attention`` default) or the mean over layers (``layers="mean"``). Windows are combined like the pooled
prediction, sub-word pieces by ``aggregation`` (default ``sum``: attention mass of the token)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from rationalize.models.windows import Window
from rationalize.rationalizers.posthoc.base import Explainer
from rationalize.rationalizers.posthoc.registry import register


@register("attention")
class Attention(Explainer):
    """Attention of the classification position; the target class does not change attention scores."""

    mode = "last"

    def __init__(self, model, layers: str | None = None, **kw):
        super().__init__(model, **kw)
        self.layers = layers or self.mode
        if self.layers not in ("last", "mean", "rollout"):
            raise ValueError(f"layers must be last, mean or rollout, got {self.layers!r}")

    def _attribute_windows(self, windows: Sequence[Window], targets: Sequence[int]) -> list[np.ndarray]:
        with torch.no_grad():
            att = self.model.token_attention(self.model.collate(windows), self.layers)
        return list(att.double().numpy())


@register("attention-last")
class AttentionLast(Attention):
    """Last-layer attention (same as ``attention``)."""

    mode = "last"


@register("attention-mean")
class AttentionMean(Attention):
    """Attention averaged over all layers."""

    mode = "mean"

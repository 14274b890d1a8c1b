"""Attention rollout (Abnar & Zuidema, 2020): each layer's head-averaged attention plus the identity
(residual connection), row-normalised and multiplied through the layers; the classification position's
row scores the pieces. On our one-attention-layer encoders it equals the pooling attention."""

from __future__ import annotations

from rationalize.rationalizers.posthoc.attention import Attention
from rationalize.rationalizers.posthoc.registry import register


@register("attention-rollout")
class AttentionRollout(Attention):
    """Rolled-out attention to the classification position."""

    mode = "rollout"

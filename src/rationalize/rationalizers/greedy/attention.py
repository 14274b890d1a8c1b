"""Attention baselines: rank context tokens by the attention the query position pays them, averaged over heads
of the last layer (``attention_last``), over all heads of all layers (``attention_all``) or rolled out through
the layers (``attention_rollout``, Abnar & Zuidema, 2020, one of the paper's baselines): the post-hoc attention
explainers on the next-token prediction (eager attention)."""

from __future__ import annotations

from rationalize.rationalizers.greedy.ordered import AttributionRationalizer


class AttentionLastRationalizer(AttributionRationalizer):
    """Sequential rationale from last-layer attention (mean over heads) at the query position."""

    name = "attention_last"
    explainer = "attention-last"


class AttentionAllRationalizer(AttributionRationalizer):
    """Sequential rationale from attention averaged over all layers and heads at the query position."""

    name = "attention_all"
    explainer = "attention-mean"


class AttentionRolloutRationalizer(AttributionRationalizer):
    """Sequential rationale from attention rollout at the query position."""

    name = "attention_rollout"
    explainer = "attention-rollout"

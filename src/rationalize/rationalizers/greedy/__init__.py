"""Sequential rationales for language models and translators (Vafa et al., EMNLP 2021).

Methods, by registry name (one file each, one signature: ``rationalize(adapter, sequences, positions,
target_ids) -> list[SequentialRationale]``):

* ``greedy`` -- batched greedy rationalization (the paper's method);
* ``naive`` -- the same search, one candidate per forward pass (reference for correctness and speed);
* ``exhaustive`` -- the smallest sufficient subset, by brute force (short contexts);
* baselines ranked once and added in order until the prediction is recovered: ``gradient_norm``,
  ``input_x_gradient``, ``integrated_gradients``, ``attention_last``, ``attention_all``, ``attention_rollout``,
  ``occlusion``; their scores are the post-hoc explainers' on the next-token prediction
  (:mod:`rationalize.rationalizers.greedy.attribution`).

Corpus runs (validated up front, resumable per method and parameters) are in
:mod:`rationalize.rationalizers.greedy.corpus`; the word-level view in :mod:`rationalize.rationalizers.greedy.words`.

Model adapters live in :mod:`rationalize.models.lm`; compatibility fine-tuning (word dropout) in
:mod:`rationalize.rationalizers.greedy.compatibility`; metrics in :mod:`rationalize.rationalizers.greedy.metrics`.
"""

from __future__ import annotations

from typing import Any

from rationalize.rationalizers.base import Registry
from rationalize.rationalizers.greedy.attention import (
    AttentionAllRationalizer,
    AttentionLastRationalizer,
    AttentionRolloutRationalizer,
)
from rationalize.rationalizers.greedy.base import SequentialRationale, SequentialRationalizer
from rationalize.rationalizers.greedy.exhaustive import ExhaustiveRationalizer
from rationalize.rationalizers.greedy.gradient_norm import GradientNormRationalizer
from rationalize.rationalizers.greedy.greedy import GreedyRationalizer
from rationalize.rationalizers.greedy.input_x_gradient import InputXGradientRationalizer
from rationalize.rationalizers.greedy.integrated_gradients import IntegratedGradientsRationalizer
from rationalize.rationalizers.greedy.naive import NaiveGreedyRationalizer
from rationalize.rationalizers.greedy.occlusion import OcclusionRationalizer

#: the methods by their ``name`` (a :class:`~rationalize.rationalizers.base.Registry`)
SEQUENTIAL_RATIONALIZERS: Registry[type[SequentialRationalizer]] = Registry("greedy", "sequential rationalizer")
for _cls in (GreedyRationalizer, NaiveGreedyRationalizer, ExhaustiveRationalizer, GradientNormRationalizer,
             InputXGradientRationalizer, IntegratedGradientsRationalizer, AttentionLastRationalizer,
             AttentionAllRationalizer, AttentionRolloutRationalizer, OcclusionRationalizer):
    SEQUENTIAL_RATIONALIZERS.register(_cls.name, _cls)
del _cls

BASELINES = ("gradient_norm", "input_x_gradient", "integrated_gradients", "attention_last", "attention_all",
             "attention_rollout", "occlusion")


def get_sequential_rationalizer(name: str, **params: Any) -> SequentialRationalizer:
    """Instantiate a sequential rationalizer by registry name."""
    try:
        cls = SEQUENTIAL_RATIONALIZERS[name]
    except KeyError:
        raise ValueError(f"unknown sequential rationalizer {name!r}; known: {', '.join(SEQUENTIAL_RATIONALIZERS)}") from None
    return cls(**params)


__all__ = [
    "BASELINES", "SEQUENTIAL_RATIONALIZERS", "AttentionAllRationalizer", "AttentionLastRationalizer",
    "AttentionRolloutRationalizer",
    "ExhaustiveRationalizer", "GradientNormRationalizer", "GreedyRationalizer", "InputXGradientRationalizer",
    "IntegratedGradientsRationalizer", "NaiveGreedyRationalizer", "OcclusionRationalizer", "SequentialRationale",
    "SequentialRationalizer", "get_sequential_rationalizer",
]

"""Metrics of sequential rationales (Vafa et al., EMNLP 2021, Sec. 7): pure functions over plain lists.

* length of each rationale and its ratio to the exhaustive optimum (per target, averaged);
* whether the prediction is recovered, and p(y_t) under the rationale;
* agreement with annotated rationales: intersection over union and token F1 of position sets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from rationalize.metrics.plausibility import f1


def iou(predicted: Iterable[int], gold: Iterable[int]) -> float:
    """|P & G| / |P | G| of two position sets (1.0 when both are empty)."""
    p, g = set(predicted), set(gold)
    union = p | g
    return 1.0 if not union else len(p & g) / len(union)


def token_f1(predicted: Iterable[int], gold: Iterable[int]) -> float:
    """Harmonic mean of precision |P & G|/|P| and recall |P & G|/|G| (1.0 when both are empty)."""
    p, g = set(predicted), set(gold)
    if not p and not g:
        return 1.0
    inter = len(p & g)
    return float(f1(inter / len(p), inter / len(g))) if inter else 0.0


def length_ratios(lengths: Sequence[int], optimal_lengths: Sequence[int]) -> np.ndarray:
    """Per-target ratio of a rationale's length to the exhaustive optimum's."""
    a, b = np.asarray(lengths, dtype=float), np.asarray(optimal_lengths, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"{a.shape[0]} lengths but {b.shape[0]} optimal lengths")
    if np.any(b <= 0):
        raise ValueError("optimal lengths must be positive")
    return a / b


def summarize(rationales: Sequence[Any], optimal: Sequence[Any] | None = None,
              annotations: Sequence[Iterable[int] | None] | None = None) -> dict[str, float]:
    """Aggregate metrics of a list of :class:`SequentialRationale`.

    ``optimal`` (exhaustive results for the same targets) adds ``ratio_to_optimum`` (over targets both
    methods recovered); ``annotations`` (gold position sets, ``None`` where absent) adds ``iou`` and
    ``f1`` averaged over annotated targets."""
    n = len(rationales)
    out: dict[str, float] = {"n": float(n)}
    if n == 0:
        return out
    out["mean_length"] = float(np.mean([r.length for r in rationales]))
    out["recovered_rate"] = float(np.mean([r.recovered for r in rationales]))
    out["mean_probability"] = float(np.mean([r.probability for r in rationales]))
    if optimal is not None:
        if len(optimal) != n:
            raise ValueError(f"{n} rationales but {len(optimal)} optimal rationales")
        both = [(r.length, o.length) for r, o in zip(rationales, optimal) if r.recovered and o.recovered]
        if both:
            out["ratio_to_optimum"] = float(np.mean(length_ratios(*zip(*both))))
            out["optimal_mean_length"] = float(np.mean([o for _, o in both]))
            out["n_compared"] = float(len(both))
    if annotations is not None:
        pairs = [(r.rationale_positions, g) for r, g in zip(rationales, annotations) if g is not None]
        if pairs:
            out["iou"] = float(np.mean([iou(p, g) for p, g in pairs]))
            out["f1"] = float(np.mean([token_f1(p, g) for p, g in pairs]))
    return out

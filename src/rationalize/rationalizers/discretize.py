"""From soft token scores to hard rationales.

ERASER (DeYoung et al., 2020) turns soft scores into hard rationales by keeping the top-``k`` tokens,
with ``k`` the dataset's mean human rationale length; :func:`top_k` does that (``k`` may also be a
fraction of the document). :func:`threshold`, :func:`top_k_spans` (contiguous spans, as humans mark
them) and :func:`top_sentences` are the usual alternatives. All functions take a 1-d score array and
return a boolean mask of the same length; :func:`mask_to_spans` gives ERASER's ``(start, end)`` spans.
Ties are broken by position (earlier first), so results are deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rationalize.data.schema import mask_to_spans  # noqa: F401  (part of this module's API)


def _k_of(k: float, n: int) -> int:
    """``k`` tokens: an integer count, or a fraction of ``n`` when ``0 < k < 1``."""
    if k < 0:
        raise ValueError(f"k must be non-negative, got {k}")
    count = int(round(k * n)) if 0 < k < 1 else int(round(k))
    return max(0, min(n, count))


def top_k(scores: Sequence[float], k: float) -> np.ndarray:
    """The ``k`` highest-scoring tokens (``k`` a count, or a fraction of the length when below 1)."""
    s = np.asarray(scores, dtype=float)
    n = _k_of(k, len(s))
    mask = np.zeros(len(s), dtype=bool)
    if n:
        order = np.argsort(-s, kind="stable")
        mask[order[:n]] = True
    return mask


def threshold(scores: Sequence[float], t: float, normalize: bool = False) -> np.ndarray:
    """Tokens with score ``>= t``; with ``normalize`` scores are first divided by their max absolute value."""
    s = np.asarray(scores, dtype=float)
    if normalize and len(s) and np.abs(s).max() > 0:
        s = s / np.abs(s).max()
    return s >= t


def top_k_spans(scores: Sequence[float], n_spans: int, span_length: int) -> np.ndarray:
    """Greedily pick ``n_spans`` non-overlapping spans of ``span_length`` tokens with the highest summed
    score (each next span is the best one that does not overlap those already chosen)."""
    s = np.asarray(scores, dtype=float)
    mask = np.zeros(len(s), dtype=bool)
    if len(s) == 0 or n_spans <= 0 or span_length <= 0:
        return mask
    w = min(span_length, len(s))
    sums = np.convolve(s, np.ones(w), mode="valid")  # sums[i] = s[i:i+w].sum()
    for _ in range(n_spans):
        free = np.array([not mask[i : i + w].any() for i in range(len(sums))])
        if not free.any():
            break
        cand = np.where(free, sums, -np.inf)
        i = int(np.argmax(cand))
        mask[i : i + w] = True
    return mask


def sentence_scores(scores: Sequence[float], sentences: Sequence[tuple[int, int]], reduce: str = "max") -> np.ndarray:
    """One score per sentence: ``max`` (default) or ``mean`` or ``sum`` of its token scores (0 if empty)."""
    s = np.asarray(scores, dtype=float)
    fn = {"max": np.max, "mean": np.mean, "sum": np.sum}[reduce]
    return np.array([float(fn(s[a:b])) if b > a else 0.0 for a, b in sentences])


def top_sentences(scores: Sequence[float], sentences: Sequence[tuple[int, int]], k: int = 1, reduce: str = "mean") -> np.ndarray:
    """All tokens of the ``k`` sentences with the highest ``reduce`` score."""
    s = np.asarray(scores, dtype=float)
    mask = np.zeros(len(s), dtype=bool)
    per = sentence_scores(s, sentences, reduce)
    for i in np.argsort(-per, kind="stable")[: max(0, k)]:
        a, b = sentences[int(i)]
        mask[a:b] = True
    return mask


DISCRETIZERS = ("top-k", "threshold", "top-k-spans", "top-sentences")

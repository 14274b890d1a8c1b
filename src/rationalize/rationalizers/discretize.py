"""From soft token scores to hard rationales: the only place in rationalize that does it.

Every family (post-hoc ``explain``, the faithfulness engine's AOPC bins and top-k fallback, FRESH's
extractor, the select-then-predict result writer) calls the functions here, so one ``k`` gives one
rationale everywhere.

How many tokens ``k`` means is decided by :func:`k_tokens`, with one rule: **the ceiling of the requested
amount** (``k`` itself for a count, ``k * n`` for a fraction of the ``n`` tokens), robust to float noise
and clipped to ``[0, n]``. Why the ceiling: it is what the ERASER baselines do. Their soft-score models
(DeYoung et al., 2020; code in ``successar/Eraser-Benchmark-Baseline-Models``,
``Rationale_model/models/classifiers/soft_encoder_model.py``, ``regenerate_tokens`` / ``remove_tokens``)
keep or remove ``max_length = math.ceil(n_document_tokens * threshold)`` tokens, both for the hard
rationale (``threshold`` = the dataset's mean human rationale fraction, ERASER's ``k``) and for every AOPC
bin (``base_saliency_scorer.py``: 1/5/10/20/50 %, plus 0.3 %); the scorer, ``rationale_benchmark/metrics.py``
in ``jayded/eraserbenchmark``, only averages the scores those models wrote. The ceiling also means that
any positive ``k`` keeps at least one token (a 1 % bin of a 30-token document is one token, not none),
and that a count and the same amount as a fraction agree: ``k_tokens(7.3, n) == k_tokens(7.3 / n, n, fraction=True)``.

:func:`top_k` keeps the :func:`k_tokens` highest-scoring tokens; :func:`threshold` (optionally on
:func:`max_normalized` scores), :func:`calibrated_threshold` (one global threshold that selects a target
fraction on average), :func:`top_k_spans` (contiguous spans, as humans mark them) and
:func:`top_sentences` are the alternatives. All take a 1-d score array and return a boolean mask of the
same length; :func:`mask_to_spans` gives ERASER's ``(start, end)`` spans. Ties are broken by position
(earlier first), so results are deterministic. Sentence scores (:func:`sentence_scores`) aggregate token
scores with :data:`SENTENCE_REDUCE` by default, the same for every family.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rationalize.data.schema import mask_to_spans  # noqa: F401  (part of this module's API)

#: relative tolerance of :func:`k_tokens`: ``0.07 * 100`` is ``7.000000000000001`` in floating point, and
#: must give 7 tokens, not 8
_NOISE = 1e-9

#: how :func:`sentence_scores` and :func:`top_sentences` turn token scores into one score per sentence
#: unless told otherwise: the **mean**. A sentence's score is then its average token importance (for
#: select-then-predict selection probabilities: the expected fraction of the sentence selected), so it
#: does not grow with the sentence's length, as the maximum of ``m`` scores does (with the maximum, even
#: random scores rank long sentences first).
SENTENCE_REDUCE = "mean"
SENTENCE_REDUCES = ("mean", "max", "sum")


def k_tokens(k: float, n: int, *, fraction: bool | None = None) -> int:
    """How many of ``n`` tokens a top-``k`` rationale keeps: ``ceil(amount)`` clipped to ``[0, n]``.

    ``amount`` is ``k * n`` when ``k`` is a fraction of the document and ``k`` when it is a token count.
    ``fraction=None`` (the CLI's ``--k`` convention) reads ``0 < k < 1`` as a fraction and anything else
    as a count (so ``1`` is one token); ``fraction=True`` always reads a fraction in ``[0, 1]`` (AOPC bins
    and the faithfulness fallback, where ``1.0`` is the whole document); ``fraction=False`` always a
    count. Amounts within a relative ``1e-9`` of an integer count as that integer (float noise). See the
    module docstring for why the ceiling (ERASER's baselines)."""
    if not math.isfinite(k) or k < 0:
        raise ValueError(f"k must be a finite non-negative number, got {k}")
    if n <= 0:
        return 0
    if fraction is None:
        fraction = 0 < k < 1
    if fraction and k > 1:
        raise ValueError(f"a fraction k must be in [0, 1], got {k}")
    amount = k * n if fraction else float(k)
    count = math.ceil(amount - _NOISE * max(1.0, amount))
    return max(0, min(n, count))


def top_k(scores: Sequence[float], k: float, *, fraction: bool | None = None) -> np.ndarray:
    """The :func:`k_tokens` ``(k, len(scores), fraction=fraction)`` highest-scoring tokens (ties: earlier
    position first)."""
    s = np.asarray(scores, dtype=float)
    count = k_tokens(k, len(s), fraction=fraction)
    mask = np.zeros(len(s), dtype=bool)
    if count:
        order = np.argsort(-s, kind="stable")
        mask[order[:count]] = True
    return mask


def max_normalized(scores: Sequence[float]) -> np.ndarray:
    """Scores divided by their maximum absolute value (unchanged when all are 0 or there are none), so
    that one threshold means the same for documents whose scores have different scales."""
    s = np.asarray(scores, dtype=float)
    top = float(np.abs(s).max()) if len(s) else 0.0
    return s / top if top > 0 else s


def threshold(scores: Sequence[float], t: float, normalize: bool = False) -> np.ndarray:
    """Tokens with score ``>= t``; with ``normalize`` the scores are :func:`max_normalized` first."""
    s = max_normalized(scores) if normalize else np.asarray(scores, dtype=float)
    return s >= t


def calibrated_threshold(scores: Sequence[Sequence[float]], target: float, normalize: bool = True,
                         iterations: int = 40) -> float:
    """One global threshold for :func:`threshold` whose mean selected fraction over the documents
    ``scores`` is the ``target`` fraction (bisection on ``[-1, 1]``, the range of :func:`max_normalized`
    scores; the returned value is the upper end, so the mean fraction is at most the target when ties
    allow). Documents without tokens are ignored. The rationale length then adapts to each document
    (FRESH's threshold extractor) while the average sparsity is the target."""
    docs = [np.asarray(s, dtype=float) for s in scores if len(s)]
    if normalize:
        docs = [max_normalized(s) for s in docs]
    lo, hi = -1.0, 1.0
    for _ in range(iterations):
        mid = (lo + hi) / 2
        frac = float(np.mean([(s >= mid).mean() for s in docs])) if docs else 0.0
        lo, hi = (mid, hi) if frac > target else (lo, mid)
    return hi


def top_k_spans(scores: Sequence[float], n_spans: int, span_length: int) -> np.ndarray:
    """Greedily pick ``n_spans`` non-overlapping spans of ``span_length`` tokens with the highest summed
    score (each next span is the best one that does not overlap those already chosen; ties: the earlier
    span). ``n_spans=1`` is the best contiguous window (FRESH's ``contiguous`` rationale)."""
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


def n_spans_for(k: float, n: int, span_length: int, *, fraction: bool | None = None) -> int:
    """The fewest spans of ``span_length`` tokens that hold :func:`k_tokens` ``(k, n)`` tokens (the
    ceiling again, so that ``top_k_spans`` keeps at least ``k`` tokens, as ``top_k`` keeps exactly them);
    0 for ``span_length <= 0``, for which :func:`top_k_spans` selects nothing either."""
    if span_length <= 0:
        return 0
    return math.ceil(k_tokens(k, n, fraction=fraction) / span_length)


def sentence_scores(scores: Sequence[float], sentences: Sequence[tuple[int, int]],
                    reduce: str = SENTENCE_REDUCE) -> np.ndarray:
    """One score per ``(start, end)`` sentence: the ``mean`` (default, :data:`SENTENCE_REDUCE`), ``max`` or
    ``sum`` of its token scores (0 for an empty sentence)."""
    if reduce not in SENTENCE_REDUCES:
        raise ValueError(f"reduce must be one of {SENTENCE_REDUCES}, got {reduce!r}")
    s = np.asarray(scores, dtype=float)
    fn = {"max": np.max, "mean": np.mean, "sum": np.sum}[reduce]
    return np.array([float(fn(s[a:b])) if b > a else 0.0 for a, b in sentences])


def top_sentences(scores: Sequence[float], sentences: Sequence[tuple[int, int]], k: int = 1,
                  reduce: str = SENTENCE_REDUCE) -> np.ndarray:
    """All tokens of the ``k`` sentences with the highest :func:`sentence_scores` (ties: earlier first)."""
    s = np.asarray(scores, dtype=float)
    mask = np.zeros(len(s), dtype=bool)
    per = sentence_scores(s, sentences, reduce)
    for i in np.argsort(-per, kind="stable")[: max(0, k)]:
        a, b = sentences[int(i)]
        mask[a:b] = True
    return mask


DISCRETIZERS = ("top-k", "threshold", "top-k-spans", "top-sentences")

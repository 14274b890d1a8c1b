"""Metrics of sequential rationales (Vafa et al., EMNLP 2021, Sec. 7): pure functions over plain lists.

* length of each rationale and its ratio to the exhaustive optimum (per target, averaged);
* whether the prediction is recovered, and p(y_t) under the rationale;
* agreement with annotated rationales: intersection over union and token F1 of position sets, per passage and
  averaged, and the **pooled F1** the paper reports: as the released evaluation code
  (``analysis/evaluate_lambada_rationales.py`` of ``keyonvafa/sequential-rationales``) computes it, every
  context position of every passage is one binary decision (in the rationale or not, against in the human
  rationale or not) and one F1 is computed over all of them. It weighs long passages more and differs from the
  mean of per-passage F1s (the issue measured 0.324 pooled vs 0.249 averaged on the same rationales).

:func:`summarize` also splits its summary by whether the full context predicts the target, since a target the
model does not predict from everything it sees has no sufficient subset to find in most cases.
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


def pooled_f1(predicted: Sequence[Iterable[int]], gold: Sequence[Iterable[int]], context_lengths: Sequence[int]
              ) -> float:
    """One binary F1 over every context position ``0 .. n_i - 1`` of every passage ``i`` (positions outside the
    context are ignored), as the paper's evaluation computes it; 0.0 when nothing is predicted or annotated."""
    if not len(predicted) == len(gold) == len(context_lengths):
        raise ValueError(f"{len(predicted)} rationales, {len(gold)} annotations, {len(context_lengths)} lengths")
    tp = fp = fn = 0
    for p, g, n in zip(predicted, gold, context_lengths):
        ps = {x for x in p if 0 <= x < n}
        gs = {x for x in g if 0 <= x < n}
        tp += len(ps & gs)
        fp += len(ps - gs)
        fn += len(gs - ps)
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def word_rationale(rationales: Sequence[Any]) -> list[int]:
    """The rationale of a target *word* made of several tokens: the union of its tokens' rationales, keeping
    positions up to the word's first token (a later token's rationale may hold the word's earlier tokens, which
    are not penalised), as in the paper's evaluation."""
    if not rationales:
        return []
    first = min(r.target_position for r in rationales)
    return sorted({p for r in rationales for p in r.rationale_positions if p <= first})


def length_ratios(lengths: Sequence[int], optimal_lengths: Sequence[int]) -> np.ndarray:
    """Per-target ratio of a rationale's length to the exhaustive optimum's."""
    a, b = np.asarray(lengths, dtype=float), np.asarray(optimal_lengths, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"{a.shape[0]} lengths but {b.shape[0]} optimal lengths")
    if np.any(b <= 0):
        raise ValueError("optimal lengths must be positive")
    return a / b


def summarize(rationales: Sequence[Any], optimal: Sequence[Any] | None = None,
              annotations: Sequence[Iterable[int] | None] | None = None, split: bool = True) -> dict[str, Any]:
    """Aggregate metrics of a list of :class:`SequentialRationale`.

    Always: ``n``, ``mean_length``, ``recovered_rate``, ``mean_probability``; ``mean_seconds`` and
    ``full_context_predicts_rate`` where the results carry them. ``optimal`` (exhaustive results for the same
    targets) adds ``ratio_to_optimum`` (over targets both methods recovered); ``annotations`` (gold position
    sets, ``None`` where absent) adds, over annotated targets, ``iou`` and ``f1`` (means of per-passage values)
    and ``pooled_f1`` (the paper's number, see :func:`pooled_f1`). With ``split`` and results that say whether
    the full context predicts their target, ``by_full_context`` holds the same summary for ``predicts`` and
    ``misses`` separately."""
    n = len(rationales)
    out: dict[str, Any] = {"n": float(n)}
    if n == 0:
        return out
    out["mean_length"] = float(np.mean([r.length for r in rationales]))
    out["recovered_rate"] = float(np.mean([r.recovered for r in rationales]))
    out["mean_probability"] = float(np.mean([r.probability for r in rationales]))
    secs = [getattr(r, "seconds", None) for r in rationales]
    if all(s is not None for s in secs):
        out["mean_seconds"] = float(np.mean(secs))
    full = [getattr(r, "full_context_predicts", None) for r in rationales]
    if all(f is not None for f in full):
        out["full_context_predicts_rate"] = float(np.mean(full))
    if optimal is not None:
        if len(optimal) != n:
            raise ValueError(f"{n} rationales but {len(optimal)} optimal rationales")
        both = [(r.length, o.length) for r, o in zip(rationales, optimal) if r.recovered and o.recovered]
        if both:
            out["ratio_to_optimum"] = float(np.mean(length_ratios(*zip(*both))))
            out["optimal_mean_length"] = float(np.mean([o for _, o in both]))
            out["n_compared"] = float(len(both))
    if annotations is not None:
        if len(annotations) != n:
            raise ValueError(f"{n} rationales but {len(annotations)} annotations")
        pairs = [(r.rationale_positions, list(g), getattr(r, "context_length", None))
                 for r, g in zip(rationales, annotations) if g is not None]
        if pairs:
            out["iou"] = float(np.mean([iou(p, g) for p, g, _ in pairs]))
            out["f1"] = float(np.mean([token_f1(p, g) for p, g, _ in pairs]))
            if all(n is not None for _, _, n in pairs):  # the pooled F1 counts every context position
                out["pooled_f1"] = pooled_f1(*zip(*pairs))
            out["n_annotated"] = float(len(pairs))
    if split and all(f is not None for f in full):
        groups = {}
        for key, want in (("predicts", True), ("misses", False)):
            idx = [i for i, f in enumerate(full) if f is want]
            groups[key] = summarize([rationales[i] for i in idx],
                                    None if optimal is None else [optimal[i] for i in idx],
                                    None if annotations is None else [annotations[i] for i in idx], split=False)
        out["by_full_context"] = groups
    return out

"""Plausibility: agreement between predicted and human rationales (DeYoung et al., ACL 2020, sec. 4.1).

Pure functions over plain containers. A *key* is one (annotation id, document id) pair; spans are
half-open token intervals ``(start, end)``. Every function reproduces the official ERASER scorer
(``rationale_benchmark/metrics.py``) by default, including its quirks:

* duplicate spans inside one key count once (the scorer works on sets);
* token/span macro scores average each key's P, R and F1 over the union of gold and predicted keys;
* IOU F1 counts a predicted span as a hit when its *best* IOU with any gold span of its key reaches the
  threshold, without one-to-one matching, so two predictions can hit one gold span and recall can
  exceed 1 (``one_to_one=True`` gives the corrected, matched variant);
* token AUPRC is the trapezoidal area under sklearn's precision-recall curve over all scored keys
  (``auprc="average_precision"`` gives the step-wise average precision instead); average precision and
  ROC-AUC skip keys whose gold is a single class.

Where the official scorer divides by zero (no predictions or no gold at all) these return 0.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

Key = Hashable
Span = tuple[int, int]


def f1(p: float, r: float) -> float:
    """Harmonic mean; 0 when either is 0 (the scorer's ``_f1``)."""
    if p == 0 or r == 0:
        return 0
    return 2 * p * r / (p + r)


def prf_dict(p: float, r: float, f: float) -> dict[str, float]:
    """Pack precision, recall and F1 as ``{"p", "r", "f1"}``, the scorer's layout."""
    return {"p": p, "r": r, "f1": f}


def set_prf(truth: Mapping[Key, set], pred: Mapping[Key, set]) -> dict[str, dict[str, float]]:
    """Micro and macro P/R/F1 between keyed sets of items (spans or single tokens).

    Micro counts items over all keys; macro averages per-key P, R and F1 over every key that has gold or
    predictions (a key without predictions has P = 0, a key without gold has R = 0).
    """
    n_pred = sum(len(v) for v in pred.values())
    n_true = sum(len(v) for v in truth.values())
    keys = [k for k in truth if truth[k]] + [k for k in pred if pred[k] and not truth.get(k)]
    hits = {k: len(truth.get(k, set()) & pred.get(k, set())) for k in keys}
    n_hit = sum(hits.values())
    micro_p = n_hit / n_pred if n_pred else 0
    micro_r = n_hit / n_true if n_true else 0
    ps, rs, fs = [], [], []
    for k in keys:
        np_, nt = len(pred.get(k, ())), len(truth.get(k, ()))
        p = hits[k] / np_ if np_ > 0 else 0
        r = hits[k] / nt if nt > 0 else 0
        ps.append(p)
        rs.append(r)
        fs.append(f1(p, r))
    n = len(keys)
    return {
        "instance_micro": prf_dict(micro_p, micro_r, f1(micro_p, micro_r)),
        "instance_macro": prf_dict(sum(ps) / n if n else 0, sum(rs) / n if n else 0, sum(fs) / n if n else 0),
    }


def span_prf(truth: Mapping[Key, set[Span]], pred: Mapping[Key, set[Span]]) -> dict[str, dict[str, float]]:
    """Exact-match span P/R/F1 (ERASER ``rationale_prf``): a hit needs identical start and end."""
    return set_prf(truth, pred)


def to_tokens(spans: Mapping[Key, set[Span]]) -> dict[Key, set[int]]:
    """Keyed spans to keyed token positions (overlapping spans merge: positions form a set)."""
    return {k: {t for s, e in v for t in range(s, e)} for k, v in spans.items()}


def token_prf(truth: Mapping[Key, set[Span]], pred: Mapping[Key, set[Span]]) -> dict[str, dict[str, float]]:
    """Token-level P/R/F1 (ERASER ``token_prf``): every (key, token) is one item."""
    return set_prf(to_tokens(truth), to_tokens(pred))


def iou(a: Span, b: Span) -> float:
    """Intersection over union of two half-open token spans (0 when both are empty)."""
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(0, a[1] - a[0]) + max(0, b[1] - b[0]) - inter
    return 0 if union == 0 else inter / union


def _one_to_one_hits(pred: Sequence[Span], gold: Sequence[Span], threshold: float) -> int:
    """Size of a maximum matching between predicted and gold spans whose IOU reaches ``threshold``."""
    if not pred or not gold:
        return 0
    from scipy.optimize import linear_sum_assignment

    ok = np.array([[iou(p, g) >= threshold for g in gold] for p in pred], dtype=float)
    rows, cols = linear_sum_assignment(-ok)
    return int(ok[rows, cols].sum())


def iou_hits(truth: Mapping[Key, set[Span]], pred: Mapping[Key, set[Span]], threshold: float,
             one_to_one: bool = False) -> dict[Key, int]:
    """Per predicted key: how many predicted spans count as hits at ``threshold``."""
    out: dict[Key, int] = {}
    for k, spans in pred.items():
        if not spans:
            continue
        gold = sorted(truth.get(k, ()))
        if one_to_one:
            out[k] = _one_to_one_hits(sorted(spans), gold, threshold)
        else:
            out[k] = sum(int(max((iou(p, g) for g in gold), default=0.0) >= threshold) for p in spans)
    return out


def iou_f1(truth: Mapping[Key, set[Span]], pred: Mapping[Key, set[Span]], thresholds: Sequence[float] = (0.5,),
           one_to_one: bool = False) -> list[dict[str, Any]]:
    """Partial-match (IOU) P/R/F1 per threshold, as ERASER's ``iou_scores``.

    Micro: hits / predicted spans and hits / gold spans. Macro: P averaged over keys with predictions,
    R over keys with gold, F1 = F1 of those two means. ``one_to_one=True`` lets each gold span match at
    most one prediction (maximum bipartite matching), so recall never exceeds 1.
    """
    n_true = {k: len(v) for k, v in truth.items() if v}
    n_pred = {k: len(v) for k, v in pred.items() if v}
    out = []
    for threshold in thresholds:
        hits = iou_hits(truth, pred, threshold, one_to_one)
        total = sum(hits.values())
        micro_r = total / sum(n_true.values()) if n_true else 0
        micro_p = total / sum(n_pred.values()) if n_pred else 0
        rs = [hits.get(k, 0) / n for k, n in n_true.items()]
        ps = [hits.get(k, 0) / n for k, n in n_pred.items()]
        macro_r = sum(rs) / len(rs) if rs else 0
        macro_p = sum(ps) / len(ps) if ps else 0
        out.append({
            "threshold": threshold,
            "micro": prf_dict(micro_p, micro_r, f1(micro_r, micro_p)),
            "macro": prf_dict(macro_p, macro_r, f1(macro_r, macro_p)),
        })
    return out


AuprcKind = Literal["trapezoid", "average_precision"]


def _clf_curve(truth: Sequence[bool], scores: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """False and true positive counts at each distinct score, highest first (sklearn's binary curve)."""
    y = np.asarray(truth, dtype=float)
    s = np.asarray(scores, dtype=float)
    order = np.argsort(s, kind="mergesort")[::-1]
    s, y = s[order], y[order]
    idx = np.flatnonzero(s[1:] != s[:-1])
    idx = np.append(idx, y.size - 1)
    tps = np.cumsum(y)[idx]
    return 1 + idx - tps, tps


def _pr_from_counts(fps: np.ndarray, tps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ps = tps + fps
    precision = np.divide(tps, ps, out=np.zeros_like(tps), where=ps != 0)
    recall = np.ones_like(tps) if tps[-1] == 0 else tps / tps[-1]
    return np.append(precision[::-1], 1.0), np.append(recall[::-1], 0.0)


def precision_recall_curve(truth: Sequence[bool], scores: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall at every distinct threshold, recall decreasing, ending at (1, 0) as in
    sklearn >= 1.1 (recall is 1 everywhere when there is no positive, as sklearn sets it)."""
    return _pr_from_counts(*_clf_curve(truth, scores))


def trapezoid_area(x: np.ndarray, y: np.ndarray) -> float:
    """Area under a monotonic curve (sklearn's ``auc``)."""
    dx = np.diff(x)
    direction = 1.0
    if np.any(dx < 0):
        if not np.all(dx <= 0):
            raise ValueError("x is neither increasing nor decreasing")
        direction = -1.0
    return float(direction * np.trapezoid(y, x))


def average_precision(truth: Sequence[bool], scores: Sequence[float]) -> float:
    """Step-wise area under the precision-recall curve (sklearn's ``average_precision_score``)."""
    precision, recall = precision_recall_curve(truth, scores)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def roc_auc(truth: Sequence[bool], scores: Sequence[float]) -> float:
    """Area under the ROC curve (sklearn's ``roc_auc_score``); needs both classes."""
    return _roc_from_counts(*_clf_curve(truth, scores))


def _roc_from_counts(fps: np.ndarray, tps: np.ndarray) -> float:
    fps, tps = np.concatenate(([0.0], fps)), np.concatenate(([0.0], tps))
    return trapezoid_area(fps / fps[-1], tps / tps[-1])


def auprc(truth: Sequence[bool], scores: Sequence[float], kind: AuprcKind = "trapezoid") -> float:
    """Area under the precision-recall curve of one key.

    ``"trapezoid"`` (official) integrates the precision-recall curve with the trapezoidal rule
    (sklearn's ``auc(recall, precision)``), which interpolates linearly between operating points and so
    over-estimates the area; ``"average_precision"`` is the step-wise estimate (Davis & Goadrich, 2006).
    Both are numpy re-implementations of sklearn's (>= 1.1) functions, about 50x faster per call; tests
    check them against sklearn.
    """
    if kind == "average_precision":
        return average_precision(truth, scores)
    precision, recall = precision_recall_curve(truth, scores)
    return trapezoid_area(recall, precision)


def single_class(truth: Sequence[bool]) -> bool:
    """Whether a gold mask is all-positive or all-negative (AP and ROC-AUC are undefined then)."""
    return all(truth) or not any(truth)


def soft_scores(truth: Mapping[Key, Sequence[bool]], scores: Mapping[Key, Sequence[float]],
                auprc_kind: AuprcKind = "trapezoid") -> dict[str, float]:
    """ERASER ``token_soft_metrics`` / ``sentence_soft_metrics`` over scored keys.

    ``auprc`` averages over every key of ``scores``; ``average_precision`` and ``roc_auc_score`` skip keys
    whose gold is all-positive or all-negative (NaN when every key is skipped, as the scorer gives).
    """
    if not scores:
        return {"auprc": 0.0, "average_precision": 0.0, "roc_auc_score": 0.0}
    aucs, aps, rocs = [], [], []
    for k, s in scores.items():
        t = truth[k]
        fps, tps = _clf_curve(t, s)  # one sort per key serves all three metrics
        precision, recall = _pr_from_counts(fps, tps)
        ap = float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))
        aucs.append(ap if auprc_kind == "average_precision" else trapezoid_area(recall, precision))
        if single_class(t):
            continue
        aps.append(ap)
        rocs.append(_roc_from_counts(fps, tps))
    return {
        "auprc": float(np.average(aucs)),
        "average_precision": float(np.average(aps)) if aps else float("nan"),
        "roc_auc_score": float(np.average(rocs)) if rocs else float("nan"),
    }

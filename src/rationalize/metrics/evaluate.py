"""Score an ERASER results file: the official score-file dict, per-example metrics, a terminal table.

:func:`evaluate` returns exactly what the official ERASER scorer (``rationale_benchmark/metrics.py``,
DeYoung et al., ACL 2020) writes to its ``--score_file``: the same keys, the same nesting, the same
numbers (checked to 1e-6, see ``docs/evaluation.md``). Like the scorer it decides *what* to score from
the first results line: hard-span metrics (``iou_scores``, ``rationale_prf``, ``token_prf``) when its
first rationale has hard predictions, ``token_soft_metrics`` / ``sentence_soft_metrics`` when it has
soft token / sentence scores, ``classification_scores`` when it has a classification (faithfulness and
AOPC inside it when it has those fields). Gold is the union of every evidence group of every scored
annotation.

A results file that covers part of the split (``explain --limit 20``) is scored on the annotations it
covers, by default; ``missing_as_empty=True`` scores the whole split as the official scorer does, every
annotation without a results line counting as an empty prediction (it lowers recall and instance-macro
precision). With full coverage both give the official numbers. :func:`coverage` tells how many are covered.

Where the scorer would crash, we answer instead: no predictions or no gold at all give 0; scored
annotations without a classification are left out of the classification report (``missing="skip"``,
the default, logs how many); ``missing="error"`` raises for any annotation of the split without a
prediction.

Corrected variants, each off by default for comparability with published tables:

* ``iou_matching="one_to_one"``: each gold span can match one prediction (recall <= 1);
* ``auprc="average_precision"``: step-wise AUPRC instead of the trapezoid, which over-estimates it;
* ``aopc_zero_term=True``: AOPC averaged over K + 1 terms including the k = 0 term (Samek et al., 2017);
* ``detect="any_line"``: score a metric family when any line has its fields, not only the first.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rationalize.data.results import Result
from rationalize.data.schema import Dataset, Example
from rationalize.errors import DataError
from rationalize.metrics import faithfulness as F
from rationalize.metrics import plausibility as P
from rationalize.metrics import task as T

log = logging.getLogger(__name__)

DEFAULT_AOPC = (0.01, 0.05, 0.1, 0.2, 0.5)


def _load(dataset: Dataset, split: str, results: str | Path | Sequence[Result]) -> list[Result]:
    from rationalize.metrics.validate import validate_results

    if isinstance(results, (str, Path)):
        return validate_results(dataset, split, results)
    return list(results)


def coverage(dataset: Dataset, split: str, results: Sequence[Result]) -> tuple[int, int]:
    """``(annotations of split with a results line, annotations of split)``."""
    ids = {r.annotation_id for r in results}
    examples = dataset[split]
    return sum(ex.id in ids for ex in examples), len(examples)


def gold_spans(examples: Sequence[Example]) -> dict[tuple[str, str], set[tuple[int, int]]]:
    """(annotation, docid) -> set of gold spans, all evidence groups merged."""
    out: dict[tuple[str, str], set[tuple[int, int]]] = defaultdict(set)
    for ex in examples:
        for ev in ex.evidences:
            out[(ex.id, ev.docid)].add((ev.start_token, ev.end_token))
    return dict(out)


def predicted_spans(results: Sequence[Result]) -> dict[tuple[str, str], set[tuple[int, int]]]:
    """Hard predicted spans of results, keyed by (annotation id, document id), duplicates merged."""
    out: dict[tuple[str, str], set[tuple[int, int]]] = defaultdict(set)
    for res in results:
        for rat in res.rationales:
            for span in rat.hard:
                out[(res.annotation_id, rat.docid)].add(tuple(span))
    return dict(out)


def _truth_masks(dataset: Dataset, examples: Sequence[Example], sentences: bool) -> dict[tuple[str, str], list[bool]]:
    """Gold position masks per key, built as the scorer builds them (Python indexing of evidence
    offsets; positions outside the document are ignored where the scorer would crash)."""
    masks: dict[tuple[str, str], list[bool]] = {}
    for ex in examples:
        for ev in ex.evidences:
            doc = dataset.documents.get(ev.docid)
            if doc is None:
                continue
            key = (ex.id, ev.docid)
            n = len(doc.sentences) if sentences else len(doc)
            mask = masks.setdefault(key, [False] * n)
            start, end = (ev.start_sentence, ev.end_sentence) if sentences else (ev.start_token, ev.end_token)
            for t in range(start, end):
                if -n <= t < n:
                    mask[t] = True
    return masks


def _soft(dataset: Dataset, examples: Sequence[Example], results: Sequence[Result], sentences: bool,
          auprc: P.AuprcKind) -> dict[str, float]:
    masks = _truth_masks(dataset, examples, sentences)
    truth, scores = {}, {}
    for res in results:
        for rat in res.rationales:
            s = rat.soft_sentences if sentences else rat.soft
            if s is None:
                continue
            key = (res.annotation_id, rat.docid)
            doc = dataset.documents[rat.docid]
            n = len(doc.sentences) if sentences else len(doc)
            truth[key] = masks.get(key, [False] * n)
            scores[key] = s
    return P.soft_scores(truth, scores, auprc)


def _first(results: Sequence[Result], detect: str, test) -> bool:
    if not results:
        return False
    if detect == "any_line":
        return any(test(r) for r in results)
    return test(results[0])


def _has_hard(r: Result) -> bool:
    return bool(r.rationales) and bool(r.rationales[0].hard)


def _has_soft(r: Result) -> bool:
    return bool(r.rationales) and r.rationales[0].soft is not None


def _has_soft_sent(r: Result) -> bool:
    return bool(r.rationales) and r.rationales[0].soft_sentences is not None


def _thresholds_of(results: Sequence[Result]) -> list[float]:
    return sorted({t.threshold for r in results for t in (r.thresholded_scores or [])})


def _binned(res: Result, field: str, thresholds: Sequence[float]) -> dict[float, dict[str, float]]:
    out = {}
    for t in thresholds:
        match = [ts for ts in res.thresholded_scores or [] if math.isclose(ts.threshold, t, rel_tol=0, abs_tol=1e-12)]
        if not match:
            have = sorted(ts.threshold for ts in res.thresholded_scores or [])
            raise DataError("<results>", None, "thresholded_scores",
                            f"annotation {res.annotation_id!r} has no AOPC bin {t} (it has {have})")
        out[t] = getattr(match[0], field)
    return out


def classification_scores(dataset: Dataset, split: str, results: Sequence[Result],
                          aopc_thresholds: Sequence[float] | None = DEFAULT_AOPC,
                          aopc_zero_term: bool = False, missing: Literal["skip", "error"] = "skip",
                          examples: Sequence[Example] | None = None) -> dict[str, Any]:
    """ERASER ``classification_scores``: accuracy, the sklearn report, comprehensiveness, sufficiency,
    their entropy and KL variants and AOPC (score and per-bin points), over ``examples`` (default: the
    whole split)."""
    by_id = {r.annotation_id: r for r in results}
    examples = [ex for ex in (dataset[split] if examples is None else examples) if ex.label is not None]
    labels = sorted({ex.label for ex in examples})
    y_true, y_pred = [], []
    absent = [ex.id for ex in examples if ex.id not in by_id or by_id[ex.id].classification is None]
    if absent:
        if missing == "error":
            raise DataError("<results>", None, "annotation_id",
                            f"{len(absent)} annotations of split {split!r} have no prediction (first: {absent[0]!r})")
        log.warning("%d of %d annotations of split %r have no prediction; left out of the classification report",
                    len(absent), len(examples), split)
    for ex in examples:
        res = by_id.get(ex.id)
        if res is None or res.classification is None:
            continue
        y_true.append(ex.label)
        y_pred.append(res.classification)
    labels += sorted(set(y_pred) - set(labels))
    out: dict[str, Any] = {
        "accuracy": T.accuracy(y_true, y_pred),
        "prf": T.classification_prf(y_true, y_pred, labels),
    }
    first = results[0]
    full = [r.classification_scores for r in results]
    pred = [r.classification for r in results]
    for name, field in (("comprehensiveness", "comprehensiveness_classification_scores"),
                        ("sufficiency", "sufficiency_classification_scores")):
        if getattr(first, field) is not None:
            perturbed = [getattr(r, field) for r in results]
            out[name] = float(np.average(F.prob_drops(full, perturbed, pred)))
            out[f"{name}_entropy"] = F.mean_entropy_drop(full, perturbed)
            out[f"{name}_kl"] = F.mean_kl(full, perturbed)
        else:
            out[name] = out[f"{name}_entropy"] = out[f"{name}_kl"] = None
    if first.thresholded_scores is not None:
        thresholds = list(aopc_thresholds) if aopc_thresholds is not None else _thresholds_of(results)
        out["aopc_thresholds"] = thresholds
        for name, field in (("comprehensiveness", "comprehensiveness_classification_scores"),
                            ("sufficiency", "sufficiency_classification_scores")):
            binned = [_binned(r, field, thresholds) for r in results]
            score, points = F.aopc(full, binned, pred, thresholds, include_zero=aopc_zero_term)
            out[f"{name}_aopc"] = score
            out[f"{name}_aopc_points"] = points
    else:
        out["aopc_thresholds"] = None
        for name in ("comprehensiveness", "sufficiency"):
            out[f"{name}_aopc"] = out[f"{name}_aopc_points"] = None
    order = ["accuracy", "prf", "comprehensiveness", "sufficiency", "comprehensiveness_entropy",
             "comprehensiveness_kl", "sufficiency_entropy", "sufficiency_kl", "aopc_thresholds",
             "comprehensiveness_aopc", "comprehensiveness_aopc_points", "sufficiency_aopc", "sufficiency_aopc_points"]
    return {k: out[k] for k in order}


def evaluate(dataset: Dataset, split: str, results: str | Path | Sequence[Result],
             iou_thresholds: Sequence[float] = (0.5,), aopc_thresholds: Sequence[float] | None = DEFAULT_AOPC, *,
             iou_matching: Literal["best", "one_to_one"] = "best",
             auprc: P.AuprcKind = "trapezoid", aopc_zero_term: bool = False,
             detect: Literal["first_line", "any_line"] = "first_line",
             missing: Literal["skip", "error"] = "skip", missing_as_empty: bool = False) -> dict[str, Any]:
    """The official ERASER score dict for ``results`` (a path is validated first) on ``dataset[split]``.

    Only the annotations the results cover are scored unless ``missing_as_empty`` (then every annotation of
    the split is, those without a line as empty predictions, as the official scorer does).
    ``aopc_thresholds=None`` uses every threshold found in the results. See the module docstring for
    the corrected variants behind ``iou_matching``, ``auprc``, ``aopc_zero_term`` and ``detect``.
    """
    results = _load(dataset, split, results)
    ids = {r.annotation_id for r in results}
    examples = dataset[split]
    uncovered = [ex.id for ex in examples if ex.id not in ids]
    if uncovered and missing == "error":
        raise DataError("<results>", None, "annotation_id", f"{len(uncovered)} annotations of split {split!r} "
                        f"have no prediction (first: {uncovered[0]!r})")
    if not missing_as_empty:
        examples = [ex for ex in examples if ex.id in ids]
    scores: dict[str, Any] = {}
    if _first(results, detect, _has_hard):
        truth, pred = gold_spans(examples), predicted_spans(results)
        if iou_thresholds is not None:
            scores["iou_scores"] = P.iou_f1(truth, pred, list(iou_thresholds), one_to_one=iou_matching == "one_to_one")
        scores["rationale_prf"] = P.span_prf(truth, pred)
        scores["token_prf"] = P.token_prf(truth, pred)
    if _first(results, detect, _has_soft):
        scores["token_soft_metrics"] = _soft(dataset, examples, results, False, auprc)
    if _first(results, detect, _has_soft_sent):
        scores["sentence_soft_metrics"] = _soft(dataset, examples, results, True, auprc)
    if _first(results, detect, lambda r: r.classification is not None):
        with_cls = [r for r in results if r.classification is not None] if detect == "any_line" else results
        scores["classification_scores"] = classification_scores(
            dataset, split, with_cls, aopc_thresholds, aopc_zero_term, missing, examples)
    return scores


def per_example_metrics(dataset: Dataset, split: str, results: str | Path | Sequence[Result],
                        iou_threshold: float = 0.5) -> dict[str, dict[str, Any]]:
    """Per annotation: gold and predicted label, token P/R/F1, IOU P/R/F1 at ``iou_threshold``, token
    AUPRC (mean over its documents), comprehensiveness, sufficiency and AOPC (mean over bins); a metric
    the line has no inputs for is ``None``. Used by the viewer to sort and filter examples."""
    results = _load(dataset, split, results)
    index = dataset.example_index(split)
    masks = _truth_masks(dataset, dataset[split], False)
    out: dict[str, dict[str, Any]] = {}
    for res in results:
        ex = index.get(res.annotation_id)
        gold = gold_spans([ex]) if ex is not None else {}
        pred = predicted_spans([res])
        row: dict[str, Any] = {"label": ex.label if ex else None, "predicted": res.classification,
                               "correct": (ex is not None and res.classification is not None
                                           and res.classification == ex.label)}
        gt, pt = P.to_tokens(gold), P.to_tokens(pred)
        n_hit = sum(len(gt.get(k, set()) & v) for k, v in pt.items())
        n_p, n_g = sum(map(len, pt.values())), sum(map(len, gt.values()))
        tp, tr = (n_hit / n_p if n_p else 0.0), (n_hit / n_g if n_g else 0.0)
        row.update(token_p=tp, token_r=tr, token_f1=P.f1(tp, tr))
        hits = sum(P.iou_hits(gold, pred, iou_threshold).values())
        s_p, s_g = sum(map(len, pred.values())), sum(map(len, gold.values()))
        ip, ir = (hits / s_p if s_p else 0.0), (hits / s_g if s_g else 0.0)
        row.update(iou_p=ip, iou_r=ir, iou_f1=P.f1(ip, ir))
        aucs = [P.auprc(masks.get((res.annotation_id, r.docid), [False] * len(r.soft)), r.soft)
                for r in res.rationales if r.soft is not None]
        row["token_auprc"] = sum(aucs) / len(aucs) if aucs else None
        y, full = res.classification, res.classification_scores
        for name, field in (("comprehensiveness", "comprehensiveness_classification_scores"),
                            ("sufficiency", "sufficiency_classification_scores")):
            q = getattr(res, field)
            row[name] = full[y] - q[y] if (y and full and q and y in q) else None
            bins = [getattr(t, field) for t in res.thresholded_scores or []]
            row[f"{name}_aopc"] = (sum(full[y] - b[y] for b in bins) / len(bins)) if (y and full and bins) else None
        out[res.annotation_id] = row
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def format_scores(scores: dict[str, Any]) -> str:
    """A readable table of a score dict (what ``rationalize evaluate`` prints)."""
    lines: list[str] = []

    def row(name: str, *vals: Any) -> None:
        lines.append(f"  {name:<28}" + "".join(f"{_fmt(v):>10}" for v in vals))

    for key, title in (("token_prf", "token P/R/F1"), ("rationale_prf", "exact span P/R/F1")):
        if key in scores:
            lines.append(f"{title:<30}{'P':>10}{'R':>10}{'F1':>10}")
            for avg in ("instance_micro", "instance_macro"):
                s = scores[key][avg]
                row(avg.split("_")[1], s["p"], s["r"], s["f1"])
    for s in scores.get("iou_scores", []):
        lines.append(f"IOU F1 @ {s['threshold']}")
        for avg in ("micro", "macro"):
            row(avg, s[avg]["p"], s[avg]["r"], s[avg]["f1"])
    for key, title in (("token_soft_metrics", "token soft"), ("sentence_soft_metrics", "sentence soft")):
        if key in scores:
            lines.append(f"{title:<30}{'AUPRC':>10}{'AP':>10}{'ROC-AUC':>10}")
            s = scores[key]
            row("", s["auprc"], s["average_precision"], s["roc_auc_score"])
    c = scores.get("classification_scores")
    if c:
        lines.append("classification")
        row("accuracy", c["accuracy"])
        row("macro F1", c["prf"]["macro avg"]["f1-score"])
        lines.append(f"{'faithfulness':<30}{'score':>10}{'entropy':>10}{'KL':>10}{'AOPC':>10}")
        for name in ("comprehensiveness", "sufficiency"):
            row(name, c[name], c[f"{name}_entropy"], c[f"{name}_kl"], c[f"{name}_aopc"])
        if c.get("aopc_thresholds"):
            lines.append(f"{'AOPC points':<30}" + "".join(f"{t:>10}" for t in c["aopc_thresholds"]))
            for name in ("comprehensiveness", "sufficiency"):
                row(name, *c[f"{name}_aopc_points"])
    return "\n".join(lines)

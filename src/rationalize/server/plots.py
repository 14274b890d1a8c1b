"""Summary plots as plain Plotly figure dictionaries (``{"data": [...], "layout": {...}}``).

Built without importing plotly's Python package, so they cost nothing at start-up; the page (viewer or
report) draws them with plotly.js, served from the installed ``plotly`` package (never a CDN).

* precision-recall curves of each results file's soft token scores against the human rationale,
  pooled over all (example, document) tokens of the split, plus the hard rationale's micro token P/R
  from ``evaluate`` (``token_prf.instance_micro``);
* AOPC curves (DeYoung et al., 2020): the per-bin points of ``evaluate`` (mean comprehensiveness and
  sufficiency of the predicted class at each fraction of document tokens removed or kept);
* distributions of rationale length (tokens per example), human and predicted.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
MAX_CURVE_POINTS = 300


def _layout(title: str, x: str, y: str, **extra: Any) -> dict[str, Any]:
    layout = {
        "title": {"text": title}, "xaxis": {"title": {"text": x}}, "yaxis": {"title": {"text": y}},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "height": 380, "legend": {"orientation": "h", "y": -0.2},
    }
    layout.update(extra)
    return layout


def _thin(x: np.ndarray, y: np.ndarray, n: int = MAX_CURVE_POINTS) -> tuple[list[float], list[float]]:
    if len(x) > n:
        idx = np.unique(np.linspace(0, len(x) - 1, n).round().astype(int))
        x, y = x[idx], y[idx]
    return [round(float(v), 5) for v in x], [round(float(v), 5) for v in y]


def pr_figure(state: Any) -> dict[str, Any]:
    """Precision-recall curves of soft token scores (pooled) and one marker per hard rationale."""
    from sklearn.metrics import precision_recall_curve

    data: list[dict[str, Any]] = []
    notes = []
    for ri, run in enumerate(state.runs):
        color = COLORS[ri % len(COLORS)]
        y_true: list[np.ndarray] = []
        y_score: list[np.ndarray] = []
        n_pred = 0
        for ex in state.examples:
            res = run.results.get(ex.id)
            for docid in ex.docids:
                doc = state.dataset.doc(docid)
                rat = res.rationale_for(docid) if res is not None else None
                if rat is None:
                    continue
                n_pred += len(rat.hard)
                if rat.soft is not None and len(rat.soft) == len(doc):
                    y_true.append(np.asarray(ex.gold_token_mask(doc), dtype=bool))
                    y_score.append(np.asarray(rat.soft, dtype=float))
        if y_true:
            t, s = np.concatenate(y_true), np.concatenate(y_score)
            if t.any() and not t.all():
                precision, recall, _ = precision_recall_curve(t, np.nan_to_num(s))
                rx, py = _thin(recall[::-1], precision[::-1])
                data.append({"type": "scatter", "mode": "lines", "name": f"{run.name} (soft)", "x": rx, "y": py,
                             "line": {"color": color}})
        else:
            notes.append(run.name)
        micro = (run.scores.get("token_prf") or {}).get("instance_micro")
        if micro and n_pred:
            data.append({"type": "scatter", "mode": "markers", "name": f"{run.name} (hard, micro)",
                         "x": [micro["r"]], "y": [micro["p"]],
                         "marker": {"color": color, "size": 11, "symbol": "diamond"}})
    title = "Token precision-recall vs human rationale"
    if notes:
        title += f" (no soft scores: {', '.join(notes)})"
    return {"data": data, "layout": _layout(title, "recall", "precision", xaxis={"title": {"text": "recall"},
                                                                                "range": [0, 1.02]},
                                            yaxis={"title": {"text": "precision"}, "range": [0, 1.02]})}


def aopc_figure(state: Any) -> dict[str, Any]:
    """AOPC curves (comprehensiveness and sufficiency per bin) of every results file that has thresholded scores."""
    data = []
    missing = []
    for ri, run in enumerate(state.runs):
        cls = run.scores.get("classification_scores") or {}
        bins = cls.get("aopc_thresholds")
        if not bins or cls.get("comprehensiveness_aopc_points") is None:
            missing.append(run.name)
            continue
        color = COLORS[ri % len(COLORS)]
        bins = sorted(bins)  # the points are in ascending threshold order
        data.append({"type": "scatter", "mode": "lines+markers", "name": f"{run.name} comprehensiveness",
                     "x": bins, "y": cls["comprehensiveness_aopc_points"], "line": {"color": color}})
        data.append({"type": "scatter", "mode": "lines+markers", "name": f"{run.name} sufficiency",
                     "x": bins, "y": cls["sufficiency_aopc_points"], "line": {"color": color, "dash": "dot"}})
    title = "AOPC curves over bins"
    if missing:
        title += f" (no thresholded scores: {', '.join(missing)})"
    return {"data": data, "layout": _layout(title, "fraction of document tokens (bin)", "mean score",
                                            xaxis={"title": {"text": "fraction of document tokens (bin)"},
                                                   "type": "log"})}


def length_figure(state: Any) -> dict[str, Any]:
    """Histograms of tokens per example: human rationale and each file's hard rationale."""
    series = [("human", state.gold_lengths, "#555")]
    for ri, run in enumerate(state.runs):
        series.append((run.name, [r["length"] for r in run.rows if r["length"] is not None], COLORS[ri % len(COLORS)]))
    top = max((max(x, default=0) for _, x, _ in series), default=0)
    size = max(1, math.ceil((top + 1) / 40))  # the same bins for every series, so bars line up
    data = [{"type": "histogram", "name": name, "x": x, "opacity": 0.55, "marker": {"color": color},
             "xbins": {"start": -0.5, "end": top + size, "size": size}} for name, x, color in series]
    return {"data": data, "layout": _layout("Rationale length per example", "tokens", "examples",
                                            barmode="overlay")}


def summary_figures(state: Any) -> dict[str, dict[str, Any]]:
    """All summary plots by name: ``pr``, ``aopc`` and ``lengths``."""
    return {"pr": pr_figure(state), "aopc": aopc_figure(state), "lengths": length_figure(state)}


def plotly_js() -> str:
    """plotly.js from the installed ``plotly`` package (the viewer extra), for offline pages."""
    try:
        from importlib.resources import files

        return (files("plotly") / "package_data" / "plotly.min.js").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ModuleNotFoundError(
            "plots need the 'plotly' package (it ships plotly.js): pip install 'rationalize[viewer]'"
        ) from exc

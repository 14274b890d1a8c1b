"""The performance–plausibility trade-off plot: one point per trained model, the Pareto front marked.

Input is a benchmark summary as ``benchmarks/supervision.py`` writes it: a JSON object with ``points`` (one
per model: its λ, supervised fraction and metrics, each a number or a ``{"mean": ..., "ci95": ...}``
interval) and ``pareto_axes`` (the performance and the plausibility key). A point is on the **Pareto front**
when no other point is at least as good on both axes and better on one (Herrewijnen et al., 2024, study
this front for training with human rationales). The figure is a plain Plotly dictionary, as every plot of
the viewer and the report (:mod:`rationalize.server.plots`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rationalize.errors import DataError

#: the axes when a summary does not name its own: (performance, plausibility)
DEFAULT_AXES = ("macro_f1", "token_f1")


@dataclass(frozen=True)
class TradeoffPoint:
    """One trained model: its name, performance (x), plausibility (y) and their 95% half-widths."""

    name: str
    performance: float
    plausibility: float
    performance_ci: float | None = None
    plausibility_ci: float | None = None


def pareto_front(points: Sequence[tuple[float, float]]) -> list[bool]:
    """For each ``(performance, plausibility)`` point, whether no other point is at least as good on both
    axes and strictly better on one (equal points are all on the front)."""
    out = []
    for i, (a, b) in enumerate(points):
        out.append(not any(c >= a and d >= b and (c > a or d > b) for j, (c, d) in enumerate(points) if j != i))
    return out


def _value(v: Any) -> tuple[float | None, float | None]:
    if isinstance(v, dict):
        return v.get("mean"), v.get("ci95")
    return (None, None) if v is None else (float(v), None)


def _name(p: dict[str, Any]) -> str:
    if "name" in p:
        return str(p["name"])
    lam, frac = p.get("lambda", 0), p.get("fraction", 0)
    if not lam:
        return "unsupervised"
    target = f"{p['target']}, " if p.get("target") else ""
    return f"{target}λ {lam:g}, {100 * frac:g}% supervised"


def tradeoff_points(summary: dict[str, Any], source: str = "summary") -> tuple[list[TradeoffPoint], tuple[str, str]]:
    """The points of a benchmark ``summary`` on its ``pareto_axes`` (default :data:`DEFAULT_AXES`); points
    missing a value are left out. A summary without ``points`` raises :class:`~rationalize.errors.DataError`."""
    if not isinstance(summary, dict) or not isinstance(summary.get("points"), list):
        raise DataError(source, None, "points", "is not a benchmark summary (no 'points' list)")
    x_key, y_key = tuple(summary.get("pareto_axes") or DEFAULT_AXES)
    out = []
    for p in summary["points"]:
        (x, xci), (y, yci) = _value(p.get(x_key)), _value(p.get(y_key))
        if x is None or y is None or math.isnan(x) or math.isnan(y):
            continue
        out.append(TradeoffPoint(_name(p), float(x), float(y), xci, yci))
    return out, (x_key, y_key)


def read_tradeoff(path: str | Path) -> tuple[list[TradeoffPoint], tuple[str, str]]:
    """:func:`tradeoff_points` of a summary JSON file."""
    path = Path(path)
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(path, None, None, f"cannot be read as JSON ({exc})") from exc
    return tradeoff_points(summary, str(path))


def tradeoff_figure(points: Sequence[TradeoffPoint], axes: tuple[str, str] = DEFAULT_AXES,
                    title: str = "Performance vs plausibility") -> dict[str, Any]:
    """A scatter of every point (error bars: 95% intervals), the Pareto front drawn as a line through its
    points and listed in ``layout.meta.pareto`` (names), the others in ``layout.meta.dominated``."""
    from rationalize.server.plots import _layout

    front = pareto_front([(p.performance, p.plausibility) for p in points])
    on = sorted((p for p, f in zip(points, front) if f), key=lambda p: p.performance)
    off = [p for p, f in zip(points, front) if not f]

    def trace(ps: Sequence[TradeoffPoint], name: str, **style: Any) -> dict[str, Any]:
        return {"type": "scatter", "name": name, "x": [p.performance for p in ps], "y": [p.plausibility for p in ps],
                "text": [p.name for p in ps], "hovertemplate": "%{text}<br>%{x:.3f}, %{y:.3f}<extra></extra>",
                "error_x": {"type": "data", "array": [p.performance_ci or 0 for p in ps], "visible": True},
                "error_y": {"type": "data", "array": [p.plausibility_ci or 0 for p in ps], "visible": True}, **style}

    data = [trace(off, "dominated", mode="markers+text", textposition="bottom center",
                  marker={"color": "#888", "size": 9}),
            trace(on, "Pareto front", mode="lines+markers+text", textposition="top center",
                  marker={"color": "#d62728", "size": 11, "symbol": "star"}, line={"color": "#d62728", "dash": "dot"})]
    layout = _layout(title, axes[0], axes[1], meta={"pareto": [p.name for p in on], "dominated": [p.name for p in off]})
    return {"data": data, "layout": layout}

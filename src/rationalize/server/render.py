"""Highlighted documents: the one place that turns rationales into HTML (viewer pages and static report).

A document is rendered as sentences of ``<span class="tok" data-i=N>`` elements, one per token, where
``N`` is the document token offset (ERASER offsets), so tests and scripts can read exactly which tokens
are highlighted. Hard rationales add the class ``hl``, the human rationale the class ``gold`` (its own
panel) or ``g`` (overlay on a model panel), and soft scores become a background heat map whose scale is
given by :func:`heat_legend`. Every token is HTML-escaped here: dataset text is untrusted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from rationalize.data.schema import Document, Example

POSITIVE_RGB = (230, 85, 13)  # orange: supports the prediction / selected
NEGATIVE_RGB = (49, 130, 189)  # blue: negative attribution
MAX_ALPHA = 0.85


def heat_color(score: float, scale: float) -> str:
    """CSS colour of a soft score on a symmetric scale ``[-scale, scale]`` (transparent at 0)."""
    if not scale or math.isnan(score):
        return "transparent"
    alpha = min(abs(score) / scale, 1.0) * MAX_ALPHA
    r, g, b = POSITIVE_RGB if score >= 0 else NEGATIVE_RGB
    return f"rgba({r},{g},{b},{alpha:.3f})"


def soft_scale(soft: Sequence[float] | None) -> float:
    """Largest absolute finite soft score (0 when there is none): the heat map's full-colour value."""
    if not soft:
        return 0.0
    finite = [abs(x) for x in soft if not math.isnan(x) and not math.isinf(x)]
    return max(finite, default=0.0)


def heat_legend(scale: float, signed: bool) -> Markup:
    """A colour bar with its end values: ``[-scale, 0, scale]`` when scores can be negative, else ``[0, scale]``."""
    stops = []
    lo = -scale if signed else 0.0
    for k in range(11):
        v = lo + (scale - lo) * k / 10
        stops.append(heat_color(v, scale) if v else "rgba(255,255,255,1)")
    gradient = ", ".join(stops)
    return Markup(
        '<span class="legend"><span class="legend-lo">{lo}</span>'
        '<span class="legend-bar" style="background:linear-gradient(to right, {g})"></span>'
        '<span class="legend-hi">{hi}</span></span>'
    ).format(lo=f"{lo:.3g}", g=Markup(gradient), hi=f"{scale:.3g}")


def render_tokens(
    doc: Document,
    hard: Sequence[bool] | None = None,
    soft: Sequence[float] | None = None,
    soft_sentences: Sequence[float] | None = None,
    gold: Sequence[bool] | None = None,
    gold_class: str = "g",
    scale: float | None = None,
) -> Markup:
    """The document as HTML: one ``<p class="sent">`` per sentence, one escaped ``<span>`` per token.

    ``hard`` marks predicted tokens (class ``hl``), ``gold`` human-rationale tokens (``gold_class``),
    ``soft`` colours each token's background on ``[-scale, scale]`` (default: the largest absolute
    score), ``soft_sentences`` colours a marker before each sentence. Soft lists shorter than the
    document leave the remaining tokens uncoloured (validation rejects those in results files).
    """
    if scale is None:
        scale = soft_scale(soft)
    sent_scale = soft_scale(soft_sentences)
    parts: list[str] = []
    # Tokens outside every sentence would be lost; render them as a trailing pseudo-sentence.
    bounds = list(doc.sentences)
    covered = sum(e - s for s, e in bounds)
    if covered < len(doc.tokens) and (not bounds or bounds[-1][1] < len(doc.tokens)):
        bounds.append((bounds[-1][1] if bounds else 0, len(doc.tokens)))
    for si, (s, e) in enumerate(bounds):
        parts.append(f'<p class="sent" data-s="{si}">')
        if soft_sentences is not None and si < len(soft_sentences):
            v = soft_sentences[si]
            parts.append(f'<span class="sent-score" title="sentence score {v:.4g}" '
                         f'style="background-color:{heat_color(v, sent_scale)}"></span>')
        for t in range(s, min(e, len(doc.tokens))):
            classes = ["tok"]
            if hard is not None and t < len(hard) and hard[t]:
                classes.append("hl")
            if gold is not None and t < len(gold) and gold[t]:
                classes.append(gold_class)
            attrs = f'class="{" ".join(classes)}" data-i="{t}"'
            if soft is not None and t < len(soft):
                v = soft[t]
                attrs += f' style="background-color:{heat_color(v, scale)}" title="{v:.4g}"'
            parts.append(f"<span {attrs}>{escape(doc.tokens[t])}</span> ")
        parts.append("</p>")
    return Markup("".join(parts))


@dataclass
class Panel:
    """One highlighted copy of a document: the human rationale or one results file's rationale."""

    title: str
    kind: str  # "gold" or "run"
    html: Markup
    run: int | None = None
    hard_tokens: int = 0
    has_soft: bool = False
    legend: Markup | None = None


@dataclass
class DocView:
    """One document of an example page: its id, length and highlighted panels."""
    docid: str
    n_tokens: int
    panels: list[Panel] = field(default_factory=list)


def document_views(state: Any, example: Example) -> list[DocView]:
    """For each document of ``example``: a human-rationale panel and one panel per results file
    (hard spans highlighted, soft scores as a heat map with its legend, the human rationale overlaid)."""
    from rationalize.server.state import predicted_mask

    views = []
    for docid in example.docids:
        doc = state.dataset.doc(docid)
        gold = example.gold_token_mask(doc)
        view = DocView(docid, len(doc))
        view.panels.append(Panel("Human rationale", "gold", render_tokens(doc, gold=gold, gold_class="gold"),
                                 hard_tokens=sum(gold)))
        for ri, run in enumerate(state.runs):
            res = run.results.get(example.id)
            hard = predicted_mask(res, doc)
            rat = res.rationale_for(docid) if res is not None else None
            soft = rat.soft if rat is not None else None
            sents = rat.soft_sentences if rat is not None else None
            scale = soft_scale(soft)
            legend = None
            if soft is not None:
                legend = heat_legend(scale, signed=any(x < 0 for x in soft))
            html = render_tokens(doc, hard=hard, soft=soft, soft_sentences=sents, gold=gold, scale=scale)
            view.panels.append(Panel(run.name, "run", html, run=ri, hard_tokens=sum(hard),
                                     has_soft=soft is not None, legend=legend))
        views.append(view)
    return views


def _table_leaves(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _table_leaves(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            tag = f"@{v['threshold']}" if "threshold" in v else f"[{i}]"
            _table_leaves({k: x for k, x in v.items() if k != "threshold"}, f"{prefix}{tag}", out)
    elif isinstance(value, list):
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            out[prefix] = ", ".join(f"{float(v):.4f}" for v in value)
    elif isinstance(value, (int, float, str)) and not isinstance(value, bool):
        out[prefix] = value


def score_rows(score_dicts: Sequence[dict[str, Any]]) -> list[tuple[str, str, list[Any]]]:
    """The ``evaluate`` score files side by side: ``(section, metric, [value per file])`` for every
    leaf (lists of per-threshold objects are keyed ``name@threshold``), in the score file's order."""
    flat = []
    for scores in score_dicts:
        out: dict[str, Any] = {}
        _table_leaves(scores, "", out)
        flat.append(out)
    keys: list[str] = []
    seen: set[str] = set()
    for f in flat:
        for k in f:
            if k not in seen:
                seen.add(k)
                keys.append(k)
    rows = []
    for k in keys:
        cut = min((i for i in (k.find("."), k.find("@")) if i >= 0), default=len(k))
        section, metric = k[:cut], k[cut:].lstrip(".")
        rows.append((section, metric or section, [f.get(k) for f in flat]))
    return rows


#: The headline columns of the summary page: (title, path into the ``evaluate`` score dict).
HEADLINE: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("task macro-F1", ("classification_scores", "prf", "macro avg", "f1-score")),
    ("token F1", ("token_prf", "instance_macro", "f1")),
    ("IOU F1", ("iou_scores", 0, "macro", "f1")),
    ("AUPRC", ("token_soft_metrics", "auprc")),
    ("comprehensiveness", ("classification_scores", "comprehensiveness")),
    ("sufficiency", ("classification_scores", "sufficiency")),
)


def _dig(d: Any, path: Sequence[Any]) -> Any:
    for key in path:
        try:
            d = d[key]
        except (KeyError, IndexError, TypeError):
            return None
    return d


def headline_rows(score_dicts: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """One row per results file of the :data:`HEADLINE` scores (``None`` where a file has no such score)."""
    return [[_dig(scores, path) for _, path in HEADLINE] for scores in score_dicts]


def example_context(state: Any, i: int) -> dict[str, Any]:
    """What the example block shows for example ``i`` of the split (viewer page and report sample):
    the example, each file's result, row and metrics, the union of metric names, the highlighted docs."""
    ex = state.examples[i]
    runs = []
    for run in state.runs:
        runs.append({"run": run, "res": run.results.get(ex.id), "row": run.rows[i],
                     "metrics": run.per_example.get(ex.id, {})})
    metric_keys: list[str] = []
    for run in state.runs:
        metric_keys += [k for k in run.metric_keys if k not in metric_keys]
    return {"ex": ex, "runs": runs, "metric_keys": metric_keys, "views": document_views(state, ex)}

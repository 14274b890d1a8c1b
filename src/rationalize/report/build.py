"""Build the self-contained report: the viewer's templates and plots, with its stylesheet, script and
plotly.js inlined, so the file opens offline and can be attached to a paper or an e-mail."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from markupsafe import Markup

from rationalize.server.state import ViewerState


def sample_examples(state: ViewerState, n: int, seed: int = 0) -> list[int]:
    """Indices of ``n`` examples drawn with ``seed``, half where the first file is correct and half where
    it is wrong when both exist (errors are what readers look for), in split order."""
    if n <= 0:
        return []
    rng = random.Random(seed)
    rows = state.runs[0].rows
    wrong = [r["i"] for r in rows if r["correct"] is False]
    right = [r["i"] for r in rows if r["correct"] is not False]
    n_wrong = min(len(wrong), n // 2) if right else min(len(wrong), n)
    chosen = rng.sample(wrong, n_wrong)
    chosen += rng.sample(right, min(len(right), n - n_wrong))
    return sorted(chosen)


def _inline_script(text: str) -> Markup:
    # A script body must never contain "</script" (it would end the element early).
    return Markup(text.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT"))


def build_report(state: ViewerState, n_examples: int = 10, seed: int = 0, title: str | None = None,
                 tradeoffs: Sequence[str | Path] = ()) -> str:
    """The report's HTML text; each of ``tradeoffs`` (a benchmark summary JSON, e.g.
    ``benchmarks/results/supervision_*.json``) adds a performance-vs-plausibility plot with its Pareto front
    (:mod:`rationalize.report.tradeoff`)."""
    from rationalize.report.tradeoff import read_tradeoff, tradeoff_figure
    from rationalize.server.plots import plotly_js, summary_figures
    from rationalize.server.render import example_context, score_rows
    from rationalize.server.templating import environment, static_text

    env = environment()
    samples = [example_context(state, i) for i in sample_examples(state, n_examples, seed)]
    figures = summary_figures(state)
    for i, path in enumerate(tradeoffs):
        points, axes = read_tradeoff(path)
        figures[f"tradeoff{i}"] = tradeoff_figure(points, axes, f"Performance vs plausibility: {Path(path).name}")
    return env.get_template("report.html").render(
        state=state,
        title=title or f"rationalize report: {state.dataset.name} / {state.split}",
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        score_rows=score_rows([r.scores for r in state.runs]),
        figures=figures,
        samples=samples,
        seed=seed,
        css=Markup(static_text("app.css").replace("</style", "<\\/style")),
        app_js=_inline_script(static_text("app.js")),
        plotly_js=_inline_script(plotly_js()),
    )


def write_report(state: ViewerState, out: str | Path, n_examples: int = 10, seed: int = 0,
                 tradeoffs: Sequence[str | Path] = ()) -> Path:
    """Write the self-contained HTML report (``n_examples`` sampled examples; ``tradeoffs`` as in
    :func:`build_report`) to ``out``; returns the path."""
    out = Path(out)
    html = build_report(state, n_examples, seed, tradeoffs=tradeoffs)  # a bad trade-off file fails before writing
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out

"""Everything the viewer and the report show, computed once from a dataset split and results files.

:class:`ViewerState` loads the results files through :func:`rationalize.metrics.validate_results` (so a
malformed file fails with exactly the errors of ``rationalize evaluate``), precomputes one flat row per
example and results file with :func:`rationalize.metrics.per_example_metrics` and scores every file with
:func:`rationalize.metrics.evaluate` (the table is the ``evaluate`` score file itself; with
``lazy_scores=True`` on first use or in a background thread, as ``rationalize view`` does, so that the
pages that do not need it are up at once). The list page only filters and sorts the rows in memory and
caches each sort order, which keeps it fast on a whole split (FEVER val has 6,122 examples). Nothing here depends on the web framework: the static report (:mod:`rationalize.report`)
uses the same state.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from rationalize.data.results import Result
from rationalize.data.schema import Dataset, Example
from rationalize.errors import DataError

log = logging.getLogger(__name__)

#: Row fields every run has, besides the per-example metrics (also valid ``sort`` keys).
BASE_SORT_KEYS = ("id", "gold", "pred", "prob", "correct", "length")

#: Per-example metrics shown first in the list, when ``per_example_metrics`` provides them (in this order).
PREFERRED_METRICS = (
    "token_f1", "comprehensiveness", "sufficiency", "iou_f1", "token_auprc", "comprehensiveness_aopc",
    "sufficiency_aopc", "token_p", "token_r", "iou_p", "iou_r",
)


@dataclass
class Run:
    """One results file: its rows, its per-example metrics and its ``evaluate`` scores.

    ``scores`` is computed on first access (thread-safe, once): the list and example pages only need
    the per-example metrics, so the viewer can serve them while the score table is still being computed.
    """

    name: str
    path: Path | None
    results: dict[str, Result]
    per_example: dict[str, dict[str, float]]
    metric_keys: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    score_fn: Callable[[], dict[str, Any]] | None = field(default=None, repr=False)
    _scores: dict[str, Any] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def scores(self) -> dict[str, Any]:
        """The ``evaluate`` scores of this file, computed on first access."""
        with self._lock:
            if self._scores is None:
                if self.score_fn is None:
                    raise ValueError(f"results file {self.name!r} has no scores and no way to compute them")
                self._scores = self.score_fn()
            return self._scores

    @property
    def scores_ready(self) -> bool:
        """Whether :attr:`scores` is computed already (it never blocks)."""
        return self._scores is not None


def flatten_numbers(d: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a nested mapping under dotted keys (``{"a": {"b": 1}}`` -> ``{"a.b": 1.0}``);
    booleans, strings and lists are skipped, NaN is kept (it means "not defined for this example")."""
    out: dict[str, float] = {}
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_numbers(value, name + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def _order_metrics(keys: set[str]) -> list[str]:
    first = [k for k in PREFERRED_METRICS if k in keys]
    return first + sorted(keys - set(first))


def _unique_names(paths: Sequence[Path | str]) -> list[str]:
    names: list[str] = []
    for p in paths:
        base = Path(p).stem or "results"
        name, i = base, 2
        while name in names:
            name, i = f"{base}-{i}", i + 1
        names.append(name)
    return names


class ViewerState:
    """A dataset split plus one or more results files, with everything the pages need precomputed.

    Build it with :meth:`from_paths` (validates files) or directly from already validated results.
    """

    def __init__(
        self,
        dataset: Dataset,
        split: str,
        results: Sequence[Sequence[Result]],
        names: Sequence[str] | None = None,
        paths: Sequence[Path | None] | None = None,
        progress: bool = False,
        lazy_scores: bool = False,
    ) -> None:
        from rationalize.metrics import per_example_metrics
        from rationalize.progress import Progress

        if not results:
            raise ValueError("the viewer needs at least one results file")
        self.dataset = dataset
        self.split = split
        self.examples: list[Example] = list(dataset[split])
        self.index: dict[str, int] = {ex.id: i for i, ex in enumerate(self.examples)}
        self.labels: list[str] = list(dataset.labels)
        names = list(names) if names is not None else [f"run{i + 1}" for i in range(len(results))]
        paths = list(paths) if paths is not None else [None] * len(results)
        # Lower-cased searchable text: id, query and document text (documents are shared by examples).
        doc_text = {d: " ".join(dataset.doc(d).tokens).lower() for ex in self.examples for d in ex.docids}
        self._search = [
            " ".join([ex.id.lower(), (ex.query or "").lower(), *(doc_text[d] for d in ex.docids)])
            for ex in self.examples
        ]
        self._orders: dict[tuple[int, str, bool], list[int]] = {}
        self.scoring_thread: threading.Thread | None = None
        # What the list shows per example: the query, else the start of the first document.
        self._snippets = [
            ex.query or (" ".join(dataset.doc(ex.docids[0]).tokens[:20]) if ex.docids else "")
            for ex in self.examples
        ]
        self.gold_lengths = [dataset.rationale_length(ex) for ex in self.examples]
        self.runs: list[Run] = []
        bar = Progress((1 if lazy_scores else 2) * len(results), "scoring", "step", enabled=progress)
        for name, path, res in zip(names, paths, results):
            res = list(res)
            bar.set_postfix_str(f"{name}: per-example metrics")
            per_ex = {
                aid: flatten_numbers(m) for aid, m in per_example_metrics(dataset, split, res).items()
            }
            keys: set[str] = set()
            for m in per_ex.values():
                keys.update(m)
            run = Run(name, path, {r.annotation_id: r for r in res}, per_ex, _order_metrics(keys),
                      score_fn=partial(_score, dataset, split, res))
            run.rows = [self._row(i, ex, run) for i, ex in enumerate(self.examples)]
            self.runs.append(run)
            bar.update()
            if not lazy_scores:
                bar.set_postfix_str(f"{name}: evaluate")
                run.scores  # noqa: B018 - computes and caches
                bar.update()
        bar.close()

    def score_in_background(self) -> threading.Thread:
        """Compute every file's ``evaluate`` scores in a daemon thread (the summary page waits for them)."""

        def work() -> None:
            for run in self.runs:
                try:
                    run.scores  # noqa: B018
                except Exception:
                    log.exception("scoring %s failed", run.name)

        thread = threading.Thread(target=work, name="rationalize-scores", daemon=True)
        thread.start()
        self.scoring_thread = thread
        return thread

    @property
    def scoring(self) -> bool:
        """True while :meth:`score_in_background` is still working."""
        return self.scoring_thread is not None and self.scoring_thread.is_alive()

    @classmethod
    def from_paths(cls, dataset: Dataset, split: str, paths: Sequence[str | Path],
                   progress: bool = False, lazy_scores: bool = False) -> ViewerState:
        """Validate each results file against ``dataset[split]`` (raises ``DataErrors`` like ``evaluate``)."""
        from rationalize.metrics import validate_results

        dataset[split]  # a clear KeyError naming the splits before any file is read
        paths = [Path(p) for p in paths]
        results = [validate_results(dataset, split, p) for p in paths]
        return cls(dataset, split, results, names=_unique_names(paths), paths=paths, progress=progress,
                   lazy_scores=lazy_scores)

    # -- rows ---------------------------------------------------------------------------------------
    def _row(self, i: int, ex: Example, run: Run) -> dict[str, Any]:
        res = run.results.get(ex.id)
        pred = res.classification if res is not None else None
        prob = None
        if res is not None and pred is not None and res.classification_scores:
            prob = res.classification_scores.get(pred)
        length = None
        if res is not None:
            length = sum(_hard_len(res, d) for d in ex.docids)
        row: dict[str, Any] = {
            "i": i, "id": ex.id, "query": ex.query or "", "snippet": self._snippets[i], "gold": ex.label, "pred": pred, "prob": prob,
            "correct": None if pred is None else pred == ex.label, "length": length,
        }
        row["metrics"] = run.per_example.get(ex.id, {})
        return row

    def sort_keys(self, run: int) -> list[str]:
        """Columns the example list of results file ``run`` can be sorted by: the base ones, then its metrics."""
        return [*BASE_SORT_KEYS, *self.runs[run].metric_keys]

    def query(
        self,
        run: int = 0,
        q: str = "",
        gold: str | None = None,
        pred: str | None = None,
        correct: bool | None = None,
        ranges: Mapping[str, tuple[float | None, float | None]] | None = None,
        sort: str = "id",
        desc: bool = False,
    ) -> list[dict[str, Any]]:
        """Rows of ``run`` matching every filter, sorted (missing values last in either direction).

        ``ranges`` maps a metric key to inclusive ``(min, max)`` bounds (``None`` = open); an example
        whose metric is missing or NaN never passes a bound on that metric.
        """
        rows = self.runs[run].rows
        needle = q.strip().lower()
        out = []
        for i in self._order(run, sort, desc):
            row = rows[i]
            if gold is not None and row["gold"] != gold:
                continue
            if pred is not None and row["pred"] != pred:
                continue
            if correct is not None and row["correct"] is not correct:
                continue
            if ranges:
                ok = True
                for key, (lo, hi) in ranges.items():
                    v = row["metrics"].get(key)
                    if v is None or math.isnan(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
                        ok = False
                        break
                if not ok:
                    continue
            if needle and needle not in self._search[i]:
                continue
            out.append(row)
        return out

    def _order(self, run: int, sort: str, desc: bool) -> list[int]:
        """Row indices of ``run`` sorted by ``sort`` (missing and NaN last, ties by id), computed once per
        (run, key, direction) so that a sorted, filtered page only costs the filter."""
        key = (run, sort, desc)
        cached = self._orders.get(key)
        if cached is not None:
            return cached
        if sort not in self.sort_keys(run):
            raise KeyError(f"unknown sort key {sort!r}")
        rows = self.runs[run].rows

        def value(row: dict[str, Any]) -> Any:
            v = row[sort] if sort in BASE_SORT_KEYS else row["metrics"].get(sort)
            return None if isinstance(v, float) and math.isnan(v) else v

        present = [r["i"] for r in rows if value(r) is not None]
        missing = [r["i"] for r in rows if value(r) is None]
        if sort == "id":
            present.sort(key=lambda i: _natural(rows[i]["id"]), reverse=desc)
        else:
            present.sort(key=lambda i: (value(rows[i]), _natural(rows[i]["id"])), reverse=desc)
        self._orders[key] = order = present + missing
        return order


def _score(dataset: Dataset, split: str, results: list[Result]) -> dict[str, Any]:
    """``evaluate`` with its defaults (what ``rationalize evaluate`` prints); a file whose AOPC bins are
    not the default ones is scored on the bins it has (``evaluate`` would refuse it)."""
    from rationalize.metrics import evaluate

    try:
        return evaluate(dataset, split, results)
    except DataError as exc:
        if exc.field != "thresholded_scores":
            raise
        return evaluate(dataset, split, results, aopc_thresholds=None)


def _natural(text: str) -> tuple:
    """Sort ids numerically where they are numbers ("9" before "10")."""
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def _hard_len(res: Result, docid: str) -> int:
    rat = res.rationale_for(docid)
    if rat is None:
        return 0
    covered: set[int] = set()
    for s, e in rat.hard:
        covered.update(range(s, e))
    return len(covered)


def predicted_mask(res: Result | None, doc: Any) -> list[bool]:
    """Tokens of ``doc`` inside any of the result's hard spans (clipped to the document)."""
    mask = [False] * len(doc)
    rat = res.rationale_for(doc.docid) if res is not None else None
    if rat is not None:
        for s, e in rat.hard:
            for t in range(max(s, 0), min(e, len(doc))):
                mask[t] = True
    return mask

"""The executor: every operation of :mod:`rationalize.dialogue.grammar` answered from real computations.

A :class:`Workspace` holds the dataset split, the classifier (and optionally a free-text generator) and
caches every model call it makes: the predictions of a split (one batched pass), the attributions of an
example by a method and target, sentence embeddings, faithfulness runs. Nothing is re-implemented here:

* predictions: the classifier's ``predict_proba``; scores: :func:`rationalize.evaluate` on those predictions;
* attributions (``attribute``, ``important``, ``agreement``, ``compare``, ``counterfactual``): post-hoc
  rationalizers loaded by name from the registry (:func:`rationalize.load_rationalizer`);
* agreement: :func:`rationalize.metrics.per_example_metrics` (token F1, IOU F1, AUPRC);
* compare: the faithfulness engine (:class:`rationalize.engine.faithfulness.FaithfulnessEngine`) then
  :func:`rationalize.evaluate`;
* rationale: the free-text rationalizers (``explain-then-predict``) over the configured generator;
* similar: :class:`rationalize.models.sentence.SentenceEncoder` (TF-IDF vectors where MiniLM is missing).

:func:`execute` runs a :class:`~rationalize.dialogue.grammar.Program` and returns an :class:`Answer`
(plain text plus an optional table, highlighted tokens or diff); a question the data or the model cannot
answer raises :class:`DialogueError` with the reason and suggestions, never a traceback.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rationalize.data.schema import Dataset, Document, Example
from rationalize.dialogue.grammar import OPERATIONS, Filter, Program
from rationalize.errors import RationalizeError
from rationalize.models.base import same_label
from rationalize.models.windows import example_input

#: The split name of the one-off datasets the executor hands to rationalizers and metrics.
CHAT_SPLIT = "_chat"
#: Words ``keywords`` leaves out (sklearn's English stop-word list plus punctuation-only tokens).
TOKEN_RE = re.compile(r"^[a-z][a-z'\-]*$")


class DialogueError(RationalizeError):
    """A question that cannot be answered: ``message`` says why, ``suggestions`` are questions that can."""

    def __init__(self, message: str, suggestions: Sequence[str] = ()):
        super().__init__(message)
        self.message = message
        self.suggestions = list(suggestions)


@dataclass
class Table:
    """Rows of values under named columns."""

    columns: list[str]
    rows: list[list[Any]]

    def to_text(self) -> str:
        """The table as aligned plain text."""
        cells = [[_cell(v) for v in row] for row in self.rows]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(self.columns)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(self.columns, widths)).rstrip()]
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
        return "\n".join(lines)


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.3f}"
    return "-" if v is None else str(v)


@dataclass
class Answer:
    """What an operation returns: ``text`` (always), and optionally a ``table``, highlighted ``tokens``
    (``(token, score, highlighted)``), a ``diff`` (``(token, "=" | "-" | "+")``), ``suggestions``, and
    ``data`` (the computed values, machine-readable: what tests compare with the library's own results) and a
    ``figure`` (a Plotly figure dict, drawn by the viewer; the terminal shows the table instead)."""

    text: str
    table: Table | None = None
    tokens: list[tuple[str, float, bool]] | None = None
    diff: list[tuple[str, str]] | None = None
    suggestions: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    error: bool = False
    figure: dict[str, Any] | None = None

    def to_text(self) -> str:
        """Everything as plain text (the terminal)."""
        parts = [self.text]
        if self.table is not None:
            parts.append(self.table.to_text())
        if self.diff is not None:
            parts.append(" ".join(f"[-{t}-]" if op == "-" else f"{{+{t}+}}" if op == "+" else t
                                  for t, op in _diff_window(self.diff)))
        if self.suggestions:
            parts.append("Try: " + " | ".join(self.suggestions))
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the viewer's API)."""
        return {"text": self.text, "error": self.error, "suggestions": self.suggestions,
                "table": None if self.table is None else {"columns": self.table.columns,
                                                          "rows": [[_json(v) for v in r] for r in self.table.rows]},
                "tokens": self.tokens, "diff": self.diff, "data": _json(self.data), "figure": _json(self.figure)}


def bar_figure(categories: Sequence[str], series: dict[str, Sequence[float]], title: str,
               horizontal: bool = False) -> dict[str, Any]:
    """A small Plotly bar chart (one trace per series) as a figure dict."""
    data = []
    for name, values in series.items():
        trace: dict[str, Any] = {"type": "bar", "name": name}
        vals = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values]
        if horizontal:
            trace.update(x=vals[::-1], y=list(categories)[::-1], orientation="h")
        else:
            trace.update(x=list(categories), y=vals)
        data.append(trace)
    layout = {"title": {"text": title, "font": {"size": 13}}, "height": 260, "barmode": "group",
              "margin": {"l": 110 if horizontal else 40, "r": 10, "t": 30, "b": 40}, "showlegend": len(series) > 1}
    return {"data": data, "layout": layout}


def _json(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, dict):
        return {str(k): _json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _diff_window(diff: list[tuple[str, str]], context: int = 6) -> list[tuple[str, str]]:
    """The diff around its edits only (``...`` between distant ones), so a long document stays readable."""
    keep = [False] * len(diff)
    for i, (_, op) in enumerate(diff):
        if op != "=":
            for j in range(max(0, i - context), min(len(diff), i + context + 1)):
                keep[j] = True
    out: list[tuple[str, str]] = []
    for i, k in enumerate(keep):
        if k:
            out.append(diff[i])
        elif out and out[-1] != ("...", "="):
            out.append(("...", "="))
    return out


class Workspace:
    """The dataset split, the models and the caches an executor works with.

    ``model`` is a classifier (:class:`~rationalize.models.base.TextClassifier`; the post-hoc methods need
    the windowed interface of our classifiers); ``generator`` an optional free-text generator (or spec);
    ``method`` the default attribution method and ``method_params`` its options (e.g. ``n_steps``);
    ``compare_methods`` what ``compare`` runs by default; ``max_examples`` caps the examples ``important``
    and ``compare`` explain (the first ones of the selection, said in the answer); ``progress`` is called
    with ``(done, total, what)`` during long computations."""

    def __init__(self, dataset: Dataset, split: str, model: Any, *, generator: Any = None,
                 method: str = "integrated-gradients", method_params: dict[str, dict[str, Any]] | None = None,
                 compare_methods: Sequence[str] = ("attention", "integrated-gradients", "occlusion", "random"),
                 max_examples: int = 20, embedder: str | None = "minilm", seed: int = 0,
                 progress: Callable[[int, int, str], None] | None = None):
        dataset.check_split(split)
        self.dataset = dataset
        self.split = split
        self.model = model
        self.generator = generator
        self.method = method
        self.method_params = {"integrated-gradients": {"n_steps": 16}, "lime": {"n_samples": 100},
                              "kernel-shap": {"n_samples": 100}, **(method_params or {})}
        self.compare_methods = list(compare_methods)
        self.max_examples = max_examples
        self.embedder = embedder
        self.seed = seed
        self.progress = progress
        self.examples: list[Example] = list(dataset[split])
        self.index = {ex.id: i for i, ex in enumerate(self.examples)}
        self.folded = {ex.id.casefold(): i for i, ex in enumerate(self.examples)}
        self._probs: dict[str, np.ndarray] = {}
        self._results: dict[tuple, Any] = {}
        self._faith: dict[tuple, dict[str, Any]] = {}
        self._vectors: np.ndarray | None = None
        self._rationalizers: dict[tuple, Any] = {}
        self._freetext: dict[str, dict[str, Any]] = {}
        self.model_calls = 0

    # -- labels, methods --------------------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        """The classifier's labels (the dataset's names)."""
        return list(self.model.labels)

    def label(self, name: str) -> str:
        """The model label a user's spelling names (``positive`` -> ``POS``), or a DialogueError."""
        for lab in self.labels:
            if same_label(name, lab):
                return lab
        raise DialogueError(f"there is no label {name!r}; the labels are {', '.join(self.labels)}",
                            [f"show me {lab} examples" for lab in self.labels])

    def methods(self) -> list[str]:
        """The post-hoc methods of the rationalizer registry (the names ``method`` accepts)."""
        from rationalize import available_rationalizers

        return available_rationalizers("posthoc")["posthoc"]

    def check_method(self, name: str | None) -> str:
        """``name`` (default: the workspace's method) if the registry has it, else a DialogueError."""
        name = name or self.method
        known = self.methods()
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
            raise DialogueError(f"there is no attribution method {name!r}; the methods are {', '.join(known)}",
                                [f"top words with {m}" for m in close or known[:3]])
        return name

    # -- selection ------------------------------------------------------------------------------------
    def find_id(self, value: str) -> int:
        """Index of the example a user's id names: exact, case-insensitive, or the unique id whose number
        is ``value`` (``54`` -> ``negR_054.txt``); a DialogueError with the closest ids otherwise."""
        if value in self.index:
            return self.index[value]
        if value.casefold() in self.folded:
            return self.folded[value.casefold()]
        if value.isdigit():
            hits = [i for i, ex in enumerate(self.examples)
                    if [int(n) for n in re.findall(r"\d+", ex.id)] == [int(value)]]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                ids = [self.examples[i].id for i in hits]
                raise DialogueError(f"id {value} is ambiguous in {self.dataset.name}/{self.split}: it could be "
                                    f"{', '.join(ids[:5])}", [f"show id {i}" for i in ids[:3]])
        close = difflib.get_close_matches(value, list(self.index), n=3, cutoff=0.5)
        if not close:
            close = [ex.id for ex in self.examples[:3]]
        raise DialogueError(f"there is no example with id {value!r} in {self.dataset.name}/{self.split} "
                            f"({len(self.examples)} examples, ids such as {self.examples[0].id})",
                            [f"show id {c}" for c in close])

    def select(self, filters: Sequence[Filter]) -> list[int]:
        """Indices of the examples every filter keeps, in split order."""
        idx = list(range(len(self.examples)))
        for f in filters:
            if f.kind == "id":
                keep = {self.find_id(str(f.value))}
                idx = [i for i in idx if i in keep]
            elif f.kind == "position":
                if not 1 <= f.value <= len(self.examples):
                    raise DialogueError(f"position {f.value} is outside the split (1 to {len(self.examples)})",
                                        ["show the first example"])
                idx = [i for i in idx if i == f.value - 1]
            elif f.kind == "gold":
                lab = self.label(str(f.value))
                idx = [i for i in idx if self.examples[i].label is not None and same_label(self.examples[i].label, lab)]
            elif f.kind == "pred":
                lab = self.label(str(f.value))
                pred = self.predicted()
                idx = [i for i in idx if pred[i] == lab]
            elif f.kind in ("correct", "incorrect"):
                pred = self.predicted()
                want = f.kind == "correct"
                idx = [i for i in idx if (pred[i] == self.examples[i].label) == want]
            elif f.kind == "contains":
                words = str(f.value).casefold().split()
                idx = [i for i in idx if self._contains(i, words)]
            elif f.kind == "length":
                op, n = f.value
                cmp = {"<": int.__lt__, "<=": int.__le__, ">": int.__gt__, ">=": int.__ge__}[op]
                idx = [i for i in idx if cmp(self.length(i), n)]
        return idx

    def _contains(self, i: int, words: list[str]) -> bool:
        """Whether example ``i`` (documents or query) holds the word, or the phrase as consecutive tokens."""
        ex = self.examples[i]
        for toks in [*(d.tokens for d in self.dataset.docs_of(ex)), ex.query_tokens or []]:
            low = [t.casefold() for t in toks]
            n = len(words)
            if any(low[j : j + n] == words for j in range(len(low) - n + 1)):
                return True
        return False

    def length(self, i: int) -> int:
        """Document tokens of example ``i`` (its documents together)."""
        return sum(len(d) for d in self.dataset.docs_of(self.examples[i]))

    # -- model calls (cached) ---------------------------------------------------------------------
    def probs(self, split: str | None = None) -> np.ndarray:
        """Class probabilities of every example of ``split`` (default: the workspace's), computed once."""
        split = split or self.split
        if split not in self._probs:
            examples = self.dataset[split]
            out = []
            step = 32
            for s in range(0, len(examples), step):
                part = examples[s : s + step]
                out.append(self.model.predict_proba([example_input(self.dataset, ex) for ex in part]))
                self.model_calls += 1
                self._report(min(s + step, len(examples)), len(examples), f"predicting {split}")
            self._probs[split] = np.concatenate(out) if out else np.zeros((0, len(self.labels)))
        return self._probs[split]

    def predicted(self, split: str | None = None) -> list[str]:
        """The predicted label of every example of ``split``."""
        return [self.labels[int(k)] for k in self.probs(split).argmax(1)]

    def _report(self, done: int, total: int, what: str) -> None:
        if self.progress is not None:
            self.progress(done, total, what)

    def subset(self, examples: Sequence[Example], documents: dict[str, Document] | None = None) -> Dataset:
        """A dataset whose split :data:`CHAT_SPLIT` holds ``examples`` (documents shared, plus ``documents``)."""
        docs = self.dataset.documents if not documents else {**self.dataset.documents, **documents}
        return Dataset(self.dataset.name, {CHAT_SPLIT: list(examples)}, docs, list(self.dataset.labels),
                       source=self.dataset.source)

    def rationalizer(self, method: str, target: str | None = None) -> Any:
        """The post-hoc rationalizer ``method`` of the registry over this model (built once per target)."""
        from rationalize import load_rationalizer
        from rationalize.rationalizers.posthoc.explain import default_k

        key = (method, target)
        if key not in self._rationalizers:
            params = dict(self.method_params.get(method, {}))
            params.setdefault("seed", self.seed)
            self._rationalizers[key] = load_rationalizer(method, "posthoc", model=self.model, target=target,
                                                         k=default_k(self.dataset, self.split), **params)
        return self._rationalizers[key]

    def results(self, method: str, indices: Sequence[int], target: str | None = None) -> list[Any]:
        """ERASER results (hard + soft rationale, prediction) of the examples by ``method`` explaining
        ``target`` (default: the predicted class); each (method, example, target) is computed once."""
        todo = [i for i in indices if (method, self.examples[i].id, target) not in self._results]
        if todo:
            r = self.rationalizer(method, target)
            step = 8
            for s in range(0, len(todo), step):
                part = todo[s : s + step]
                try:
                    out = r.rationalize(self.subset([self.examples[i] for i in part]), CHAT_SPLIT)
                except TypeError as exc:  # a model without the windowed interface
                    raise DialogueError(f"the loaded model cannot be explained by {method}: {exc}",
                                        ["what does the model predict for id 1?"]) from None
                self.model_calls += 1
                for i, res in zip(part, out):
                    self._results[(method, self.examples[i].id, target)] = res
                self._report(min(s + step, len(todo)), len(todo), f"explaining with {method}")
        return [self._results[(method, self.examples[i].id, target)] for i in indices]

    def faithfulness(self, method: str, indices: Sequence[int]) -> dict[str, Any]:
        """``evaluate`` scores (plausibility + faithfulness from the engine) of ``method`` on the examples."""
        from rationalize import evaluate
        from rationalize.engine.faithfulness import FaithfulnessEngine

        key = (method, tuple(indices))
        if key not in self._faith:
            results = self.results(method, indices)
            sub = self.subset([self.examples[i] for i in indices])
            filled = FaithfulnessEngine(self.model, progress=False).run(sub, CHAT_SPLIT, results)
            self.model_calls += 1
            self._faith[key] = evaluate(sub, CHAT_SPLIT, filled)
        return self._faith[key]

    def vectors(self) -> np.ndarray:
        """One L2-normalised vector per example (query + start of the text): MiniLM, or TF-IDF without it."""
        if self._vectors is None:
            texts = [" ".join(((ex.query or "") + " " + " ".join(example_input(self.dataset, ex).tokens[:200])).split())
                     for ex in self.examples]
            vecs = None
            if self.embedder:
                try:
                    from rationalize.models.sentence import SentenceEncoder

                    enc = SentenceEncoder(self.embedder, normalize=True)
                    parts = []
                    for s in range(0, len(texts), 64):
                        parts.append(enc.encode(texts[s : s + 64]))
                        self._report(min(s + 64, len(texts)), len(texts), "embedding the split")
                    vecs = np.concatenate(parts) if parts else np.zeros((0, 384), dtype=np.float32)
                    self.vector_kind = f"{self.embedder} sentence embeddings"
                except (ImportError, OSError, RationalizeError):
                    vecs = None
            if vecs is None:
                from sklearn.feature_extraction.text import TfidfVectorizer

                m = TfidfVectorizer(sublinear_tf=True).fit_transform(texts).toarray()
                vecs = m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
                self.vector_kind = "TF-IDF vectors"
            self._vectors = vecs
        return self._vectors

    def freetext(self, i: int) -> dict[str, Any]:
        """The free-text rationale record (``explain-then-predict``) of example ``i`` from the generator."""
        ex = self.examples[i]
        if ex.id not in self._freetext:
            from rationalize import load_rationalizer

            r = load_rationalizer("explain-then-predict", "freetext", generator=self.generator, max_new_tokens=48)
            self._freetext[ex.id] = r.rationalize(self.subset([ex]), CHAT_SPLIT)[0]
            self.model_calls += 1
        return self._freetext[ex.id]


# ---------------------------------------------------------------------------------------------------
def execute(ws: Workspace, program: Program) -> Answer:
    """Run ``program`` on the workspace. Raises :class:`DialogueError` for what cannot be answered."""
    spec = OPERATIONS[program.operation]
    if spec.scope == "none":
        return HANDLERS[program.operation](ws, program, [])
    idx = ws.select(program.filters)
    if not idx:
        raise DialogueError("no example matches " + " and ".join(f.to_text() for f in program.filters),
                            ["how many examples are there?", "show me the label distribution"])
    return HANDLERS[program.operation](ws, program, idx)


def _one(ws: Workspace, program: Program, idx: list[int]) -> tuple[int, str]:
    """The example an example-level operation explains, and a note when filters selected several."""
    if not program.filters:
        raise DialogueError(f"{program.operation} explains one example: say which one",
                            [f"{_phrase(program.operation)} for id {ws.examples[0].id}",
                             f"{_phrase(program.operation)} for the first example"])
    note = "" if len(idx) == 1 else f" (the first of {len(idx)} matching examples)"
    return idx[0], note


def _phrase(op: str) -> str:
    return {"attribute": "top words", "rationale": "explain the prediction", "agreement": "rationale agreement",
            "counterfactual": "what would flip the prediction", "whatif": "what if I remove 'bad'",
            "similar": "similar examples"}.get(op, op)


def _snippet(ws: Workspace, i: int, n: int = 12) -> str:
    ex = ws.examples[i]
    toks = example_input(ws.dataset, ex).tokens
    text = " ".join(toks[:n]) + (" ..." if len(toks) > n else "")
    return f"{ex.query} | {text}" if ex.query else text


def _probs_text(ws: Workspace, p: np.ndarray) -> str:
    return ", ".join(f"{lab} {v:.3f}" for lab, v in zip(ws.labels, p))


def op_show(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """An example's text, query and gold label; the first ``n`` rows of a set."""
    if len(idx) == 1:
        i = idx[0]
        ex = ws.examples[i]
        docs = ws.dataset.docs_of(ex)
        lines = [f"id {ex.id} (position {i + 1} of {len(ws.examples)}), gold label {ex.label}"]
        if ex.query:
            lines.append(f"query: {ex.query}")
        limit = 400
        for d in docs:
            extra = f" ... ({len(d) - limit} more tokens)" if len(d) > limit else ""
            lines.append(f"{d.docid}: {' '.join(d.tokens[:limit])}{extra}")
        return Answer("\n".join(lines), data={"id": ex.id, "label": ex.label, "query": ex.query,
                                              "documents": {d.docid: " ".join(d.tokens) for d in docs}})
    n = program.arg("n")
    rows = [[ws.examples[i].id, ws.examples[i].label, _snippet(ws, i)] for i in idx[:n]]
    return Answer(f"{len(idx)} examples match; the first {min(n, len(idx))}:", Table(["id", "gold", "text"], rows),
                  data={"ids": [ws.examples[i].id for i in idx]})


def op_predict(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """The prediction of one example, or the prediction counts (and first rows) of a set."""
    probs, pred = ws.probs(), ws.predicted()
    if len(idx) == 1:
        i = idx[0]
        ex = ws.examples[i]
        verdict = "correct" if pred[i] == ex.label else "wrong"
        return Answer(f"The model predicts {pred[i]} for id {ex.id} (probability {probs[i].max():.3f}); the gold "
                      f"label is {ex.label}, so the prediction is {verdict}.",
                      data={"id": ex.id, "prediction": pred[i], "probabilities": dict(zip(ws.labels, probs[i].tolist()))})
    counts = Counter(pred[i] for i in idx)
    n = program.arg("n")
    rows = [[ws.examples[i].id, pred[i], float(probs[i].max()), ws.examples[i].label] for i in idx[:n]]
    summary = ", ".join(f"{lab} {counts.get(lab, 0)}" for lab in ws.labels)
    return Answer(f"Over {len(idx)} examples the model predicts: {summary}. The first {len(rows)}:",
                  Table(["id", "prediction", "probability", "gold"], rows),
                  data={"counts": {lab: counts.get(lab, 0) for lab in ws.labels}})


def op_likelihood(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """Class probabilities of one example, or their mean over a set."""
    probs = ws.probs()[idx]
    mean = probs.mean(0)
    rows = [[lab, float(v)] for lab, v in zip(ws.labels, mean)]
    what = f"id {ws.examples[idx[0]].id}" if len(idx) == 1 else f"the mean over {len(idx)} examples"
    return Answer(f"Class probabilities for {what}: {_probs_text(ws, mean)}.", Table(["label", "probability"], rows),
                  data={"probabilities": dict(zip(ws.labels, mean.tolist()))},
                  figure=bar_figure(ws.labels, {"probability": mean.tolist()}, f"class probabilities, {what}"))


def op_mistakes(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """How many of the selected examples the model gets wrong (by gold label), or a seeded sample."""
    pred = ws.predicted()
    wrong = [i for i in idx if pred[i] != ws.examples[i].label]
    n = program.arg("sample")
    if n is None:
        by = Counter(str(ws.examples[i].label) for i in wrong)
        rows = [[lab, by.get(lab, 0), sum(1 for i in idx if ws.examples[i].label == lab)] for lab in ws.labels]
        return Answer(f"The model gets {len(wrong)} of {len(idx)} examples wrong "
                      f"({len(wrong) / len(idx):.1%} error rate).", Table(["gold label", "wrong", "examples"], rows),
                      data={"wrong": len(wrong), "total": len(idx), "ids": [ws.examples[i].id for i in wrong]})
    if not wrong:
        return Answer(f"The model gets none of these {len(idx)} examples wrong.", data={"ids": []})
    rng = np.random.default_rng(ws.seed)
    pick = sorted(rng.choice(len(wrong), size=min(n, len(wrong)), replace=False).tolist())
    chosen = [wrong[k] for k in pick]
    probs = ws.probs()
    rows = [[ws.examples[i].id, ws.examples[i].label, pred[i], float(probs[i].max()), _snippet(ws, i)] for i in chosen]
    return Answer(f"{len(chosen)} of the {len(wrong)} mistakes (a seeded sample):",
                  Table(["id", "gold", "prediction", "probability", "text"], rows),
                  data={"ids": [ws.examples[i].id for i in chosen], "wrong": len(wrong)})


def op_score(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """Accuracy, macro-F1, precision, recall (or per class) of the model, by :func:`rationalize.evaluate`."""
    from rationalize import evaluate
    from rationalize.data.results import Result

    split = program.arg("split")
    if split is not None:
        split = {"dev": "val", "validation": "val"}.get(split, split)
    if split == ws.split:
        split = None  # the conversation's own split: the filters apply
    if split is not None:
        if split not in ws.dataset.splits:
            raise DialogueError(f"split {split!r} is not loaded; the loaded splits are {', '.join(ws.dataset.splits)}",
                                [f"score on {s}" for s in ws.dataset.splits])
        if program.filters:
            raise DialogueError("filters select examples of the conversation's split; score another split "
                                "without filters", [f"score on {split}"])
        examples = ws.dataset[split]
        sel = list(range(len(examples)))
    else:
        split, examples, sel = ws.split, ws.examples, idx
    probs = ws.probs(split)
    labelled = [i for i in sel if examples[i].label is not None]
    if not labelled:
        raise DialogueError("these examples have no gold labels to score against", ["what does the model predict?"])
    sub = Dataset(ws.dataset.name, {split: [examples[i] for i in labelled]}, ws.dataset.documents, ws.dataset.labels)
    results = [Result(examples[i].id, [], ws.labels[int(probs[i].argmax())],
                      dict(zip(ws.labels, map(float, probs[i])))) for i in labelled]
    cls = evaluate(sub, split, results)["classification_scores"]
    prf = cls["prf"]
    macro = prf["macro avg"]
    metric = program.arg("metric")
    values = {"accuracy": cls["accuracy"], "f1": macro["f1-score"], "precision": macro["precision"],
              "recall": macro["recall"]}
    where = f"{len(labelled)} examples of {split}"
    if program.arg("perclass"):
        keys = ["precision", "recall", "f1-score"] if metric == "all" else \
            [{"f1": "f1-score"}.get(metric, metric)] if metric != "accuracy" else ["recall"]
        rows = [[lab, *[float(prf[lab][k]) for k in keys], int(prf[lab]["support"])] for lab in sub.labels if lab in prf]
        return Answer(f"Per-class scores on {where}:", Table(["label", *keys, "support"], rows),
                      data={"per_class": {r[0]: dict(zip(keys, r[1:-1])) for r in rows}})
    if metric != "all":
        return Answer(f"The model's {'macro ' if metric != 'accuracy' else ''}{metric} on {where} is "
                      f"{values[metric]:.3f}.", data={metric: values[metric]})
    rows = [[k if k == "accuracy" else f"macro {k}", float(v)] for k, v in values.items()]
    return Answer(f"Scores on {where}: accuracy {values['accuracy']:.3f}, macro-F1 {values['f1']:.3f}.",
                  Table(["metric", "value"], rows), data=values)


def op_labels(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """Gold and predicted label distribution of the selected examples."""
    pred = ws.predicted()
    gold = Counter(str(ws.examples[i].label) for i in idx)
    got = Counter(pred[i] for i in idx)
    source = program.arg("source")
    cols = ["label"] + (["gold"] if source in ("both", "gold") else []) + (["predicted"] if source in ("both", "pred") else [])
    rows = []
    for lab in ws.labels:
        row: list[Any] = [lab]
        if source in ("both", "gold"):
            row.append(gold.get(lab, 0))
        if source in ("both", "pred"):
            row.append(got.get(lab, 0))
        rows.append(row)
    series = {name: [r[j + 1] for r in rows] for j, name in enumerate(cols[1:])}
    return Answer(f"Label distribution over {len(idx)} examples:", Table(cols, rows),
                  data={"gold": dict(gold), "predicted": dict(got)},
                  figure=bar_figure(ws.labels, series, "label distribution"))


def op_data(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """Dataset facts: name, source, labels, splits with sizes and mean document length."""
    stats = ws.dataset.stats()
    rows = [[s, st["examples"], round(st["mean_document_tokens"], 1), st["examples_with_rationales"]]
            for s, st in stats.items()]
    src = ws.dataset.source or "built in memory"
    queries = sum(1 for ex in ws.examples if ex.query)
    text = (f"Dataset {ws.dataset.name} (from {src}), labels {', '.join(ws.dataset.labels)}; this conversation "
            f"is about split {ws.split} ({len(ws.examples)} examples, {queries} with a query).")
    return Answer(text, Table(["split", "examples", "mean document tokens", "with human rationales"], rows),
                  data={"name": ws.dataset.name, "splits": {s: st["examples"] for s, st in stats.items()}})


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def op_keywords(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """Most (or least) frequent content words of the selected examples (of one gold label)."""
    label = program.arg("label")
    if label is not None:
        lab = ws.label(label)
        idx = [i for i in idx if ws.examples[i].label == lab]
    stop = _stop_words()
    counts: Counter[str] = Counter()
    for i in idx:
        for t in example_input(ws.dataset, ws.examples[i]).tokens:
            w = t.casefold()
            if TOKEN_RE.match(w) and w not in stop and len(w) > 1:
                counts[w] += 1
    k = program.arg("topk")
    least = program.arg("least")
    items = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]) if least else (-kv[1], kv[0]))[:k]
    which = "least" if least else "most"
    return Answer(f"The {which} frequent words over {len(idx)} examples (stop words left out):",
                  Table(["word", "count"], [[w, c] for w, c in items]), data={"words": items})


def _flat(ws: Workspace, res: Any, ex: Example) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Tokens, soft scores and hard mask of a result over the example's documents concatenated."""
    toks: list[str] = []
    soft: list[float] = []
    hard: list[bool] = []
    for d in ws.dataset.docs_of(ex):
        rat = res.rationale_for(d.docid)
        toks += d.tokens
        s = (rat.soft if rat is not None and rat.soft is not None else [0.0] * len(d))
        soft += list(s) + [0.0] * (len(d) - len(s))
        mask = [False] * len(d)
        for a, b in (rat.hard if rat is not None else []):
            for t in range(max(a, 0), min(b, len(d))):
                mask[t] = True
        hard += mask
    return toks, np.asarray(soft, dtype=float), np.asarray(hard, dtype=bool)


def op_attribute(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """The top-k words (or sentences) of one example by a named method, with the highlighted text."""
    i, note = _one(ws, program, idx)
    method = ws.check_method(program.arg("method"))
    ex = ws.examples[i]
    res = ws.results(method, [i])[0]
    toks, soft, _ = _flat(ws, res, ex)
    k = program.arg("topk")
    pred = res.classification
    if program.arg("unit") == "sentence":
        rows, off = [], 0
        for d in ws.dataset.docs_of(ex):
            rat = res.rationale_for(d.docid)
            sents = rat.soft_sentences if rat is not None and rat.soft_sentences else []
            for j, (a, b) in enumerate(d.sentences):
                if j < len(sents):
                    rows.append([float(sents[j]), " ".join(d.tokens[a:b]), off + a, off + b])
            off += len(d)
        rows.sort(key=lambda r: -r[0])
        top = rows[:k]
        marked = np.zeros(len(toks), dtype=bool)
        for _, _, a, b in top:
            marked[a:b] = True
        return Answer(f"The {len(top)} sentences of id {ex.id} that most support the prediction {pred}, by "
                      f"{method}{note}:", Table(["score", "sentence"], [[r[0], r[1]] for r in top]),
                      tokens=[(t, float(s), bool(m)) for t, s, m in zip(toks, soft, marked)],
                      data={"id": ex.id, "method": method, "sentences": [r[1] for r in top]})
    order = np.argsort(-soft, kind="stable")[:k]
    marked = np.zeros(len(toks), dtype=bool)
    marked[order] = True
    rows = [[toks[j], float(soft[j]), int(j)] for j in order]
    return Answer(f"The {len(rows)} words of id {ex.id} that most support the prediction {pred}, by {method}{note}: "
                  + ", ".join(repr(r[0]) for r in rows) + ".", Table(["word", "score", "position"], rows),
                  tokens=[(t, float(s), bool(m)) for t, s, m in zip(toks, soft, marked)],
                  data={"id": ex.id, "method": method, "words": [r[0] for r in rows], "positions": [r[2] for r in rows],
                        "prediction": pred})


def op_important(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """Globally most important words: each word's mean attribution over its occurrences in the selected
    examples (for the predicted class, or for ``label``), among words seen at least twice."""
    method = ws.check_method(program.arg("method"))
    label = program.arg("label")
    target = ws.label(label) if label is not None else None
    if target is not None and not any(f.kind in ("gold", "pred") for f in program.filters):
        pred = ws.predicted()
        idx = [i for i in idx if pred[i] == target] or idx
    use = idx[: ws.max_examples]
    results = ws.results(method, use, target)
    total: dict[str, float] = {}
    count: Counter[str] = Counter()
    for i, res in zip(use, results):
        toks, soft, _ = _flat(ws, res, ws.examples[i])
        for t, s in zip(toks, soft):
            w = t.casefold()
            if not TOKEN_RE.match(w):
                continue
            total[w] = total.get(w, 0.0) + float(s)
            count[w] += 1
    min_count = 2 if len(use) > 1 else 1
    ranked = sorted(((total[w] / count[w], w) for w in total if count[w] >= min_count), key=lambda x: (-x[0], x[1]))
    k = program.arg("topk")
    rows = [[w, m, count[w]] for m, w in ranked[:k]]
    towards = f"towards {target}" if target else "towards the predicted class"
    capped = f" (the first {len(use)} of {len(idx)})" if len(use) < len(idx) else ""
    return Answer(f"The most important words {towards} by {method}, mean attribution over {len(use)} "
                  f"examples{capped}:", Table(["word", "mean score", "occurrences"], rows),
                  data={"words": [r[0] for r in rows], "method": method, "examples": [ws.examples[i].id for i in use]},
                  figure=bar_figure([r[0] for r in rows], {"mean attribution": [r[1] for r in rows]},
                                    f"important words {towards}", horizontal=True))


def op_rationale(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """A free-text rationale from the generator; else (or with ``source extractive``) the extractive
    rationale (the hard rationale of the default method) read out, with the human explanations if any."""
    i, note = _one(ws, program, idx)
    ex = ws.examples[i]
    source = program.arg("source") or ("generator" if ws.generator is not None else "extractive")
    human = [e for e in ex.explanations if e]
    if source == "generator":
        if ws.generator is None:
            raise DialogueError("no free-text generator is configured (start the chat with --generator, e.g. "
                                "smollm2), so I cannot write a free-text explanation",
                                [f"give the extractive rationale for id {ex.id}", f"top words for id {ex.id}"])
        rec = ws.freetext(i)
        text = f"Generated explanation for id {ex.id}{note} ({rec.get('model')}): {rec['explanation']!s} " \
               f"(its answer: {rec.get('label')})."
        if human:
            text += f" Human explanation: {human[0]}"
        return Answer(text, data={"id": ex.id, "explanation": rec["explanation"], "label": rec.get("label")})
    method = ws.check_method(None)
    res = ws.results(method, [i])[0]
    toks, soft, hard = _flat(ws, res, ex)
    spans, cur = [], []
    for t, h in zip(toks, hard):
        if h:
            cur.append(t)
        elif cur:
            spans.append(" ".join(cur))
            cur = []
    if cur:
        spans.append(" ".join(cur))
    text = (f"The model predicts {res.classification} for id {ex.id}{note}; its extractive rationale by {method} "
            f"({int(hard.sum())} tokens): " + " ... ".join(f'"{s}"' for s in spans) + ".")
    if human:
        text += f" Human explanation: {human[0]}"
    return Answer(text, tokens=[(t, float(s), bool(h)) for t, s, h in zip(toks, soft, hard)],
                  data={"id": ex.id, "spans": spans, "method": method})


def op_agreement(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """Token F1, IOU F1 and token AUPRC of the model's rationale against the human one (per_example_metrics)."""
    from rationalize.metrics import per_example_metrics

    i, note = _one(ws, program, idx)
    ex = ws.examples[i]
    if not ex.evidence_groups:
        raise DialogueError(f"id {ex.id} has no human rationale to compare with",
                            [f"top words for id {ex.id}", "how similar are the methods overall?"])
    method = ws.check_method(program.arg("method"))
    res = ws.results(method, [i])[0]
    m = per_example_metrics(ws.subset([ex]), CHAT_SPLIT, [res])[ex.id]
    rows = [[k, float(m[k]) if m[k] is not None else None] for k in ("token_p", "token_r", "token_f1", "iou_f1", "token_auprc")]
    return Answer(f"Agreement of the {method} rationale with the human rationale of id {ex.id}{note}: token F1 "
                  f"{m['token_f1']:.3f}, IOU F1 {m['iou_f1']:.3f}.", Table(["metric", "value"], rows),
                  data={"id": ex.id, "method": method, **{k: m[k] for k in ("token_f1", "iou_f1", "token_auprc")}})


def op_compare(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """Methods side by side on the selected examples: token F1, IOU F1, AUPRC, comprehensiveness, sufficiency."""
    methods = [ws.check_method(m) for m in (program.arg("methods") or ws.compare_methods)]
    use = idx[: ws.max_examples]
    rows, data = [], {}
    for m in methods:
        s = ws.faithfulness(m, use)
        cls = s.get("classification_scores", {})
        row = {"token_f1": s.get("token_prf", {}).get("instance_macro", {}).get("f1"),
               "iou_f1": (s.get("iou_scores") or [{}])[0].get("macro", {}).get("f1"),
               "auprc": s.get("token_soft_metrics", {}).get("auprc"),
               "comprehensiveness": cls.get("comprehensiveness"), "sufficiency": cls.get("sufficiency")}
        data[m] = row
        rows.append([m, *row.values()])
    capped = f" (the first {len(use)} of {len(idx)})" if len(use) < len(idx) else ""
    return Answer(f"Methods compared on {len(use)} examples{capped}: plausibility against the human rationales "
                  "and faithfulness (comprehensiveness: higher is better; sufficiency: lower is better).",
                  Table(["method", "token F1", "IOU F1", "AUPRC", "comprehensiveness", "sufficiency"], rows),
                  data={"methods": data, "examples": [ws.examples[i].id for i in use]},
                  figure=bar_figure(["token F1", "IOU F1", "AUPRC", "comprehensiveness", "sufficiency"],
                                    {m: list(row.values())
                                     for m, row in data.items()}, "methods compared"))


def op_counterfactual(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """A small deletion that flips the prediction: greedy search over the rationale's words (those that
    most support the prediction by ``method``), each step deleting the word whose removal lowers the
    predicted class's probability most (real model calls, one batch per step), up to ``edits`` words."""
    from rationalize.models.base import ClassifierInput

    i, note = _one(ws, program, idx)
    ex = ws.examples[i]
    method = ws.check_method(program.arg("method"))
    res = ws.results(method, [i])[0]
    toks, soft, _ = _flat(ws, res, ex)
    orig = ws.labels.index(res.classification)
    query = ex.query_tokens
    candidates = [int(j) for j in np.argsort(-soft, kind="stable")[:20] if soft[j] > 0]
    removed: list[int] = []
    p0 = ws.probs()[i]
    best_p = p0
    for _ in range(program.arg("edits")):
        cands = [c for c in candidates if c not in removed]
        if not cands:
            break
        inputs = [ClassifierInput([t for j, t in enumerate(toks) if j not in {*removed, c}], query) for c in cands]
        p = ws.model.predict_proba(inputs)
        ws.model_calls += 1
        k = int(np.argmin(p[:, orig]))
        removed.append(cands[k])
        best_p = p[k]
        if int(best_p.argmax()) != orig:
            break
    diff = [(t, "-" if j in removed else "=") for j, t in enumerate(toks)]
    new = ws.labels[int(best_p.argmax())]
    words = [toks[j] for j in sorted(removed)]
    if new != res.classification:
        text = (f"Deleting {len(removed)} word(s) of id {ex.id}{note} ({', '.join(repr(w) for w in words)}) flips the "
                f"prediction from {res.classification} ({p0[orig]:.3f}) to {new} ({best_p.max():.3f}).")
    else:
        text = (f"No flip within {len(removed)} deletions of the {method} rationale's words for id {ex.id}{note}: "
                f"{res.classification} falls from {p0[orig]:.3f} to {best_p[orig]:.3f}.")
    return Answer(text, diff=diff, data={"id": ex.id, "removed": sorted(removed), "words": words,
                                         "flipped": new != res.classification, "new_label": new,
                                         "probabilities": dict(zip(ws.labels, best_p.tolist()))})


def op_whatif(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """Edit an example (new text for its last document, a word removed or replaced) and re-predict and
    re-explain it with the default method."""
    text, remove, replace = program.arg("text"), program.arg("remove"), program.arg("replace")
    if not (text or remove or replace):
        raise DialogueError("whatif needs an edit: a new text, a word to remove or a word to replace",
                            ['what if the text were "a dull and boring film"?', "what if I remove the word 'bad'?"])
    i, note = _one(ws, program, idx) if program.filters else (None, "")
    base = ws.examples[i] if i is not None else None
    if base is None and not text:
        raise DialogueError("say which example to edit", ["what if I remove 'bad' from the first example?"])
    docs = ws.dataset.docs_of(base) if base is not None else []
    new_docs: dict[str, Document] = {}
    changed = 0
    for n, d in enumerate(docs or [None]):
        tokens = list(d.tokens) if d is not None else []
        if text and n == max(len(docs), 1) - 1:
            tokens = text.split()
            changed += 1
        if remove:
            kept = [t for t in tokens if t.casefold() != remove.casefold()]
            changed += len(tokens) - len(kept)
            tokens = kept
        if replace:
            old, new = replace
            changed += sum(t.casefold() == old.casefold() for t in tokens)
            tokens = [new if t.casefold() == old.casefold() else t for t in tokens]
        docid = f"whatif::{d.docid if d is not None else 'text'}"
        new_docs[docid] = Document.from_sentences(docid, [tokens])
    if not changed:
        word = remove or (replace[0] if replace else "")
        raise DialogueError(f"the word {word!r} does not occur in id {base.id if base else ''}; nothing changed",
                            [f"show id {base.id if base else 1}"])
    edited = Example(f"whatif::{base.id if base else 'text'}", list(new_docs), base.label if base else None,
                     base.query if base else None)
    sub = ws.subset([edited], new_docs)
    p_new = ws.model.predict_proba([example_input(sub, edited)])[0]
    ws.model_calls += 1
    method = ws.check_method(None)
    res = ws.rationalizer(method).rationalize(sub, CHAT_SPLIT)[0]
    ws.model_calls += 1
    toks = [t for d in new_docs.values() for t in d.tokens]
    soft = np.asarray([s for d in new_docs.values() for s in (res.rationale_for(d.docid).soft or [])], dtype=float)
    top = [toks[j] for j in np.argsort(-soft, kind="stable")[:5]] if len(soft) else []
    label = ws.labels[int(p_new.argmax())]
    before = ""
    if base is not None:
        p_old = ws.probs()[i]
        before = f" (before the edit: {ws.labels[int(p_old.argmax())]}, {p_old.max():.3f})"
    return Answer(f"After the edit{note} the model predicts {label} ({p_new.max():.3f}){before}. Top words by "
                  f"{method}: {', '.join(repr(t) for t in top)}.",
                  tokens=[(t, float(s), False) for t, s in zip(toks, soft)],
                  data={"prediction": label, "probabilities": dict(zip(ws.labels, p_new.tolist())), "top": top})


def op_similar(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """The nearest examples of the split to one example, by cosine similarity of sentence embeddings."""
    i, note = _one(ws, program, idx)
    vecs = ws.vectors()
    sims = vecs @ vecs[i]
    sims[i] = -np.inf
    k = program.arg("topk")
    order = [int(j) for j in np.argsort(-sims, kind="stable")[:k]]
    pred = ws.predicted()
    rows = [[ws.examples[j].id, float(sims[j]), ws.examples[j].label, pred[j], _snippet(ws, j)] for j in order]
    return Answer(f"The {len(rows)} examples most similar to id {ws.examples[i].id}{note} ({ws.vector_kind}):",
                  Table(["id", "cosine", "gold", "prediction", "text"], rows),
                  data={"ids": [r[0] for r in rows], "similarities": [r[1] for r in rows]})


#: A natural question per operation (what ``help`` and the suggestions show).
EXAMPLE_QUESTIONS = {
    "show": "show me id {id}", "predict": "what do you predict for id {id}?",
    "likelihood": "how confident are you about id {id}?", "mistakes": "show me 3 examples you get wrong",
    "score": "what is your accuracy?", "labels": "what is the label distribution?", "data": "tell me about the data",
    "keywords": "what are the most frequent words?", "attribute": "why did you predict that for id {id}?",
    "important": "what are the most important words for {label}?", "rationale": "explain id {id} in words",
    "agreement": "does the rationale of id {id} agree with the human one?",
    "compare": "compare attention and occlusion", "counterfactual": "how would id {id} have to change to flip?",
    "whatif": "what if id {id} did not contain 'the'?", "similar": "which examples are similar to id {id}?",
    "help": "what can you do?", "self": "which model are you?",
}


def example_questions(ws: Workspace) -> dict[str, str]:
    """:data:`EXAMPLE_QUESTIONS` filled in with this workspace's first id and label."""
    fill = {"id": ws.examples[0].id if ws.examples else "1", "label": ws.labels[0]}
    return {op: q.format(**fill) for op, q in EXAMPLE_QUESTIONS.items()}


def op_help(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """What the system can do: each operation, what it does, a question and its program."""
    qs = example_questions(ws)
    rows = [[s.name, s.description, qs[s.name], s.example] for s in OPERATIONS.values()]
    return Answer("I answer questions about the model, its explanations and the data. Each question becomes a "
                  "program (shown with every answer, editable); filters (id, position, gold/pred label, correct/"
                  "incorrect, contains a word, length) combine with any operation.",
                  Table(["operation", "what it does", "ask e.g.", "program"], rows))


def op_self(ws: Workspace, program: Program, idx: list[int]) -> Answer:
    """Which model, data, methods and generator this conversation holds."""
    m = ws.model
    kind = type(m).__name__
    detail = getattr(m, "encoder_name", None) or getattr(m, "model_name", None) or ""
    gen = getattr(ws.generator, "name", None) if ws.generator is not None else None
    text = (f"I am a {kind}{' (' + str(detail) + ')' if detail else ''} classifier with labels "
            f"{', '.join(ws.labels)}, talking about {ws.dataset.name}/{ws.split} ({len(ws.examples)} examples). "
            f"Default attribution method: {ws.method}; methods available: {', '.join(ws.methods())}. "
            f"Free-text generator: {gen or 'none configured'}.")
    return Answer(text, data={"model": kind, "labels": ws.labels, "dataset": ws.dataset.name, "split": ws.split})


HANDLERS: dict[str, Callable[[Workspace, Program, list[int]], Answer]] = {
    "show": op_show, "predict": op_predict, "likelihood": op_likelihood, "mistakes": op_mistakes, "score": op_score,
    "labels": op_labels, "data": op_data, "keywords": op_keywords, "attribute": op_attribute,
    "important": op_important, "rationale": op_rationale, "agreement": op_agreement, "compare": op_compare,
    "counterfactual": op_counterfactual, "whatif": op_whatif, "similar": op_similar, "help": op_help, "self": op_self,
}

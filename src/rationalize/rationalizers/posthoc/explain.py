"""Run an explainer over a dataset split and write ERASER results (hard + soft rationales, scores)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rationalize.data.results import DocRationale, Result, result_from_record
from rationalize.data.schema import Dataset, Example
from rationalize.models.base import ClassifierInput
from rationalize.models.windows import example_input
from rationalize.rationalizers import discretize as D


def default_k(dataset: Dataset, split: str) -> float:
    """ERASER's k: the mean human rationale length of ``split`` (or of train / any split with evidence);
    10% of the document when no split has human rationales."""
    for name in (split, "train", *dataset.splits):
        if name in dataset.splits and dataset.mean_rationale_length(name) > 0:
            return dataset.mean_rationale_length(name)
    return 0.1


def hard_mask(scores: np.ndarray, how: str, *, k: float, t: float = 0.5, span_length: int = 5,
              n_sentences: int = 1, sentences: list[tuple[int, int]] | None = None) -> np.ndarray:
    """Apply one of the discretizers of :mod:`rationalize.rationalizers.discretize` by name. ``k`` (a
    token count, or a fraction when below 1) is counted by :func:`~rationalize.rationalizers.discretize.k_tokens`
    for ``top-k`` and ``top-k-spans`` alike (the spans: the fewest that hold ``k`` tokens)."""
    if how == "top-k":
        return D.top_k(scores, k)
    if how == "threshold":
        return D.threshold(scores, t, normalize=True)
    if how == "top-k-spans":
        return D.top_k_spans(scores, D.n_spans_for(k, len(scores), span_length), span_length)
    if how == "top-sentences":
        return D.top_sentences(scores, sentences or [(0, len(scores))], n_sentences)
    raise ValueError(f"unknown discretizer {how!r}; choose from {', '.join(D.DISCRETIZERS)}")


def to_result(dataset: Dataset, example: Example, scores: np.ndarray, probs: np.ndarray, labels: list[str],
              how: str = "top-k", k: float = 0.1, **kw: Any) -> Result:
    """One ERASER result: the example's score vector (documents concatenated) is split per document;
    top-k counts are taken over the whole example, as ERASER does; soft sentence scores are
    :func:`~rationalize.rationalizers.discretize.sentence_scores` with its default reduction
    (:data:`~rationalize.rationalizers.discretize.SENTENCE_REDUCE`, shared with select-then-predict results
    and the ``top-sentences`` discretizer)."""
    docs = dataset.docs_of(example)
    sentences = [(a + off, b + off) for off, d in zip(np.cumsum([0] + [len(d) for d in docs]), docs) for a, b in d.sentences]
    mask = hard_mask(scores, how, k=k, sentences=sentences, **kw)
    rats, off = [], 0
    for d in docs:
        s, m = scores[off : off + len(d)], mask[off : off + len(d)]
        rats.append(DocRationale(d.docid, D.mask_to_spans(m), [float(x) for x in s],
                                 [float(x) for x in D.sentence_scores(s, d.sentences)]))
        off += len(d)
    return Result(example.id, rats, labels[int(np.argmax(probs))], {lab: float(p) for lab, p in zip(labels, probs)})


def explain_batch(explainer: Any, target: Any, inputs: list[Any]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The probabilities and the attributions of one batch of inputs (for the predicted class unless
    ``target`` is given): the unit of work :func:`explain_dataset` hands its executor."""
    probs, (scores,) = explain_batch_methods([explainer], target, inputs)
    return probs, scores


def explain_batch_methods(explainers: Sequence[Any], target: Any,
                          inputs: list[Any]) -> tuple[np.ndarray, list[list[np.ndarray]]]:
    """One batch explained by several explainers of the same model: the unperturbed prediction is computed
    once and every explainer explains its predicted class (or ``target``); the inputs are shared, so their
    tokenisation, cached on them, is done once too. Returns the probabilities and each explainer's
    attributions (the unit of work :func:`explain_methods` hands its executor)."""
    probs = explainers[0].model.predict_proba(inputs)
    tgt = target if target is not None else [int(i) for i in probs.argmax(1)]
    return probs, [e.attribute(inputs, tgt) for e in explainers]


def explain_dataset(explainer: Any, dataset: Dataset, split: str, *, target: Any = None, discretizer: str = "top-k",
                    k: float | None = None, batch: int = 4, limit: int | None = None, out_path: str | Path | None = None,
                    progress: bool = True, on_result: Callable[[Result], None] | None = None,
                    executor: Any = None, **kw: Any) -> list[Result]:
    """Explain every example of ``split`` (the first ``limit``), ``batch`` examples per ``attribute`` call.
    With ``out_path``, results are appended as they are made and a rerun skips annotations already written.
    ``executor`` (:mod:`rationalize.engine.executor`; default: this process) runs the batches: on Ray they
    run in parallel and come back in order, so the file and the results are the local run's."""
    name = explainer.name or type(explainer).__name__
    done = explain_methods({name: explainer}, dataset, split, target=target, discretizer=discretizer, k=k, batch=batch,
                           limit=limit, out_paths=None if out_path is None else {name: out_path}, progress=progress,
                           on_result=None if on_result is None else (lambda _m, r: on_result(r)), executor=executor,
                           **kw)
    return done[name]


def explain_methods(explainers: Mapping[str, Any], dataset: Dataset, split: str, *, target: Any = None,
                    discretizer: str = "top-k", k: float | None = None, batch: int = 4, limit: int | None = None,
                    out_paths: Mapping[str, str | Path] | None = None, progress: bool = True,
                    on_result: Callable[[str, Result], None] | None = None, executor: Any = None,
                    inputs: dict[str, ClassifierInput] | None = None, **kw: Any) -> dict[str, list[Result]]:
    """:func:`explain_dataset` for several explainers of one model (``{method name: explainer}``) in one
    pass: each batch of examples is predicted once and tokenised once for all of them
    (:func:`explain_batch_methods`), and the results equal separate runs'. ``out_paths`` (one per method)
    are appended to and resumed as in :func:`explain_dataset`; an example missing from any of them is
    explained again by every method, and written only where it was missing. ``inputs``, when given, is a
    dict filled with each explained example's classifier input by id: hand it to
    :meth:`FaithfulnessEngine.run <rationalize.engine.faithfulness.FaithfulnessEngine.run>` (``sources``)
    so that the faithfulness pass does not tokenise the examples again. ``on_result(method, result)`` is
    called for each new result."""
    from functools import partial

    from rationalize.data.jsonl import JsonlAppender, iter_jsonl
    from rationalize.engine.executor import LocalExecutor
    from rationalize.progress import Progress

    if not explainers:
        raise ValueError("no explainer given")
    names = list(explainers)
    models = {id(e.model) for e in explainers.values()}
    if len(models) > 1:
        raise ValueError("explain_methods shares predictions: every explainer must explain the same model")
    examples = dataset[split][:limit] if limit else dataset[split]
    k = default_k(dataset, split) if k is None else k
    model = explainers[names[0]].model
    out_paths = dict(out_paths or {})
    appenders: dict[str, Any] = {}
    done: dict[str, dict[str, Result]] = {m: {} for m in names}
    for m in names:
        path = out_paths.get(m)
        if path is None:
            continue
        appenders[m] = app = JsonlAppender(path)
        if Path(path).exists():
            keep = app.done_ids()
            for lineno, rec in iter_jsonl(path):
                if rec.get("annotation_id") in keep:
                    done[m][rec["annotation_id"]] = result_from_record(rec, Path(path), lineno)
    todo = [ex for ex in examples if any(ex.id not in done[m] for m in names)]
    label = ",".join(explainers[m].name or m for m in names)
    bar = Progress(len(todo), f"explain ({label})", "example", enabled=progress)
    parts = [todo[s : s + batch] for s in range(0, len(todo), batch)]
    shared = inputs if inputs is not None else {}

    def batch_inputs(part: list[Example]) -> list[ClassifierInput]:
        out = []
        for ex in part:
            inp = shared.get(ex.id)
            if inp is None:
                inp = shared[ex.id] = example_input(dataset, ex)
            out.append(inp)
        return out

    work = (executor or LocalExecutor()).map(partial(explain_batch_methods, [explainers[m] for m in names], target),
                                             (batch_inputs(part) for part in parts))
    try:
        for part, (probs, per_method) in zip(parts, work):
            for m, scores in zip(names, per_method):
                for ex, sc, p in zip(part, scores, probs):
                    if ex.id in done[m]:
                        continue  # written by an earlier run
                    res = to_result(dataset, ex, sc, p, model.labels, discretizer, k, **kw)
                    done[m][ex.id] = res
                    if m in appenders:
                        appenders[m].append(res.to_record())
                    if on_result is not None:
                        on_result(m, res)
            if inputs is None:
                for ex in part:
                    shared.pop(ex.id, None)  # nobody asked to keep them
            bar.update(len(part))
    finally:
        bar.close()
        for app in appenders.values():
            app.close()
    return {m: [done[m][ex.id] for ex in examples] for m in names}

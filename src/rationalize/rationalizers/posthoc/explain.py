"""Run an explainer over a dataset split and write ERASER results (hard + soft rationales, scores)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rationalize.data.results import DocRationale, Result, result_from_record
from rationalize.data.schema import Dataset, Example
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
    probs = explainer.model.predict_proba(inputs)
    tgt = target if target is not None else [int(i) for i in probs.argmax(1)]
    return probs, explainer.attribute(inputs, tgt)


def explain_dataset(explainer: Any, dataset: Dataset, split: str, *, target: Any = None, discretizer: str = "top-k",
                    k: float | None = None, batch: int = 4, limit: int | None = None, out_path: str | Path | None = None,
                    progress: bool = True, on_result: Callable[[Result], None] | None = None,
                    executor: Any = None, **kw: Any) -> list[Result]:
    """Explain every example of ``split`` (the first ``limit``), ``batch`` examples per ``attribute`` call.
    With ``out_path``, results are appended as they are made and a rerun skips annotations already written.
    ``executor`` (:mod:`rationalize.engine.executor`; default: this process) runs the batches: on Ray they
    run in parallel and come back in order, so the file and the results are the local run's."""
    from functools import partial

    from rationalize.data.jsonl import JsonlAppender
    from rationalize.engine.executor import LocalExecutor
    from rationalize.progress import Progress

    examples = dataset[split][:limit] if limit else dataset[split]
    k = default_k(dataset, split) if k is None else k
    model = explainer.model
    appender = JsonlAppender(out_path) if out_path is not None else None
    done: dict[str, Result] = {}
    if appender is not None and Path(out_path).exists():  # type: ignore[arg-type]
        keep = appender.done_ids()
        from rationalize.data.jsonl import iter_jsonl

        for lineno, rec in iter_jsonl(out_path):  # type: ignore[arg-type]
            if rec.get("annotation_id") in keep:
                done[rec["annotation_id"]] = result_from_record(rec, Path(out_path), lineno)  # type: ignore[arg-type]
    todo = [ex for ex in examples if ex.id not in done]
    bar = Progress(len(todo), f"explain ({explainer.name})", "example", enabled=progress)
    parts = [todo[s : s + batch] for s in range(0, len(todo), batch)]
    work = (executor or LocalExecutor()).map(partial(explain_batch, explainer, target),
                                             ([example_input(dataset, ex) for ex in part] for part in parts))
    try:
        for part, (probs, scores) in zip(parts, work):
            for ex, sc, p in zip(part, scores, probs):
                res = to_result(dataset, ex, sc, p, model.labels, discretizer, k, **kw)
                done[ex.id] = res
                if appender is not None:
                    appender.append(res.to_record())
                if on_result is not None:
                    on_result(res)
            bar.update(len(part))
    finally:
        bar.close()
        if appender is not None:
            appender.close()
    return [done[ex.id] for ex in examples]

"""Compute the perturbed predictions that ERASER's faithfulness metrics need, in few forward passes.

For every results line the engine builds, from the example's documents (concatenated in ``docids``
order; the query is passed separately and never perturbed):

* ``comprehensiveness``: the input without the hard rationale; ``sufficiency``: only the rationale;
* for each AOPC bin ``t`` (default 1, 5, 10, 20, 50 %): without / only the top ``k = ceil(t * n)`` tokens
  by soft score (``n`` document tokens; ties broken by position, earlier first), as the ERASER baseline
  models do (DeYoung et al., 2020, sec. 4.2). The count and the selection are
  :func:`rationalize.rationalizers.discretize.top_k` with ``fraction=True``, the same rule ``explain`` and
  FRESH use (see :func:`~rationalize.rationalizers.discretize.k_tokens`).

Removal is deletion by default (the ERASER baselines) or replacement by
:data:`rationalize.models.base.MASK` (``mode="mask"``). Results without hard spans anywhere in the file
use the top ``k_fraction`` of soft-scored tokens as their rationale (``k_fraction`` defaults to the
split's mean human-rationale fraction, ERASER's choice). The unperturbed prediction is taken from the
results line when it has one and computed once otherwise.

All perturbed inputs of a chunk of examples (every bin of every example together) are sorted by length
and packed into batches of at most ``token_budget`` padded tokens, which cuts padding; the batches run
on an :class:`~rationalize.engine.executor.Executor`. Finished lines are appended to ``out_path`` chunk
by chunk, so a killed run resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np

from rationalize.data.jsonl import JsonlAppender
from rationalize.data.results import Result, ThresholdedScores, read_results
from rationalize.data.schema import Dataset, Example
from rationalize.engine.batching import pack
from rationalize.engine.executor import Executor, LocalExecutor
from rationalize.errors import DataError
from rationalize.models.base import ClassifierInput, TextClassifier
from rationalize.rationalizers.discretize import top_k

DEFAULT_AOPC = (0.01, 0.05, 0.1, 0.2, 0.5)


@dataclass
class _Job:
    row: int  # index into the chunk
    slot: tuple  # ("full",), ("comp",), ("suff",), ("comp", t), ("suff", t)
    input: ClassifierInput

    @property
    def cost(self) -> int:
        return len(self.input.tokens) + len(self.input.query or ())




def _bins(aopc_thresholds: Sequence[float] | None) -> list[float]:
    """The AOPC bins in increasing order; each must be a fraction of the document in ``[0, 1]``."""
    bins = sorted(aopc_thresholds or ())
    bad = [t for t in bins if not 0.0 <= t <= 1.0]
    if bad:
        raise ValueError(f"AOPC thresholds must be fractions in [0, 1], got {bad}")
    return bins


def _predict(classifier: TextClassifier, batch_size: int | None, inputs: list[ClassifierInput]) -> np.ndarray:
    # batch_size None: the classifier's own window batch (its forward-pass floor on a CPU), not the whole pack
    return np.asarray(classifier.predict_proba(inputs, batch_size=batch_size), dtype=float)


class FaithfulnessEngine:
    """Fill ``comprehensiveness_/sufficiency_classification_scores`` and ``thresholded_scores`` of results.

    Parameters: ``classifier`` (any :class:`~rationalize.models.base.TextClassifier`); ``mode``
    (``"delete"`` or ``"mask"``); ``token_budget`` (padded dataset tokens per batch); ``batch_size``
    (windows per forward pass, passed to ``predict_proba``; default: the classifier's own batching --
    :attr:`HFClassifier.forward_budget <rationalize.models.hf_classifier.HFClassifier.forward_budget>` padded
    pieces a pass for Hugging Face classifiers (one for PyTorch, one for ONNX Runtime), chosen to sit near
    the forward-pass floor: one forward over
    a whole pack of 70-90 inputs costs about 1.3x more per word piece on a CPU); ``executor`` (default
    :class:`LocalExecutor`); ``progress`` (see :mod:`rationalize.progress`); ``chunk_size`` (examples per
    resumable chunk); ``k_fraction`` (see the module docstring); ``full`` (``"reuse"`` the results' own prediction when
    present, or ``"recompute"`` it with ``classifier``).
    """

    def __init__(self, classifier: TextClassifier, mode: Literal["delete", "mask"] = "delete",
                 token_budget: int = 16384, batch_size: int | None = None, executor: Executor | None = None,
                 progress: bool = True, chunk_size: int = 256, k_fraction: float | None = None,
                 full: Literal["reuse", "recompute"] = "reuse"):
        if mode not in ("delete", "mask"):
            raise ValueError(f"mode must be 'delete' or 'mask', not {mode!r}")
        if full not in ("reuse", "recompute"):
            raise ValueError(f"full must be 'reuse' or 'recompute', not {full!r}")
        if k_fraction is not None and not 0.0 <= k_fraction <= 1.0:
            raise ValueError(f"k_fraction must be a fraction in [0, 1], not {k_fraction}")
        self.classifier = classifier
        self.mode = mode
        self.token_budget = token_budget
        self.batch_size = batch_size
        self.executor = executor or LocalExecutor()
        self.progress = progress
        self.chunk_size = chunk_size
        self.k_fraction = k_fraction
        self.full = full
        self.n_forward_inputs_ = 0
        self.n_batches_ = 0

    # ------------------------------------------------------------------ building perturbations
    def _jobs(self, row: int, dataset: Dataset, ex: Example, res: Result, use_hard: bool,
              k_fraction: float, thresholds: Sequence[float], source: ClassifierInput | None = None) -> list[_Job]:
        docs = dataset.docs_of(ex)
        offsets: dict[str, int] = {}
        n = 0
        for d in docs:
            offsets[d.docid] = n
            n += len(d)
        # the unperturbed input; every perturbation is made from it (ClassifierInput.perturbed), so that a
        # classifier tokenises the example once and selects the perturbed inputs' pieces from its pieces
        if source is None or len(source.tokens) != n or source.query != ex.query_tokens:
            from rationalize.models.windows import example_input  # (models.windows imports the engine package)

            source = example_input(dataset, ex)
        soft = np.zeros(n)
        have_soft = False
        hard = np.zeros(n, dtype=bool)
        for rat in res.rationales:
            if rat.docid not in offsets:
                continue  # a document outside this example's input cannot be perturbed
            o, L = offsets[rat.docid], len(dataset.doc(rat.docid))
            for s, e in rat.hard:
                hard[o + max(s, 0): o + min(e, L)] = True
            if rat.soft is not None:
                soft[o: o + L] = rat.soft
                have_soft = True
        if not use_hard:
            hard = top_k(soft, k_fraction, fraction=True) if have_soft else np.zeros(n, dtype=bool)
        jobs = []
        if self.full == "recompute" or res.classification_scores is None:
            jobs.append(_Job(row, ("full",), source))
        jobs.append(_Job(row, ("comp",), source.perturbed(hard, self.mode)))
        jobs.append(_Job(row, ("suff",), source.perturbed(~hard, self.mode)))
        if have_soft:
            for t in thresholds:
                top = top_k(soft, t, fraction=True)
                jobs.append(_Job(row, ("comp", t), source.perturbed(top, self.mode)))
                jobs.append(_Job(row, ("suff", t), source.perturbed(~top, self.mode)))
        return jobs

    def perturbed_inputs(self, dataset: Dataset, split: str, results: Sequence[Result],
                         aopc_thresholds: Sequence[float] | None = DEFAULT_AOPC) -> list[tuple[str, tuple, ClassifierInput]]:
        """Every ``(annotation_id, slot, input)`` that :meth:`run` would predict, in build order; ``slot``
        is ``("full",)``, ``("comp",)``, ``("suff",)`` or ``("comp"|"suff", threshold)``. For inspection
        and benchmarks."""
        index = dataset.example_index(split)
        use_hard = any(rat.hard for r in results for rat in r.rationales)
        k_fraction = self.k_fraction if self.k_fraction is not None else dataset.mean_rationale_fraction(split)
        thresholds = _bins(aopc_thresholds)
        return [(r.annotation_id, j.slot, j.input) for row, r in enumerate(results)
                for j in self._jobs(row, dataset, index[r.annotation_id], r, use_hard, k_fraction, thresholds)]

    # ------------------------------------------------------------------ running
    def run(self, dataset: Dataset, split: str, results: str | Path | Sequence[Result],
            aopc_thresholds: Sequence[float] | None = DEFAULT_AOPC, out_path: str | Path | None = None,
            sources: Mapping[str, ClassifierInput] | None = None) -> list[Result]:
        """Return ``results`` with the faithfulness fields filled (and written to ``out_path`` when given;
        lines already there are kept and not recomputed). ``sources``: the unperturbed input of each
        annotation id (:func:`~rationalize.models.windows.example_input`) when the caller already has them,
        e.g. from explaining the same examples: the classifier's encodings cached on them are reused, so the
        examples are not tokenised again."""
        from rationalize.progress import Progress

        if isinstance(results, (str, Path)):
            from rationalize.metrics.validate import validate_results

            results = validate_results(dataset, split, results)
        results = list(results)
        index = dataset.example_index(split)
        unknown = [r.annotation_id for r in results if r.annotation_id not in index]
        if unknown:
            raise DataError("<results>", None, "annotation_id",
                            f"{len(unknown)} annotations are not in split {split!r} (first: {unknown[0]!r})")
        labels = list(self.classifier.labels)
        thresholds = _bins(aopc_thresholds)
        use_hard = any(rat.hard for r in results for rat in r.rationales)
        k_fraction = self.k_fraction if self.k_fraction is not None else dataset.mean_rationale_fraction(split)

        appender = JsonlAppender(out_path) if out_path is not None else None
        done = appender.done_ids() if appender is not None else set()
        pending = [r for r in results if r.annotation_id not in done]
        computed: dict[str, Result] = {}
        fn = partial(_predict, self.classifier, self.batch_size)

        def n_jobs(r: Result) -> int:
            docids = set(index[r.annotation_id].docids)
            soft = any(rat.soft is not None and rat.docid in docids for rat in r.rationales)
            full = self.full == "recompute" or r.classification_scores is None
            return int(full) + 2 + (2 * len(thresholds) if soft else 0)

        bar = Progress(sum(map(n_jobs, pending)), "faithfulness", "input", enabled=self.progress)
        try:
            for c in range(0, len(pending), self.chunk_size):
                chunk = pending[c: c + self.chunk_size]
                jobs = [j for row, r in enumerate(chunk)
                        for j in self._jobs(row, dataset, index[r.annotation_id], r, use_hard, k_fraction, thresholds,
                                            (sources or {}).get(r.annotation_id))]
                batches = pack([j.cost for j in jobs], self.token_budget)
                outputs: dict[int, np.ndarray] = {}
                inputs = ([jobs[i].input for i in b] for b in batches)
                for b, probs in zip(batches, self.executor.map(fn, inputs)):
                    for i, p in zip(b, probs):
                        outputs[i] = p
                    self.n_batches_ += 1
                    self.n_forward_inputs_ += len(b)
                    bar.update(len(b))
                per_row: list[dict[tuple, dict[str, float]]] = [{} for _ in chunk]
                for i, j in enumerate(jobs):
                    per_row[j.row][j.slot] = {lab: float(v) for lab, v in zip(labels, outputs[i])}
                for row, res in enumerate(chunk):
                    new = self._fill(res, per_row[row], labels, thresholds)
                    computed[res.annotation_id] = new
                    if appender is not None:
                        appender.append(new.to_record())
        finally:
            bar.close()
            if appender is not None:
                appender.close()
        if appender is not None and done:
            previous = {r.annotation_id: r for r in read_results(out_path)}
            computed = {**previous, **computed}
        return [computed[r.annotation_id] for r in results]

    @staticmethod
    def _fill(res: Result, got: dict[tuple, dict[str, float]], labels: list[str],
              thresholds: Sequence[float]) -> Result:
        if ("full",) in got:
            full = got[("full",)]
            cls = max(labels, key=lambda lab: full[lab])
        else:
            full, cls = res.classification_scores, res.classification
            if cls is None:
                cls = max(full, key=lambda lab: full[lab])
        binned = None
        if any(len(k) == 2 for k in got):
            binned = [ThresholdedScores(t, got[("comp", t)], got[("suff", t)]) for t in thresholds]
        return replace(res, classification=cls, classification_scores=dict(full),
                       comprehensiveness_classification_scores=got[("comp",)],
                       sufficiency_classification_scores=got[("suff",)],
                       thresholded_scores=binned if binned is not None else res.thresholded_scores)


__all__ = ["DEFAULT_AOPC", "FaithfulnessEngine", "pack"]

"""Check an ERASER results file against its dataset before scoring it.

Every problem is collected in one pass and raised together as :class:`~rationalize.errors.DataErrors`,
each naming the file, the line and the field. The checks are those of the official scorer's
``verify_instances`` plus a few it misses (unknown documents and labels, a results file for the wrong
split):

* structure (via :func:`rationalize.data.results.result_from_record`): nulls where lists are expected,
  non-integer offsets, non-numeric scores;
* an empty file (no results line at all);
* duplicate ``annotation_id`` lines; ids that are not annotations of the split (when *no* id of the file
  is, one problem says so, and which split of the dataset the ids belong to, if any);
* unknown ``docid``; a document listed twice in one line;
* hard spans with ``start < 0``, ``end < start``, ``end`` past the document, or overlapping each other;
* soft token scores whose length differs from the document's token count, soft sentence scores whose
  length differs from its sentence count;
* ``classification`` or score keys that are not labels of the dataset; ``classification`` without
  ``classification_scores``; faithfulness scores or ``thresholded_scores`` without a classification;
* optional fields present on some lines and absent on others (the scorer decides what to score from the
  first line, so mixed presence silently changes what is scored); different AOPC thresholds per line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from rationalize.data.results import Result, parse_results_file
from rationalize.data.schema import Dataset
from rationalize.errors import DataError, DataErrors

OPTIONAL = ("classification", "classification_scores", "comprehensiveness_classification_scores",
            "sufficiency_classification_scores", "thresholded_scores")


def foreign_ids_problem(dataset: Dataset, split: str, results: Sequence[Result], file: str | Path) -> DataError:
    """One problem for a results file none of whose ids is an annotation of ``split`` (a file of another split
    or dataset), saying which split of the dataset the ids belong to, if any, instead of one per line."""
    ids = {r.annotation_id for r in results}
    where = f"matches no annotation of split {split!r} of {dataset.name} on any of its {len(results)} lines"
    matches = dataset.id_matches(ids)
    if matches:
        other, n = next(iter(matches.items()))
        got = f"all {n}" if n == len(ids) else f"{n} of the {len(ids)}"
        return DataError(file, None, "annotation_id", f"{where}; {got} are annotations of split {other!r}")
    first = results[0].annotation_id
    return DataError(file, None, "annotation_id", f"{where}, nor of any other split (first: {first!r})")


def _same_labels(err: Callable[[int | None, str | None, str], None], line: int, name: str,
                 scores: dict[str, float], full: dict[str, float] | None) -> None:
    """Perturbed scores need every label of ``classification_scores``: entropy and KL compare distributions."""
    missing = sorted(set(full or ()) - set(scores))
    if missing:
        err(line, name, f"has no score for {', '.join(map(repr, missing))}, a label of classification_scores")


def validate_results(dataset: Dataset, split: str, results_or_path: str | Path | Sequence[Result],
                     allow_unknown_annotations: bool = False) -> list[Result]:
    """Parse (when given a path) and check results against ``dataset[split]``; return the results.

    Raises :class:`DataErrors` listing every problem. ``allow_unknown_annotations`` accepts lines whose
    ``annotation_id`` is not in the split (the official scorer scores them as predictions without gold).
    A file without any results line, or whose ids are all foreign to the split, is one problem.
    """
    known = {ex.id for ex in dataset[split]}
    if isinstance(results_or_path, (str, Path)):
        file: str | Path = results_or_path
        results, lines, errors = parse_results_file(results_or_path)
    else:
        file = "<results>"
        results = list(results_or_path)
        lines = list(range(1, len(results) + 1))
        errors = []
    if results and not allow_unknown_annotations and not any(r.annotation_id in known for r in results):
        raise DataErrors([*errors, foreign_ids_problem(dataset, split, results, file)])

    def err(line: int | None, fieldname: str | None, msg: str) -> None:
        errors.append(DataError(file, line, fieldname, msg))

    labels = set(dataset.labels)
    docs_of = "the dataset" if not dataset.unloaded_ids else f"split {split!r}"
    seen: dict[str, int] = {}
    for res, line in zip(results, lines):
        aid = res.annotation_id
        if aid in seen:
            err(line, "annotation_id", f"{aid!r} already appears on line {seen[aid]}")
        else:
            seen[aid] = line
        if aid not in known and not allow_unknown_annotations:
            err(line, "annotation_id", f"{aid!r} is not an annotation of split {split!r}")
        docs_here: set[str] = set()
        for i, rat in enumerate(res.rationales):
            where = f"rationales[{i}]"
            if rat.docid in docs_here:
                err(line, f"{where}.docid", f"{rat.docid!r} appears twice in this line")
            docs_here.add(rat.docid)
            doc = dataset.documents.get(rat.docid)
            if doc is None:
                err(line, f"{where}.docid", f"{rat.docid!r} is not a document of {docs_of}")
                continue
            n = len(doc)
            for j, (s, e) in enumerate(rat.hard):
                hw = f"{where}.hard_rationale_predictions[{j}]"
                if s < 0:
                    err(line, f"{hw}.start_token", f"is negative ({s})")
                if e < s:
                    err(line, f"{hw}.end_token", f"{e} is before start_token {s}")
                if e > n:
                    err(line, f"{hw}.end_token", f"{e} is past the end of document {rat.docid!r} ({n} tokens)")
                for k in range(j):
                    s2, e2 = rat.hard[k]
                    if max(s, s2) < min(e, e2):
                        err(line, hw, f"[{s}, {e}) overlaps hard_rationale_predictions[{k}] [{s2}, {e2})")
            if rat.soft is not None and len(rat.soft) != n:
                err(line, f"{where}.soft_rationale_predictions",
                    f"has {len(rat.soft)} scores but document {rat.docid!r} has {n} tokens")
            if rat.soft_sentences is not None and len(rat.soft_sentences) != len(doc.sentences):
                err(line, f"{where}.soft_sentence_predictions",
                    f"has {len(rat.soft_sentences)} scores but document {rat.docid!r} has {len(doc.sentences)} sentences")
        if res.rationales:
            for name, attr in (("soft_rationale_predictions", "soft"), ("soft_sentence_predictions", "soft_sentences")):
                have = [getattr(r, attr) is not None for r in res.rationales]
                if any(have) and not all(have):
                    err(line, f"rationales[{have.index(False)}].{name}", "is missing while other documents of this line have it")
        if res.classification is not None and res.classification not in labels:
            err(line, "classification", f"{res.classification!r} is not a label of the dataset ({', '.join(dataset.labels)})")
        for name in ("classification_scores", "comprehensiveness_classification_scores", "sufficiency_classification_scores"):
            scores = getattr(res, name)
            if scores is not None:
                bad = sorted(set(scores) - labels)
                if bad:
                    err(line, name, f"has unknown labels {bad}")
                if res.classification is not None and res.classification in labels and res.classification not in scores:
                    err(line, name, f"has no score for the predicted label {res.classification!r}")
                elif name != "classification_scores":
                    _same_labels(err, line, name, scores, res.classification_scores)
        if (res.classification is None) != (res.classification_scores is None):
            err(line, "classification_scores" if res.classification is not None else "classification",
                "is required when the other of classification / classification_scores is given")
        for name in ("comprehensiveness_classification_scores", "sufficiency_classification_scores", "thresholded_scores"):
            if getattr(res, name) is not None and res.classification is None:
                err(line, name, "needs classification and classification_scores")
        for i, ts in enumerate(res.thresholded_scores or []):
            for name in ("comprehensiveness_classification_scores", "sufficiency_classification_scores"):
                scores = getattr(ts, name)
                if res.classification is not None and res.classification not in scores:
                    err(line, f"thresholded_scores[{i}].{name}", f"has no score for the predicted label {res.classification!r}")
                else:
                    _same_labels(err, line, f"thresholded_scores[{i}].{name}", scores, res.classification_scores)

    # all-or-none presence of optional fields, and one set of AOPC thresholds
    if results:
        for name in OPTIONAL:
            have = [getattr(r, name) is not None for r in results]
            if any(have) and not all(have):
                first_missing = lines[have.index(False)]
                err(first_missing, name, f"is missing here but present on {sum(have)} of {len(have)} lines; "
                    "give it on every line or none")
        for name, attr in (("soft_rationale_predictions", "soft"), ("soft_sentence_predictions", "soft_sentences")):
            have = [any(getattr(d, attr) is not None for d in r.rationales) for r in results if r.rationales]
            if any(have) and not all(have):
                with_rats = [ln for r, ln in zip(results, lines) if r.rationales]
                err(with_rats[have.index(False)], f"rationales.{name}",
                    f"is missing here but present on {sum(have)} of {len(have)} lines; give it on every line or none")
        first_t = None
        for res, line in zip(results, lines):
            if res.thresholded_scores is None:
                continue
            ts = sorted(t.threshold for t in res.thresholded_scores)
            if first_t is None:
                first_t = (ts, line)
            elif ts != first_t[0]:
                err(line, "thresholded_scores", f"has thresholds {ts} but line {first_t[1]} has {first_t[0]}")
    if errors:
        errors.sort(key=lambda e: (e.line or 0))
        raise DataErrors(errors)
    return results

"""The ERASER results format: one JSON line per annotation with the model's rationales and scores.

This module holds the data classes and plain reading/writing. Checking a results file against its
dataset (spans inside documents, soft-score lengths, labels) lives in :mod:`rationalize.metrics.validate`.
Integer ``annotation_id`` values are read as their string, as the official scorer compares them.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rationalize.data.eraser import annotation_id
from rationalize.data.jsonl import describe, iter_jsonl, not_a, write_jsonl
from rationalize.errors import DataError, raise_problems


@dataclass
class DocRationale:
    """A model's rationale for one document: hard spans (end-exclusive token offsets), optional soft
    scores (one per document token) and soft sentence scores (one per sentence)."""

    docid: str
    hard: list[tuple[int, int]] = field(default_factory=list)
    soft: list[float] | None = None
    soft_sentences: list[float] | None = None

    def to_record(self) -> dict[str, Any]:
        """The ERASER results JSON object for this document's rationale."""
        rec: dict[str, Any] = {
            "docid": self.docid,
            "hard_rationale_predictions": [{"start_token": s, "end_token": e} for s, e in self.hard],
        }
        if self.soft is not None:
            rec["soft_rationale_predictions"] = [float(x) for x in self.soft]
        if self.soft_sentences is not None:
            rec["soft_sentence_predictions"] = [float(x) for x in self.soft_sentences]
        return rec


@dataclass
class ThresholdedScores:
    """Perturbed predictions for one AOPC bin (``threshold`` = fraction of document tokens removed/kept)."""

    threshold: float
    comprehensiveness_classification_scores: dict[str, float]
    sufficiency_classification_scores: dict[str, float]

    def to_record(self) -> dict[str, Any]:
        """The ERASER ``thresholded_scores`` entry for this bin."""
        return {
            "threshold": self.threshold,
            "comprehensiveness_classification_scores": self.comprehensiveness_classification_scores,
            "sufficiency_classification_scores": self.sufficiency_classification_scores,
        }


@dataclass
class Result:
    """One line of an ERASER results file."""

    annotation_id: str
    rationales: list[DocRationale] = field(default_factory=list)
    classification: str | None = None
    classification_scores: dict[str, float] | None = None
    comprehensiveness_classification_scores: dict[str, float] | None = None
    sufficiency_classification_scores: dict[str, float] | None = None
    thresholded_scores: list[ThresholdedScores] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        """The ERASER results JSON line for this annotation (unset fields left out, ``extra`` merged in)."""
        rec: dict[str, Any] = {"annotation_id": self.annotation_id}
        rec["rationales"] = [r.to_record() for r in self.rationales]
        for key in ("classification", "classification_scores", "comprehensiveness_classification_scores",
                    "sufficiency_classification_scores"):
            value = getattr(self, key)
            if value is not None:
                rec[key] = value
        if self.thresholded_scores is not None:
            rec["thresholded_scores"] = [t.to_record() for t in self.thresholded_scores]
        rec.update(self.extra)
        return rec

    def rationale_for(self, docid: str) -> DocRationale | None:
        """This result's rationale for document ``docid``, or None."""
        return next((r for r in self.rationales if r.docid == docid), None)


def _is_number(v: Any) -> bool:
    """A finite JSON number that fits a float (Python's json reads ``NaN`` and ``Infinity``, and integers of
    any size, which no metric can use)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return math.isfinite(v) if isinstance(v, float) else abs(v) <= sys.float_info.max


def _scores(value: Any, file: Path, lineno: int, name: str) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DataError(file, lineno, name, f"is {describe(value)}; expected an object mapping labels to numbers")
    for key, v in value.items():
        if not _is_number(v):
            raise DataError(file, lineno, f"{name}.{key}", f"is {describe(v)}, not a finite number")
    return {str(k): float(v) for k, v in value.items()}


def _float_list(value: Any, file: Path, lineno: int, name: str) -> list[float] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise DataError(file, lineno, name, f"is {describe(value)}; expected a list of numbers")
    for i, v in enumerate(value):
        if not _is_number(v):
            raise DataError(file, lineno, f"{name}[{i}]", f"is {describe(v)}, not a finite number")
    return [float(v) for v in value]


def result_from_record(rec: Any, file: Path, lineno: int) -> Result:
    """Parse one results line; structural problems raise :class:`DataError` naming the field."""
    if not isinstance(rec, dict):
        raise DataError(file, lineno, None, "is not a JSON object")
    aid = annotation_id(rec.get("annotation_id"))
    if aid is None:
        raise DataError(file, lineno, "annotation_id", "is empty" if rec.get("annotation_id") == "" else
                        not_a(rec, "annotation_id", "a string or an integer"))
    rats_raw = rec.get("rationales", [])
    if rats_raw is None:
        raise DataError(file, lineno, "rationales", "is null; expected a list")
    if not isinstance(rats_raw, list):
        raise DataError(file, lineno, "rationales", "must be a list")
    rationales = []
    for i, r in enumerate(rats_raw):
        where = f"rationales[{i}]"
        if not isinstance(r, dict):
            raise DataError(file, lineno, where, f"is {describe(r)}; expected an object with a docid")
        if not isinstance(r.get("docid"), str):
            raise DataError(file, lineno, f"{where}.docid", not_a(r, "docid", "a string"))
        hard_raw = r.get("hard_rationale_predictions", [])
        if hard_raw is None:
            raise DataError(file, lineno, f"{where}.hard_rationale_predictions", "is null; expected a list")
        if not isinstance(hard_raw, list):
            raise DataError(file, lineno, f"{where}.hard_rationale_predictions", "must be a list")
        hard = []
        for j, h in enumerate(hard_raw):
            hw = f"{where}.hard_rationale_predictions[{j}]"
            if not isinstance(h, dict):
                raise DataError(file, lineno, hw, "must be an object with start_token and end_token")
            for key in ("start_token", "end_token"):
                v = h.get(key)
                if not isinstance(v, int) or isinstance(v, bool):
                    raise DataError(file, lineno, f"{hw}.{key}", not_a(h, key, "an integer"))
            hard.append((h["start_token"], h["end_token"]))
        soft = _float_list(r.get("soft_rationale_predictions"), file, lineno, f"{where}.soft_rationale_predictions")
        sents = _float_list(r.get("soft_sentence_predictions"), file, lineno, f"{where}.soft_sentence_predictions")
        rationales.append(DocRationale(r["docid"], hard, soft, sents))
    label = rec.get("classification")
    if label is not None and not isinstance(label, str):
        raise DataError(file, lineno, "classification", f"is {describe(label)}, not a string")
    thresholded = None
    if "thresholded_scores" in rec:
        raw = rec["thresholded_scores"]
        if not isinstance(raw, list):
            raise DataError(file, lineno, "thresholded_scores", "must be a list")
        thresholded = []
        for i, t in enumerate(raw):
            where = f"thresholded_scores[{i}]"
            if not isinstance(t, dict):
                raise DataError(file, lineno, where, f"is {describe(t)}; expected an object with a threshold")
            if not _is_number(t.get("threshold")):
                raise DataError(file, lineno, f"{where}.threshold", not_a(t, "threshold", "a finite number"))
            c = _scores(t.get("comprehensiveness_classification_scores"), file, lineno, f"{where}.comprehensiveness_classification_scores")
            s = _scores(t.get("sufficiency_classification_scores"), file, lineno, f"{where}.sufficiency_classification_scores")
            if c is None or s is None:
                raise DataError(file, lineno, where, "needs comprehensiveness_ and sufficiency_classification_scores")
            thresholded.append(ThresholdedScores(float(t["threshold"]), c, s))
    known = {"annotation_id", "rationales", "classification", "classification_scores",
             "comprehensiveness_classification_scores", "sufficiency_classification_scores", "thresholded_scores"}
    return Result(
        annotation_id=aid,
        rationales=rationales,
        classification=label,
        classification_scores=_scores(rec.get("classification_scores"), file, lineno, "classification_scores"),
        comprehensiveness_classification_scores=_scores(
            rec.get("comprehensiveness_classification_scores"), file, lineno, "comprehensiveness_classification_scores"),
        sufficiency_classification_scores=_scores(
            rec.get("sufficiency_classification_scores"), file, lineno, "sufficiency_classification_scores"),
        thresholded_scores=thresholded,
        extra={k: v for k, v in rec.items() if k not in known},
    )


def parse_results_file(path: str | Path) -> tuple[list[Result], list[int], list[DataError]]:
    """Every line of a results file: the results, the line of each, and the problems of the lines that are
    not results (not JSON, bad structure), to report them all at once. A file that does not exist or has no
    results line at all (an empty file) raises :class:`DataError` here, for every reader of results files."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, None, "is a folder, not a results file" if path.is_dir() else "does not exist")
    results: list[Result] = []
    lines: list[int] = []
    errors: list[DataError] = []
    for lineno, rec in iter_jsonl(path, errors=errors):
        try:
            results.append(result_from_record(rec, path, lineno))
            lines.append(lineno)
        except DataError as exc:
            errors.append(exc)
    if not results and not errors:
        raise DataError(path, None, None, "has no results lines")
    return results, lines, errors


def read_results(path: str | Path) -> list[Result]:
    """Read an ERASER results JSONL file (structure only; see ``metrics.validate`` for dataset checks)."""
    results, _, errors = parse_results_file(path)
    raise_problems(errors)
    return results


def write_results(path: str | Path, results: Iterable[Result]) -> None:
    """Write results as an ERASER results JSONL file (atomically)."""
    write_jsonl(path, (r.to_record() for r in results))

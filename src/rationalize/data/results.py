"""The ERASER results format: one JSON line per annotation with the model's rationales and scores.

This module holds the data classes and plain reading/writing. Checking a results file against its
dataset (spans inside documents, soft-score lengths, labels) lives in :mod:`rationalize.metrics.validate`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rationalize.data.jsonl import iter_jsonl, write_jsonl
from rationalize.errors import DataError


@dataclass
class DocRationale:
    """A model's rationale for one document: hard spans (end-exclusive token offsets), optional soft
    scores (one per document token) and soft sentence scores (one per sentence)."""

    docid: str
    hard: list[tuple[int, int]] = field(default_factory=list)
    soft: list[float] | None = None
    soft_sentences: list[float] | None = None

    def to_record(self) -> dict[str, Any]:
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
        return next((r for r in self.rationales if r.docid == docid), None)


def _scores(value: Any, file: Path, lineno: int, name: str) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()):
        raise DataError(file, lineno, name, "must be an object mapping labels to numbers")
    return {str(k): float(v) for k, v in value.items()}


def _float_list(value: Any, file: Path, lineno: int, name: str) -> list[float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise DataError(file, lineno, name, "must be a list of numbers")
    return [float(v) for v in value]


def result_from_record(rec: Any, file: Path, lineno: int) -> Result:
    """Parse one results line; structural problems raise :class:`DataError` naming the field."""
    if not isinstance(rec, dict):
        raise DataError(file, lineno, None, "is not a JSON object")
    aid = rec.get("annotation_id")
    if not isinstance(aid, str):
        raise DataError(file, lineno, "annotation_id", "is missing or not a string")
    rats_raw = rec.get("rationales", [])
    if rats_raw is None:
        raise DataError(file, lineno, "rationales", "is null; expected a list")
    if not isinstance(rats_raw, list):
        raise DataError(file, lineno, "rationales", "must be a list")
    rationales = []
    for i, r in enumerate(rats_raw):
        where = f"rationales[{i}]"
        if not isinstance(r, dict) or not isinstance(r.get("docid"), str):
            raise DataError(file, lineno, f"{where}.docid", "is missing or not a string")
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
                    raise DataError(file, lineno, f"{hw}.{key}", "is missing or not an integer")
            hard.append((h["start_token"], h["end_token"]))
        soft = _float_list(r.get("soft_rationale_predictions"), file, lineno, f"{where}.soft_rationale_predictions")
        sents = _float_list(r.get("soft_sentence_predictions"), file, lineno, f"{where}.soft_sentence_predictions")
        rationales.append(DocRationale(r["docid"], hard, soft, sents))
    label = rec.get("classification")
    if label is not None and not isinstance(label, str):
        raise DataError(file, lineno, "classification", "must be a string")
    thresholded = None
    if "thresholded_scores" in rec:
        raw = rec["thresholded_scores"]
        if not isinstance(raw, list):
            raise DataError(file, lineno, "thresholded_scores", "must be a list")
        thresholded = []
        for i, t in enumerate(raw):
            where = f"thresholded_scores[{i}]"
            if not isinstance(t, dict) or not isinstance(t.get("threshold"), (int, float)):
                raise DataError(file, lineno, f"{where}.threshold", "is missing or not a number")
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


def read_results(path: str | Path) -> list[Result]:
    """Read an ERASER results JSONL file (structure only; see ``metrics.validate`` for dataset checks)."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, None, None, "does not exist")
    return [result_from_record(rec, path, lineno) for lineno, rec in iter_jsonl(path)]


def write_results(path: str | Path, results: Iterable[Result]) -> None:
    write_jsonl(path, (r.to_record() for r in results))

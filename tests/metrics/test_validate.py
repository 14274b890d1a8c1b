"""Validation reports every problem at once, each with file, line and field."""

from __future__ import annotations

import json

import pytest

from rationalize.data.results import write_results
from rationalize.errors import DataErrors
from rationalize.metrics import validate_results


def _write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_valid_file_round_trips(toy, toy_results, tmp_path):
    path = tmp_path / "r.jsonl"
    write_results(path, toy_results)
    back = validate_results(toy, "test", path)
    assert [r.annotation_id for r in back] == ["a", "b"]
    assert back[0].rationales[0].hard == [(0, 2), (3, 5)]


def test_every_problem_is_reported_with_line_and_field(toy, tmp_path):
    good = {"docid": "da", "hard_rationale_predictions": [], "soft_rationale_predictions": [0.0] * 10}
    records = [
        {"annotation_id": "a", "rationales": [{"docid": "da", "hard_rationale_predictions": [
            {"start_token": 0, "end_token": 4}, {"start_token": 3, "end_token": 6}], "soft_rationale_predictions": [0.1] * 9}],
         "classification": "MAYBE", "classification_scores": {"MAYBE": 1.0}},
        {"annotation_id": "b", "rationales": [{"docid": "nope", "hard_rationale_predictions": []}],
         "classification": "NEG", "classification_scores": {"NEG": 1.0}},
        {"annotation_id": "c", "rationales": None, "classification": "NEG", "classification_scores": {"NEG": 1.0}},
        {"annotation_id": "zzz", "rationales": [good], "classification": "NEG", "classification_scores": {"NEG": 1.0}},
        {"annotation_id": "a", "rationales": [{"docid": "da", "hard_rationale_predictions": [
            {"start_token": 5, "end_token": 11}]}], "classification": "NEG", "classification_scores": {"NEG": 1.0}},
    ]
    path = tmp_path / "bad.jsonl"
    _write(path, records)
    with pytest.raises(DataErrors) as info:
        validate_results(toy, "test", path)
    found = {(e.line, e.field) for e in info.value.errors}
    assert (1, "rationales[0].hard_rationale_predictions[1]") in found  # overlap
    assert (1, "rationales[0].soft_rationale_predictions") in found  # 9 scores, 10 tokens
    assert (1, "classification") in found  # unknown label
    assert (1, "classification_scores") in found  # unknown label key
    assert (2, "rationales[0].docid") in found  # unknown document
    assert (3, "rationales") in found  # null
    assert (4, "annotation_id") in found  # not in the split
    assert (5, "annotation_id") in found  # duplicate
    assert (5, "rationales[0].hard_rationale_predictions[0].end_token") in found  # past the end
    assert all(e.file.endswith("bad.jsonl") for e in info.value.errors)
    text = str(info.value)
    assert "bad.jsonl:1: rationales[0].soft_rationale_predictions has 9 scores" in text


def test_mixed_presence_and_thresholds(toy, tmp_path):
    base = {"rationales": [], "classification": "NEG", "classification_scores": {"NEG": 0.6, "POS": 0.4}}
    ts = lambda t: {"threshold": t, "comprehensiveness_classification_scores": {"NEG": 1.0},
                    "sufficiency_classification_scores": {"NEG": 1.0}}
    records = [
        {**base, "annotation_id": "a", "comprehensiveness_classification_scores": {"NEG": 0.5}, "thresholded_scores": [ts(0.1)]},
        {**base, "annotation_id": "b", "thresholded_scores": [ts(0.2)]},
    ]
    path = tmp_path / "mixed.jsonl"
    _write(path, records)
    with pytest.raises(DataErrors) as info:
        validate_results(toy, "test", path)
    found = {(e.line, e.field) for e in info.value.errors}
    assert (2, "comprehensiveness_classification_scores") in found
    assert (2, "thresholded_scores") in found


def test_bad_json_line_is_reported_with_the_others(toy, tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"annotation_id": "a", "rationales": []}\n{not json\n{"annotation_id": 3}\n')
    with pytest.raises(DataErrors) as info:
        validate_results(toy, "test", path)
    assert [(e.line, e.field) for e in info.value.errors] == [(2, None), (3, "annotation_id")]

"""Validation reports every problem at once, each with file, line and field."""

from __future__ import annotations

import json
from dataclasses import replace

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


def test_an_empty_file_is_refused_by_every_reader(toy, tmp_path):
    from rationalize.data.results import read_results
    from rationalize.errors import DataError

    path = tmp_path / "runs" / "x.jsonl"
    path.parent.mkdir()
    path.write_text("\n  \n")
    for read in (lambda: validate_results(toy, "test", path), lambda: read_results(path)):
        with pytest.raises(DataError) as info:
            read()
        assert str(info.value) == f"{path}: has no results lines"


def test_ids_of_another_split_are_one_problem(toy, toy_results, tmp_path):
    toy.splits["val"] = toy.splits.pop("test")
    toy.splits["test"] = [replace(ex, id=f"t_{ex.id}") for ex in toy.splits["val"]]
    path = tmp_path / "r.jsonl"
    write_results(path, toy_results)
    with pytest.raises(DataErrors) as info:
        validate_results(toy, "test", path)
    assert [str(e) for e in info.value.errors] == [
        (f"{path}: annotation_id matches no annotation of split 'test' of toy on any of its 2 lines; "
         "all 2 are annotations of split 'val'")]
    assert str(info.value) == str(info.value.errors[0])  # one line
    # some ids of the split: each foreign line is still named
    _write(path, [toy_results[0].to_record() | {"annotation_id": "t_a"}, toy_results[1].to_record()])
    with pytest.raises(DataErrors) as info:
        validate_results(toy, "test", path)
    assert [(e.line, e.field) for e in info.value.errors] == [(2, "annotation_id")]


def test_integer_ids_compare_as_strings(toy, tmp_path):
    toy.splits["test"] = [replace(ex, id=str(i)) for i, ex in enumerate(toy.splits["test"], start=10)]
    path = tmp_path / "r.jsonl"
    _write(path, [{"annotation_id": 10, "rationales": [{"docid": "da", "hard_rationale_predictions": []}]},
                  {"annotation_id": "11", "rationales": []}])
    assert [r.annotation_id for r in validate_results(toy, "test", path)] == ["10", "11"]


@pytest.mark.parametrize("record,expected", [
    ({"annotation_id": "a", "rationales": [{"docid": 5}]}, "rationales[0].docid is an integer, not a string"),
    ({"annotation_id": "a", "rationales": [{"hard_rationale_predictions": []}]}, "rationales[0].docid is missing"),
    ({"annotation_id": None}, "annotation_id is null, not a string or an integer"),
    ({"annotation_id": "a", "classification": 1}, "classification is an integer, not a string"),
    ({"annotation_id": "a", "classification_scores": {"POS": "high"}},
     "classification_scores.POS is a string, not a finite number"),
    ({"annotation_id": "a", "classification_scores": {"POS": float("nan")}},
     "classification_scores.POS is nan, not a finite number"),
    ({"annotation_id": "a", "thresholded_scores": [{"threshold": True}]},
     "thresholded_scores[0].threshold is a boolean, not a finite number"),
    ({"annotation_id": "a", "rationales": [{"docid": "da", "soft_rationale_predictions": [0.1, None]}]},
     "rationales[0].soft_rationale_predictions[1] is null, not a finite number"),
])
def test_a_wrong_type_says_what_it_is(toy, tmp_path, record, expected):
    path = tmp_path / "r.jsonl"
    _write(path, [{"annotation_id": "b", "rationales": []}, record])
    with pytest.raises(DataErrors) as info:
        validate_results(toy, "test", path)
    assert f"{path}:2: {expected}" in [str(e) for e in info.value.errors]


def test_an_unclosed_line_points_at_its_own_end(toy, tmp_path):
    path = tmp_path / "r.jsonl"
    first = '{"annotation_id": "a", "rationales": ['
    path.write_text(first + "\n" + '{"annotation_id": "b\n')
    with pytest.raises(DataErrors) as info:
        validate_results(toy, "test", path)
    assert [e.message for e in info.value.errors] == [
        f"is not valid JSON (Expecting value at column {len(first) + 1})",
        "is not valid JSON (Unterminated string starting at column 19)"]

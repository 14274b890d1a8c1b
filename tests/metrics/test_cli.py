"""``rationalize evaluate``: JSON in the official layout plus a table."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from rationalize.cli import app
from rationalize.data import write_eraser
from rationalize.data.results import write_results


def test_evaluate_command_writes_official_json_and_a_table(toy, toy_results, tmp_path):
    data = write_eraser(toy, tmp_path / "data")
    results = tmp_path / "r.jsonl"
    write_results(results, toy_results)
    out = tmp_path / "scores.json"
    res = CliRunner().invoke(app, ["evaluate", "--data", str(data), "--split", "test", "--results", str(results),
                                   "--out", str(out), "--iou-thresholds", "0.5,0.9", "--aopc-thresholds", "0.1 0.5"])
    assert res.exit_code == 0, res.output
    scores = json.loads(out.read_text())
    assert [s["threshold"] for s in scores["iou_scores"]] == [0.5, 0.9]
    assert abs(scores["token_prf"]["instance_micro"]["f1"] - 0.875) < 1e-12
    assert scores["classification_scores"]["aopc_thresholds"] == [0.1, 0.5]
    assert "IOU F1 @ 0.9" in res.output and "token P/R/F1" in res.output


def test_evaluate_command_reports_bad_lines(toy, tmp_path):
    data = write_eraser(toy, tmp_path / "data")
    results = tmp_path / "bad.jsonl"
    results.write_text(json.dumps({"annotation_id": "a", "rationales": [{"docid": "da", "hard_rationale_predictions": [
        {"start_token": 0, "end_token": 99}]}]}) + "\n")
    res = CliRunner().invoke(app, ["evaluate", "--data", str(data), "--split", "test", "--results", str(results)])
    assert res.exit_code != 0
    assert "bad.jsonl:1" in str(res.exception) and "end_token" in str(res.exception)

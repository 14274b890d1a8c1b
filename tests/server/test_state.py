"""ViewerState: validation errors identical to evaluate's, precomputed rows, the CLI's error path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from rationalize.cli import app
from rationalize.errors import DataErrors
from rationalize.metrics import per_example_metrics, validate_results
from rationalize.server import ViewerState


def test_rows_match_per_example_metrics(viewer_state, viewer_fixture):
    per = per_example_metrics(viewer_fixture["dataset"], "val", str(viewer_fixture["results"][0]))
    rows = viewer_state.runs[0].rows
    # one row per val example (the first results file covers them all), each with its own metrics
    assert [row["id"] for row in rows] == [ex.id for ex in viewer_fixture["dataset"]["val"]] and len(rows) == 24
    assert set(per) == {row["id"] for row in rows}
    for row in rows:
        m = per[row["id"]]
        assert row["pred"] == m["predicted"] and row["correct"] == m["correct"]
        for key in ("token_f1", "iou_f1", "comprehensiveness", "sufficiency_aopc", "token_auprc"):
            assert row["metrics"][key] == pytest.approx(m[key])


def test_query_ranges_exclude_missing(viewer_state):
    # The hard-only file has no comprehensiveness at all: a range on it keeps nothing.
    assert viewer_state.query(run=1, ranges={"token_f1": (None, None)}) != []
    assert viewer_state.query(run=0, ranges={"comprehensiveness": (2.0, None)}) == []


def bad_file(tmp_path, viewer_fixture):
    lines = viewer_fixture["results"][0].read_text().splitlines()
    rec = json.loads(lines[1])
    rec["rationales"][0]["hard_rationale_predictions"] = [{"start_token": 0, "end_token": 10**6}]
    rec["classification"] = "MAYBE"
    lines[1] = json.dumps(rec)
    lines[2] = "{not json"
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_malformed_results_same_errors_as_evaluate(tmp_path, viewer_fixture):
    path = bad_file(tmp_path, viewer_fixture)
    with pytest.raises(DataErrors) as ours:
        ViewerState.from_paths(viewer_fixture["dataset"], "val", [viewer_fixture["results"][1], path])
    with pytest.raises(DataErrors) as theirs:
        validate_results(viewer_fixture["dataset"], "val", path)
    assert str(ours.value) == str(theirs.value)
    assert "bad.jsonl:2: rationales[0].hard_rationale_predictions[0].end_token" in str(ours.value)
    assert "bad.jsonl:3:" in str(ours.value)
    with pytest.raises(KeyError, match="no split 'dev'"):
        ViewerState.from_paths(viewer_fixture["dataset"], "dev", [path])


def test_cli_view_and_report_report_bad_files(tmp_path, viewer_fixture):
    path = bad_file(tmp_path, viewer_fixture)
    expected = str(pytest.raises(DataErrors, validate_results, viewer_fixture["dataset"], "val", path).value)
    common = ["--data", str(viewer_fixture["data"]), "--split", "val"]
    stderr = {}
    for name, cmd in (("evaluate", ["evaluate", *common, "--results", str(path)]),
                      ("view", ["view", *common, str(path)])):
        proc = subprocess.run([sys.executable, "-m", "rationalize.cli", *cmd], capture_output=True, text=True, check=False,
                              timeout=120)
        assert proc.returncode == 2, proc.stderr
        stderr[name] = proc.stderr.strip()
    assert stderr["view"] == stderr["evaluate"] == f"error: {expected}"
    # report: in-process (cli.main turns the same exception into the same line and exit status 2).
    result = CliRunner().invoke(app, ["report", *common, str(path), "--out", str(tmp_path / "r.html")])
    assert isinstance(result.exception, DataErrors) and str(result.exception) == expected
    assert not (tmp_path / "r.html").exists()

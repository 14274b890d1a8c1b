"""The CLI chain: train classifier -> predict -> explain (with faithfulness) -> evaluate."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from rationalize.cli import app
from rationalize.data.results import read_results


def test_train_predict_explain_evaluate(tmp_path):
    runner = CliRunner()
    data = "synthetic:seed=1,train=60,val=10,test=6"
    out = tmp_path / "clf"
    args = ["train", "classifier", "--data", data, "--encoder", "cnn", "--vectors", "none", "--out", str(out),
            "--hidden", "8", "--patience", "5", "--no-progress", "--epochs"]
    r = runner.invoke(app, args + ["2"])
    assert r.exit_code == 0, r.output
    assert (out / "rationalize.json").exists() and (out / "checkpoint.pt").exists()
    r = runner.invoke(app, args + ["3"])  # resume: only the third epoch runs
    assert r.exit_code == 0, r.output
    assert [json.loads(x)["epoch"] for x in (out / "history.jsonl").read_text().splitlines()] == [1, 2, 3]

    r = runner.invoke(app, ["predict", "--model", str(out), "--data", data, "--split", "test", "--out", str(tmp_path / "p.jsonl")])
    assert r.exit_code == 0, r.output
    assert len(read_results(tmp_path / "p.jsonl")) == 6

    res = tmp_path / "e.jsonl"
    r = runner.invoke(app, ["explain", "--model", str(out), "--data", data, "--split", "test", "--method",
                            "integrated-gradients", "--params", '{"n_steps": 4}', "--faithfulness", "--out", str(res),
                            "--no-progress"])
    assert r.exit_code == 0, r.output
    results = read_results(res)
    assert len(results) == 6 and all(x.comprehensiveness_classification_scores for x in results)
    assert all(x.rationales[0].hard and x.rationales[0].soft for x in results)
    r = runner.invoke(app, ["evaluate", "--data", data, "--split", "test", "--results", str(res), "--json"])
    assert r.exit_code == 0, r.output
    scores = json.loads(r.output)
    assert "token_prf" in scores and "comprehensiveness" in json.dumps(scores)

    r = runner.invoke(app, ["explain", "--model", str(out), "--data", data, "--split", "test", "--method", "bogus",
                            "--out", str(tmp_path / "x.jsonl")])
    assert r.exit_code != 0 and "unknown explanation method" in r.output

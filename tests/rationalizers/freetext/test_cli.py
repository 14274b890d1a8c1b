"""The CLI contracts: generate (resumable), evaluate-freetext (with `las`), train explainer, star."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rationalize.cli import app
from rationalize.data import write_eraser
from rationalize.data.jsonl import iter_jsonl
from rationalize.errors import DataErrors


@pytest.fixture(scope="module")
def toy_dir(toy, tmp_path_factory):
    return write_eraser(toy, tmp_path_factory.mktemp("data") / "toy")


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)
    return result


def test_generate_resumes_and_evaluate_writes_las(toy, toy_dir, trained_toy, tmp_path):
    model = trained_toy[2] / "model"
    out = tmp_path / "gen.jsonl"
    common = ["generate", "--model", model, "--data", toy_dir, "--split", "val", "--style", "wt5",
              "--format", "explain-then-predict", "--max-new-tokens", 14, "--out", out]
    r = run(*common, "--limit", 10)
    assert r.exit_code == 0, r.output
    first = [rec for _, rec in iter_jsonl(out)]
    assert len(first) == 10
    r = run(*common, "--limit", 30, "--batch-size", 4)
    assert r.exit_code == 0, r.output
    recs = [rec for _, rec in iter_jsonl(out)]
    assert [x["id"] for x in recs] == [ex.id for ex in toy["val"][:30]]  # no duplicates, order kept
    assert recs[:10] == first
    assert sum(x["label"] == x["gold"] for x in recs) >= 28
    assert set(recs[0]) >= {"id", "input", "prompt", "outputs", "label", "explanation", "status", "gold"}

    scores_path = tmp_path / "scores.json"
    r = run("evaluate-freetext", "--data", toy_dir, "--split", "val", "--results", out, "--out", scores_path,
            "--n-boot", 200)
    assert r.exit_code == 0, r.output
    scores = json.loads(scores_path.read_text())
    las = scores["las"]
    assert las["ci_low"] <= las["las"] <= las["ci_high"]
    assert "cross-validation" in las["simulator_training"] and "no separate training portion" in las["simulator_training"]
    assert scores["similarity"]["rougeL"] > 0.9  # the tiny model reproduces the human explanation
    assert scores["accuracy"] >= 0.9 and scores["parse_rate"] == 1.0
    per = [rec for _, rec in iter_jsonl(tmp_path / "scores.examples.jsonl")]
    assert len(per) == 30 and {"simulator", "leaked", "rougeL"} <= set(per[0])

    # a separate training portion for the simulator
    r = run("evaluate-freetext", "--data", toy_dir, "--split", "val", "--results", out, "--out", tmp_path / "s2.json",
            "--train-results", out, "--n-boot", 50)
    assert r.exit_code == 0, r.output
    assert "separate portion" in json.loads((tmp_path / "s2.json").read_text())["las"]["simulator_training"]

    # CoT faithfulness probes with the model that wrote the rationales
    r = run("evaluate-freetext", "--data", toy_dir, "--split", "val", "--results", out, "--out", tmp_path / "s3.json",
            "--n-boot", 50, "--probes-model", model)
    assert r.exit_code == 0, r.output
    probes = json.loads((tmp_path / "s3.json").read_text())["cot_probes"]
    assert probes["n"] >= 28 and probes["swap"]["changed"] >= 0.9


def test_generate_with_samples_votes(toy, toy_dir, trained_toy, tmp_path):
    out = tmp_path / "sc.jsonl"
    r = run("generate", "--model", trained_toy[2] / "model", "--data", toy_dir, "--split", "val", "--limit", 4,
            "--style", "wt5", "--samples", 3, "--temperature", 1.0, "--max-new-tokens", 14, "--out", out)
    assert r.exit_code == 0, r.output
    recs = [rec for _, rec in iter_jsonl(out)]
    assert [rec["id"] for rec in recs] == [ex.id for ex in toy["val"][:4]]  # one line per example asked for
    for rec in recs:
        assert len(rec["outputs"]) == 3 and sum(rec["votes"].values()) <= 3 and "agreement" in rec


def test_evaluate_rejects_bad_results_with_line_and_field(toy_dir, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "val_0", "label": "POS", "explanation": "x", "status": "ok", "input": {}}\n'
                   '{"id": "val_1", "label": 3, "explanation": "x", "status": "ok", "input": {}}\n'
                   '{"id": "nope", "label": null, "explanation": "", "status": "unparseable", "input": {}}\n')
    r = run("evaluate-freetext", "--data", toy_dir, "--split", "val", "--results", bad, "--out", tmp_path / "s.json")
    assert r.exit_code != 0 and isinstance(r.exception, DataErrors)
    msg = str(r.exception)
    assert "bad.jsonl:2: label has the wrong type" in msg and "bad.jsonl:3: id 'nope'" in msg


def test_train_explainer_and_star_commands(toy_dir, tmp_path):
    from tests.rationalizers.freetext.tiny import tiny_causal_lm

    base = tiny_causal_lm(seed=0).save(tmp_path / "base")
    out = tmp_path / "explainer"
    r = run("train", "explainer", "--model", base, "--data", toy_dir, "--out", out, "--split", "train",
            "--val-split", "val", "--limit", 32, "--val-limit", 16, "--epochs", 2, "--lr", 3e-3,
            "--format", "explain-then-predict", "--style", "wt5", "--batch-size", 16)
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "explainer.json").read_text())
    assert summary["pairs"] == 32 and summary["val_pairs"] == 16 and summary["best_epoch"] in (1, 2)
    assert (out / "model" / "rationalize.json").exists() and not (out / "train" / "checkpoint.pt").exists()

    star = tmp_path / "star"
    r = run("star", "--model", out / "model", "--data", toy_dir, "--iterations", 1, "--out", star, "--limit", 16,
            "--style", "wt5", "--epochs", 1, "--lr", 1e-3, "--max-new-tokens", 14)
    assert r.exit_code == 0, r.output
    s = json.loads((star / "iter_1" / "summary.json").read_text())
    assert s["examples"] == 16 and s["iteration"] == 1

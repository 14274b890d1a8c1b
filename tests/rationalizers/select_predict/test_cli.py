"""``rationalize train rationalizer`` trains, saves and reloads; ``rationalize predict`` writes results."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rationalize.cli import app
from rationalize.data.results import read_results
from rationalize.models.base import load_model

DATA = "synthetic:seed=1,train=60,val=20,test=20"


@pytest.mark.parametrize("method,extra", [("hardkuma", ["--noise-injection", "0.2"]), ("fresh", [])])
def test_train_rationalizer_cli_end_to_end(method, extra, tmp_path):
    out = tmp_path / "model"
    runner = CliRunner()
    res = runner.invoke(app, ["train", "rationalizer", "--data", DATA, "--method", method, "--encoder", "cnn",
                              "--embeddings", "none", "--hidden", "16", "--epochs", "1", "--max-steps-per-epoch", "2",
                              "--batch-size", "8", "--no-progress", "--out", str(out), *extra])
    assert res.exit_code == 0, res.output
    assert "saved" in res.output
    cfg = json.loads((out / "rationalize.json").read_text())
    assert cfg["method"] == method
    if extra:
        assert cfg["params"]["noise_injection"]["rate"] == 0.2
    model = load_model(out)
    assert model.labels == ["NEG", "POS"]
    res = runner.invoke(app, ["predict", "--model", str(out), "--data", DATA, "--split", "test",
                              "--out", str(tmp_path / "r.jsonl")])
    assert res.exit_code == 0, res.output
    results = read_results(tmp_path / "r.jsonl")
    assert len(results) == 20
    assert all(r.rationales[0].soft is not None and r.classification in ("NEG", "POS") for r in results)


def test_start_from_epoch_keeps_no_model_of_the_early_epochs(tmp_path):
    """``--start-from-epoch 2`` of 3 epochs: only epoch 3 can be the model kept, whatever the scores."""
    res = CliRunner().invoke(app, ["train", "rationalizer", "--data", DATA, "--method", "gumbel", "--encoder", "cnn",
                                   "--embeddings", "none", "--hidden", "16", "--epochs", "3", "--max-steps-per-epoch",
                                   "2", "--batch-size", "8", "--start-from-epoch", "2", "--no-progress", "--out",
                                   str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert "best epoch 3," in res.output


def test_unknown_method_is_a_clear_error(tmp_path):
    res = CliRunner().invoke(app, ["train", "rationalizer", "--data", DATA, "--method", "lei2017", "--out", str(tmp_path)])
    assert res.exit_code != 0
    assert "lei2017" in res.output


def test_unknown_encoder_is_a_clear_error(tmp_path):
    res = CliRunner().invoke(app, ["train", "rationalizer", "--data", DATA, "--method", "gumbel", "--encoder",
                                   "no-such-model", "--out", str(tmp_path / "m")])
    assert res.exit_code != 0
    assert "no-such-model" in res.output


def test_predict_at_equal_sparsity_selects_exactly_k_words(tmp_path, capsys, monkeypatch):
    """``predict --rule top-k --k 0.2``: every document's hard rationale holds exactly ``k_tokens(0.2, n)``
    words; ``--rule`` on a classifier, or an unknown rule, is one clear line."""
    from rationalize.data import load_dataset
    from rationalize.rationalizers.discretize import k_tokens
    from tests.cli_run import run_main

    out = tmp_path / "model"
    res = CliRunner().invoke(app, ["train", "rationalizer", "--data", DATA, "--method", "gumbel", "--encoder", "cnn",
                                   "--embeddings", "none", "--hidden", "16", "--epochs", "1", "--max-steps-per-epoch",
                                   "2", "--batch-size", "8", "--no-progress", "--out", str(out)])
    assert res.exit_code == 0, res.output
    run = run_main(["predict", "--model", str(out), "--data", DATA, "--split", "test", "--rule", "top-k", "--k", "0.2",
                    "--out", str(tmp_path / "k.jsonl")], capsys, monkeypatch)
    assert run.code == 0, run.err
    ds = load_dataset(DATA)
    for r in read_results(tmp_path / "k.jsonl"):
        for rat in r.rationales:
            assert sum(e - s for s, e in rat.hard) == k_tokens(0.2, len(ds.doc(rat.docid)))
    bad = run_main(["predict", "--model", str(out), "--data", DATA, "--split", "test", "--rule", "best",
                    "--out", str(tmp_path / "x.jsonl")], capsys, monkeypatch)
    assert bad.error_line == "error: --rule 'best' is not one of own, top-k"
    clf = tmp_path / "clf"
    res = CliRunner().invoke(app, ["train", "classifier", "--data", DATA, "--encoder", "cnn", "--vectors", "none",
                                   "--hidden", "8", "--epochs", "1", "--no-progress", "--out", str(clf)])
    assert res.exit_code == 0, res.output
    bad = run_main(["predict", "--model", str(clf), "--data", DATA, "--split", "test", "--rule", "top-k",
                    "--out", str(tmp_path / "y.jsonl")], capsys, monkeypatch)
    assert bad.error_line.startswith("error: --rule and --k are for select-then-predict models;")

"""Batches of similar length (``bucket``) for select-then-predict training: the batches the model trains on
are grouped by its ``item_length``, a run is repeatable, the default is unchanged, and the CLI takes
``--bucket`` and refuses a negative one in one line."""

from __future__ import annotations

import torch
from typer.testing import CliRunner

from rationalize.cli import app
from rationalize.rationalizers.select_predict.framework import SelectPredictRationalizer
from rationalize.rationalizers.select_predict.training import train_rationalizer

DATA = "synthetic:seed=1,train=60,val=20,test=20"
REAL_COLLATE = SelectPredictRationalizer.collate
KW = {"encoder": "cnn", "embeddings": None, "hidden": 8, "epochs": 1, "batch_size": 8, "progress": False}


def _train(ds, bucket, monkeypatch=None, seen=None):
    if seen is not None:
        real = REAL_COLLATE

        def spy(self, items):
            if self.training:
                seen.append([self.item_length(i) for i in items])
            return real(self, items)

        monkeypatch.setattr(SelectPredictRationalizer, "collate", spy)
    return train_rationalizer(ds, "a2r", None, bucket=bucket, **KW)


def test_bucketed_training_batches_group_lengths_and_repeat(tiny_synth, monkeypatch):
    plain, bucketed = [], []
    a = _train(tiny_synth, 0, monkeypatch, plain)
    b = _train(tiny_synth, 4, monkeypatch, bucketed)
    def spread(bs):
        return sum(max(x) - min(x) for x in bs)

    assert sorted(n for b in plain for n in b) == sorted(n for b in bucketed for n in b)  # the same items, one epoch each
    assert spread(bucketed) < spread(plain) / 2
    assert any(not torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    c = _train(tiny_synth, 4)
    assert all(torch.equal(p, q) for p, q in zip(b.state_dict().values(), c.state_dict().values()))


def test_cli_bucket(tmp_path):
    runner = CliRunner()
    common = ["train", "rationalizer", "--data", DATA, "--method", "a2r", "--encoder", "cnn", "--embeddings",
              "none", "--hidden", "8", "--epochs", "1", "--max-steps-per-epoch", "2", "--batch-size", "8",
              "--no-progress"]
    res = runner.invoke(app, [*common, "--bucket", "2", "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*common, "--bucket", "-1", "--out", str(tmp_path / "bad")])
    assert res.exit_code == 2 and "--bucket" in res.output and "Traceback" not in res.output

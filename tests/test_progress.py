"""Progress output: a bar on a terminal, one line per epoch or stage elsewhere, nothing when disabled."""

from __future__ import annotations

import io
import re
import sys

import pytest
from typer.testing import CliRunner

from rationalize.cli import app
from rationalize.engine.training import TrainConfig, fit
from rationalize.progress import Progress, format_metrics, interactive
from tests.engine.test_training import Linear, _data, collate, make_eval

EPOCH_LINE = re.compile(r"^epoch (\d+)/(\d+): loss=\S+ acc=\S+ val_accuracy=\S+ \(\d+\.\ds\)$")


class FakeTTY(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _fit(epochs: int, progress: bool) -> None:
    items = _data(64, 0)
    fit(Linear(), items, collate, make_eval(items), TrainConfig(epochs=epochs, batch_size=8, lr=0.05,
                                                                progress=progress, patience=epochs))


def test_training_without_a_terminal_writes_one_line_per_epoch(capsys):
    _fit(3, progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "\r" not in err
    lines = err.splitlines()
    assert [EPOCH_LINE.match(line).groups() for line in lines] == [("1", "3"), ("2", "3"), ("3", "3")], err


def test_training_on_a_terminal_draws_a_bar_and_keeps_the_epoch_lines(monkeypatch):
    tty = FakeTTY()
    monkeypatch.setattr(sys, "stderr", tty)
    _fit(2, progress=True)
    text = tty.getvalue()
    assert "\r" in text and "batch" in text  # tqdm redraws its bar in place
    kept = [EPOCH_LINE.match(line.split("\r")[-1]) for line in text.split("\n")]
    assert [m.groups() for m in kept if m] == [("1", "2"), ("2", "2")], text


@pytest.mark.parametrize("tty", [False, True])
def test_progress_false_writes_nothing(tty, capsys, monkeypatch):
    if tty:
        monkeypatch.setattr(sys, "stderr", FakeTTY())
    _fit(2, progress=False)
    assert capsys.readouterr() == ("", "")
    if tty:
        assert sys.stderr.getvalue() == ""


def test_a_stage_writes_one_summary_line(capsys):
    bar = Progress(400, "faithfulness", "input")
    for _ in range(4):
        bar.update(100)
    bar.close()
    bar.close()  # once only
    with Progress(3, "scoring", "batch"):
        pass
    assert re.fullmatch(r"faithfulness: 400 inputs in \d+\.\ds\nscoring: 0 batches in \d+\.\ds\n",
                        capsys.readouterr().err)


def test_a_failed_stage_says_where_it_stopped(capsys):
    with pytest.raises(KeyError), Progress(10, "predict", "example") as bar:
        bar.update()
        raise KeyError("x")
    assert re.fullmatch(r"predict: stopped after 1 example by KeyError \(\d+\.\ds\)\n", capsys.readouterr().err)


def test_interactive_follows_the_current_stderr(monkeypatch):
    monkeypatch.setattr(sys, "stderr", FakeTTY())
    assert interactive()
    assert Progress(1, "x")._bar is not None
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not interactive()
    assert Progress(1, "x")._bar is None


def test_format_metrics():
    assert format_metrics({"loss": 0.41327, "n": 3, "val_accuracy": 0.93}) == "loss=0.4133 n=3 val_accuracy=0.93"


def test_cli_training_log_has_one_line_per_epoch(tmp_path):
    res = CliRunner().invoke(app, ["train", "rationalizer", "--data", "synthetic:seed=1,train=40,val=10,test=10",
                                   "--method", "gumbel", "--encoder", "cnn", "--embeddings", "none", "--hidden", "8",
                                   "--epochs", "2", "--max-steps-per-epoch", "2", "--batch-size", "8",
                                   "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert "\r" not in res.output
    epochs = [line for line in res.stderr.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in epochs] == ["epoch 1/2", "epoch 2/2"], res.stderr
    assert all(line.endswith("s)") and "val_objective=" in line for line in epochs)


def test_no_progress_still_logs_one_line_per_epoch(caplog):
    with caplog.at_level("INFO", logger="rationalize"):
        _fit(2, progress=False)
    lines = [r.getMessage() for r in caplog.records if r.name == "rationalize.engine.training"]
    assert [EPOCH_LINE.match(line).groups() for line in lines] == [("1", "2"), ("2", "2")], lines


def test_cli_no_progress_prints_the_epoch_lines(tmp_path, capsys, monkeypatch):
    import logging

    from tests.cli_run import run_main

    run = run_main(["train", "classifier", "--data", "synthetic:train=40,val=10,test=5", "--encoder", "cnn",
                    "--vectors", "none", "--hidden", "8", "--epochs", "2", "--patience", "2", "--train-limit", "16",
                    "--no-progress", "--out", str(tmp_path / "m")], capsys, monkeypatch)
    assert run.code == 0, run.err
    epochs = [line for line in run.err.splitlines() if line.startswith("epoch ")]
    assert [re.match(r"epoch (\d)/2: loss=\S+ .*\(\d+\.\ds\)$", line).group(1) for line in epochs] == ["1", "2"], run.err
    assert not logging.getLogger("rationalize").handlers  # the command's handler went with it

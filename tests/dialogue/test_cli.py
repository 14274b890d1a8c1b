"""``rationalize chat``: questions from --ask and from stdin, bad options as one error line."""

from __future__ import annotations

import io
import sys

import pytest

from tests.cli_run import run_main


@pytest.fixture(scope="module")
def saved(tmp_path_factory, dialogue_data):
    from rationalize.data import write_eraser

    ds, clf = dialogue_data
    folder = tmp_path_factory.mktemp("chat")
    data = write_eraser(ds, folder / "data")
    clf.save(folder / "clf")
    return data, folder / "clf"


def test_chat_ask(saved, capsys, monkeypatch):
    data, model = saved
    r = run_main(["chat", "--data", str(data), "--model", str(model), "--encoder", "none",
                  "--ask", "what is your accuracy?", "--ask", "show id nope_1"], capsys, monkeypatch)
    assert r.code == 0, r.err
    assert "[score metric accuracy]" in r.out and "The model's accuracy on 16 examples of test" in r.out
    assert "no example with id 'nope_1'" in r.out and "Try: show id" in r.out


def test_chat_reads_stdin_until_quit(saved, capsys, monkeypatch):
    data, model = saved
    monkeypatch.setattr(sys, "stdin", io.StringIO("label distribution\n\nfilter id test_00001 and predict\nquit\nhelp\n"))
    r = run_main(["chat", "--data", str(data), "--model", str(model), "--encoder", "none"], capsys, monkeypatch)
    assert r.code == 0, r.err
    assert "[labels]" in r.out and "[filter id test_00001 and predict]" in r.out and "[help]" not in r.out


def test_chat_bad_options_are_one_line(saved, tmp_path, capsys, monkeypatch):
    data, model = saved
    r = run_main(["chat", "--data", str(data), "--model", str(tmp_path / "nowhere")], capsys, monkeypatch)
    assert "nowhere" in r.error_line
    r = run_main(["chat", "--data", str(data), "--model", str(model), "--split", "dev2"], capsys, monkeypatch)
    assert "dev2" in r.error_line

"""Bad input on the command line: one ``error: ...`` line naming the path as given (and the line and field
where there is one), a non-zero exit, before any slow work; never a traceback, never a silent success."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rationalize.data import make_synthetic, write_eraser
from rationalize.data.results import DocRationale, Result, write_results
from tests.cli_run import run_main


def _work_started(*args: object, **kwargs: object) -> None:
    raise AssertionError("the command started working on bad input")


@pytest.fixture
def cli(capsys, monkeypatch, tmp_path):
    """``cli(*args)`` runs ``rationalize ARGS`` in ``tmp_path`` (so paths are given relative, as users do).
    Serving (``view``) and building the demo benchmark fail the test: bad input must stop before them."""
    import uvicorn

    import rationalize.data

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(uvicorn, "run", _work_started)
    monkeypatch.setattr(rationalize.data, "make_synthetic", _work_started)
    return lambda *args: run_main([str(a) for a in args], capsys, monkeypatch)


@pytest.fixture
def data(tmp_path) -> Path:
    """A small ERASER folder ``data`` (train 20, val 10, test 10), as a relative path."""
    write_eraser(make_synthetic(seed=0, train=20, val=10, test=10), tmp_path / "data")
    return Path("data")


def hard_results(path: Path, examples) -> Path:
    write_results(path, [Result(ex.id, [DocRationale(ex.docids[0], [(0, 1)])]) for ex in examples])
    return path


MISSING_MODEL = "no-such-model"  # the split is checked before the model is loaded, so none is needed


@pytest.mark.parametrize("command", [
    ["evaluate", "--results", "r.jsonl"],
    ["explain", "--model", MISSING_MODEL, "--method", "saliency", "--out", "o.jsonl"],
    ["predict", "--model", MISSING_MODEL, "--out", "o.jsonl"],
    ["faithfulness", "--model", MISSING_MODEL, "--results", "r.jsonl", "--out", "o.jsonl"],
    ["report", "r.jsonl"],
    ["view", "r.jsonl"],
])
def test_unknown_split_is_one_line_before_any_work(cli, data, command):
    run = cli(*command, "--data", data, "--split", "tset")
    assert run.error_line == "error: dataset 'data' has no split 'tset' (it has: train, val, test)"


def test_demo_refuses_an_unknown_method_before_building_anything(cli, tmp_path):
    run = cli("demo", "--method", "foo", "--out", "runs/demo")
    assert run.error_line == ("error: --method 'foo' is not a rationalizer; choose lei2016, gumbel, hardkuma, a2r, fresh, "
                              "refer, sentence-a2r, sentence-gumbel")
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("command", [
    ["evaluate", "--split", "test", "--results", "runs/x.jsonl"],
    ["faithfulness", "--model", MISSING_MODEL, "--split", "test", "--results", "runs/x.jsonl", "--out", "o.jsonl"],
    ["report", "--split", "test", "runs/x.jsonl"],
    ["view", "--split", "test", "runs/x.jsonl"],
])
def test_an_empty_results_file_is_refused(cli, data, tmp_path, command):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "x.jsonl").write_text("\n")
    run = cli(*command, "--data", data)
    assert run.error_line == "error: runs/x.jsonl: has no results lines"
    assert not (tmp_path / "o.jsonl").exists()


def test_evaluate_writes_no_score_file_for_an_empty_results_file(cli, data, tmp_path):
    (tmp_path / "r.jsonl").write_text("")
    run = cli("evaluate", "--data", data, "--split", "test", "--results", "r.jsonl", "--out", "s.json")
    assert run.error_line == "error: r.jsonl: has no results lines"
    assert not (tmp_path / "s.json").exists()


def test_results_of_another_split_are_one_line(cli, data, tmp_path):
    from rationalize.data import load_eraser

    hard_results(tmp_path / "val.jsonl", load_eraser(tmp_path / "data")["val"])
    run = cli("evaluate", "--data", data, "--split", "test", "--results", "val.jsonl")
    assert run.error_line == ("error: val.jsonl: annotation_id matches no annotation of split 'test' of data on any "
                              "of its 10 lines; all 10 are annotations of split 'val'")


def test_results_of_another_dataset_are_one_line(cli, data, tmp_path):
    other = make_synthetic(seed=1, train=2, val=2, test=30)
    for ex in other["test"]:
        ex.id = f"other_{ex.id}"
    hard_results(tmp_path / "other.jsonl", other["test"])
    run = cli("evaluate", "--data", data, "--split", "test", "--results", "other.jsonl")
    assert run.error_line == ("error: other.jsonl: annotation_id matches no annotation of split 'test' of data on any "
                              f"of its 30 lines, nor of any other split (first: {other['test'][0].id!r})")


def test_train_classifier_without_a_train_split(cli, tmp_path):
    ds = make_synthetic(seed=0, train=5, val=5, test=5)
    del ds.splits["train"]
    write_eraser(ds, tmp_path / "fever_like")
    run = cli("train", "classifier", "--data", "fever_like", "--encoder", "cnn", "--vectors", "none", "--out", "m")
    assert run.error_line == "error: dataset 'fever_like' has no split 'train' (it has: val, test)"
    assert not (tmp_path / "m").exists()


def test_evaluate_checks_only_the_split_it_scores(cli, data, tmp_path):
    from rationalize.data import load_eraser

    val = load_eraser(tmp_path / "data")["val"]
    hard_results(tmp_path / "val.jsonl", val)
    with (tmp_path / "data" / "test.jsonl").open("a") as fh:
        fh.write('{"annotation_id": "broken",\n')
    run = cli("evaluate", "--data", data, "--split", "val", "--results", "val.jsonl", "--json")
    assert run.code == 0, run.err
    assert "token_prf" in json.loads(run.out)
    run = cli("evaluate", "--data", data, "--split", "test", "--results", "val.jsonl")
    assert run.error_line.startswith("error: data/test.jsonl:11: is not valid JSON")


def test_a_partial_results_file_is_scored_on_what_it_covers(cli, data, tmp_path):
    from rationalize.data import load_eraser

    test = load_eraser(tmp_path / "data")["test"]
    gold = test[:3]
    write_results(tmp_path / "runs_x.jsonl", [
        Result(ex.id, [DocRationale(ex.docids[0], [(ev.start_token, ev.end_token) for ev in ex.evidences])])
        for ex in gold])
    run = cli("evaluate", "--data", data, "--split", "test", "--results", "runs_x.jsonl", "--json")
    assert run.code == 0, run.err
    assert run.err.strip() == ("note: runs_x.jsonl covers 3 of 10 examples of test; scoring those 3 "
                               "(use --missing-as-empty to count the rest as empty predictions)")
    assert json.loads(run.out)["token_prf"]["instance_micro"]["r"] == pytest.approx(1.0)
    run = cli("evaluate", "--data", data, "--split", "test", "--results", "runs_x.jsonl", "--json",
              "--missing-as-empty")
    assert run.code == 0 and run.err == ""
    assert json.loads(run.out)["token_prf"]["instance_micro"]["r"] < 0.5


def test_problems_name_the_path_as_given(cli, tmp_path):
    ds = make_synthetic(seed=0, train=4, val=2, test=6)
    write_eraser(ds, tmp_path / "runs" / "bad" / "deep")
    f = tmp_path / "runs" / "bad" / "deep" / "test.jsonl"
    lines = f.read_text().splitlines()
    rec = json.loads(lines[5])
    rec["evidences"][0][0]["end_token"] = 10**6
    lines[5] = json.dumps(rec)
    f.write_text("\n".join(lines) + "\n")
    run = cli("data", "info", "runs/bad/deep")
    assert run.error_line.startswith("error: runs/bad/deep/test.jsonl:6: evidences[0][0].end_token 1000000 is past")


@pytest.mark.parametrize(("args", "says"), [
    (["evaluate", "--data", "data", "--results", "r.jsonl"], "error: Missing option '--split'."),
    (["evaluate", "--data", "data", "--split", "test", "--results", "r.jsonl", "--iou-matching", "most"],
     "error: Invalid value for --iou-matching: use best or one_to_one"),
    (["demo", "--epochs", "many"], "error: Invalid value for '--epochs'"),
    (["train", "rationalizer", "--data", "data", "--method", "hardkuma", "--out", "o", "--start-from-epoch", "-1"],
     "error: Invalid value for '--start-from-epoch'"),
    (["evaluat"], "error: No such command 'evaluat'."),
])
def test_usage_errors_are_one_line_with_the_help_to_read(cli, data, args, says):
    """click's usage errors (missing, malformed or unknown options and commands) print one line, not a box."""
    run = cli(*args)
    assert run.code == 2
    assert run.error_line.startswith(says) and run.error_line.endswith("--help')")


def test_an_unexpected_error_keeps_its_own_type(capsys, monkeypatch):
    """An exception main() does not know passes through as itself (a real bug report), not as an error of
    main's own except clauses."""
    import rationalize.cli as cli

    def boom(**_kw):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli, "app", boom)
    monkeypatch.setattr("sys.argv", ["rationalize", "data", "info", "x"])
    with pytest.raises(ZeroDivisionError, match="a bug"):
        cli.main()

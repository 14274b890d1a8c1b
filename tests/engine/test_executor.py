"""Executors return outputs in item order; Ray gives the same faithfulness results as local."""

from __future__ import annotations

import os

import pytest

from rationalize.data.results import DocRationale, Result
from rationalize.engine import FaithfulnessEngine, LocalExecutor, RayDataExecutor, RayExecutor
from tests.engine.conftest import LexiconClassifier


def square(x: int) -> int:
    return x * x


def test_local_executor_keeps_order():
    assert list(LocalExecutor().map(square, [3, 1, 2])) == [9, 1, 4]


@pytest.mark.slow
def test_ray_runs_equal_local_runs(tiny_synth, tmp_path, capsys, monkeypatch):
    """One local Ray instance for every Ray path: tasks and Ray Data map in order; the faithfulness engine,
    explain and predict (library and CLI) give on Ray exactly what they give locally."""
    ray = pytest.importorskip("ray")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    from rationalize.data import write_eraser
    from rationalize.data.results import read_results
    from rationalize.models.base import predict_dataset
    from rationalize.rationalizers.posthoc import explain_dataset, get_explainer
    from tests.cli_run import run_main
    from tests.models._tiny import trained_encoder

    ds = tiny_synth
    results = [Result(ex.id, [DocRationale(ex.docids[0], [(ev.start_token, ev.end_token) for ev in ex.evidences[:1]],
                                           soft=[float(i % 3) for i in range(len(ds.doc(ex.docids[0])))])])
               for ex in ds["test"][:8]]
    clf = trained_encoder(ds)
    folder = clf.save(tmp_path / "cnn")
    data = write_eraser(ds, tmp_path / "data")
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        tasks, pipeline = RayExecutor(max_in_flight=3), RayDataExecutor(concurrency=2)
        assert list(tasks.map(square, range(7))) == list(pipeline.map(square, range(7))) == [x * x for x in range(7)]
        for ex in (tasks, pipeline):
            remote = FaithfulnessEngine(LexiconClassifier(), executor=ex, token_budget=300, progress=False).run(
                ds, "test", results, aopc_thresholds=(0.1, 0.5))
            local = FaithfulnessEngine(LexiconClassifier(), token_budget=300, progress=False).run(
                ds, "test", results, aopc_thresholds=(0.1, 0.5))
            assert [r.to_record() for r in remote] == [r.to_record() for r in local]
        explainer = get_explainer("occlusion", clf)
        on_ray = explain_dataset(explainer, ds, "test", k=3, batch=3, progress=False, executor=pipeline)
        here = explain_dataset(explainer, ds, "test", k=3, batch=3, progress=False)
        assert [r.to_record() for r in on_ray] == [r.to_record() for r in here]
        assert ([r.to_record() for r in predict_dataset(clf, ds, "test", executor=pipeline)]
                == [r.to_record() for r in predict_dataset(clf, ds, "test")])
        files = {}
        for executor in ("local", "ray"):
            files[executor] = tmp_path / f"{executor}.jsonl"
            run = run_main(["predict", "--model", str(folder), "--data", str(data), "--split", "test", "--out",
                            str(files[executor]), "--executor", executor], capsys, monkeypatch)
            assert run.code == 0, run.err
        assert files["ray"].read_text() == files["local"].read_text()
        assert [r.annotation_id for r in read_results(files["ray"])] == [ex.id for ex in ds["test"]]
    finally:
        ray.shutdown()


def test_bad_executor_is_one_clear_line(tiny_synth, tmp_path, capsys, monkeypatch):
    from rationalize.data import write_eraser
    from tests.cli_run import run_main

    data = write_eraser(tiny_synth, tmp_path / "data")
    run = run_main(["predict", "--model", str(tmp_path / "none"), "--data", str(data), "--split", "test", "--out",
                    str(tmp_path / "o.jsonl"), "--executor", "dask"], capsys, monkeypatch)
    assert run.error_line == "error: --executor must be one of local, ray, not 'dask'"

"""Sweeps: resumable trial logs, and Ray Tune trials that give the records a local run gives."""

from __future__ import annotations

import json
import os

import pytest

from rationalize.engine.sweep import Trial, run_sweep


def double(x: int, offset: int = 0) -> dict:
    return {"y": 2 * x + offset}


def test_local_sweep_writes_each_record_and_resumes(tmp_path):
    log = tmp_path / "sweep.jsonl"
    trials = [Trial(f"t{i}", {"x": i}) for i in range(3)]
    seen = []
    out = run_sweep(trials[:2], double, log, shared={"offset": 1}, on_record=seen.append)
    assert [r["y"] for r in out] == [1, 3] and [r["id"] for r in seen] == ["t0", "t1"]
    assert all(r["seconds"] >= 0 for r in out)
    # a partial line from a killed run is dropped; finished trials are not run again
    with log.open("a") as fh:
        fh.write('{"id": "t2", "y"')
    calls = []

    def counting(x: int, offset: int = 0) -> dict:
        calls.append(x)
        return double(x, offset)

    out = run_sweep(trials, counting, log, shared={"offset": 1})
    assert calls == [2] and [r["y"] for r in out] == [1, 3, 5]
    assert [json.loads(line)["id"] for line in log.read_text().splitlines()] == ["t0", "t1", "t2"]


def test_sweep_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unique"):
        run_sweep([Trial("a"), Trial("a")], double, tmp_path / "x.jsonl")
    with pytest.raises(ValueError, match="executor must be one of"):
        run_sweep([Trial("a", {"x": 1})], double, tmp_path / "x.jsonl", executor="dask")
    with pytest.raises(ValueError, match="address"):
        run_sweep([Trial("a", {"x": 1})], double, tmp_path / "x.jsonl", address="auto")
    with pytest.raises(TypeError, match="must return a dict"):
        run_sweep([Trial("a", {"x": 1})], lambda x: x, tmp_path / "y.jsonl")


def train_and_score(method: str, seed: int, noise: float, dataset) -> dict:
    """A real trial: a seeded select-then-predict training run, scored on test at equal k."""
    from rationalize.metrics import evaluate
    from rationalize.rationalizers.select_predict.training import train_rationalizer

    model = train_rationalizer(dataset, method, None, epochs=2, batch_size=16, seed=seed, progress=False,
                               encoder="cnn", embeddings=None, hidden=16, freeze_embeddings=False,
                               noise_injection=noise, sparsity=0.2)
    results = model.predict_results(dataset, "test", rule="top-k")
    scores = evaluate(dataset, "test", results, detect="any_line")
    return {"method": method, "seed": seed, "noise": noise,
            "token_f1": scores["token_prf"]["instance_macro"]["f1"],
            "records": [r.to_record() for r in results[:3]]}


@pytest.mark.slow
def test_tune_trials_equal_local_trials(tiny_synth, tmp_path):
    """Seeded arms on Ray Tune (two trials at once, one CPU each) give the local records, times apart."""
    pytest.importorskip("ray.tune")
    import cloudpickle

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    cloudpickle.register_pickle_by_value(__import__(__name__))  # Tune's workers need not import the tests
    trials = [Trial(f"gumbel/noise{noise}/seed{seed}", {"method": "gumbel", "seed": seed, "noise": noise})
              for seed, noise in ((0, 0.0), (1, 0.2))]
    local = run_sweep(trials, train_and_score, tmp_path / "local.jsonl", shared={"dataset": tiny_synth})
    tuned = run_sweep(trials, train_and_score, tmp_path / "tune.jsonl", executor="tune", cpus_per_trial=1,
                      max_concurrent=2, shared={"dataset": tiny_synth}, storage=tmp_path / "tune")

    def timeless(rec: dict) -> dict:
        return {k: v for k, v in rec.items() if k != "seconds"}

    assert [timeless(r) for r in tuned] == [timeless(r) for r in local]
    assert len({r["token_f1"] for r in local}) > 1  # the arms differ, so equality is not vacuous
    written = [json.loads(line)["id"] for line in (tmp_path / "tune.jsonl").read_text().splitlines()]
    assert sorted(written) == sorted(t.id for t in trials)

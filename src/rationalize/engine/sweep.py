"""Benchmark sweeps (seeds x arms) as resumable trials: in this process, or as Ray Tune trials.

A sweep is a list of :class:`Trial` (an id and a JSON-serialisable config) and one trial function
``fn(config, **shared) -> dict`` that trains and scores one arm for one seed. :func:`run_sweep` appends one
record per finished trial to a JSONL log (``{"id": ..., **fn(...), "seconds": ...}``) as soon as it ends,
and skips the trials whose id is already there, so a killed sweep resumes where it stopped.

* ``executor="local"`` (default): the trials run one after the other in this process, each with
  ``cpus_per_trial`` torch threads.
* ``executor="tune"``: the pending trials become one grid of a Ray Tune experiment (``tune.Tuner``), each
  trial a Tune trial with ``cpus_per_trial`` CPUs, at most ``max_concurrent`` at once, on a local Ray
  (started here and stopped at the end) or the cluster at ``address``. ``shared`` (a dataset, say) goes to
  the object store once (``tune.with_parameters``) instead of being pickled into every trial. Each record
  is appended by the driver as its trial reports, so the log is incremental here too.

A trial function that seeds everything it draws (our training loops do) gives the same record on both
executors, apart from the fields that hold times; ``tests/engine/test_sweep.py`` checks it on a real
training run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rationalize.data.jsonl import JsonlAppender, iter_jsonl

#: the executors :func:`run_sweep` offers (a benchmark's ``--executor``)
SWEEP_EXECUTORS = ("local", "tune")


@dataclass(frozen=True)
class Trial:
    """One point of a sweep: ``id`` (the record's key in the log, unique in the sweep) and ``config``
    (the keyword arguments of the trial function; JSON-serialisable so that Tune can show and store it)."""

    id: str
    config: Mapping[str, Any] = field(default_factory=dict)


def _limit_threads(n: int) -> int | None:
    """One trial, ``n`` CPUs: keep torch's intra-op pool to them, on both executors (Tune runs trials side by
    side, and a float reduction split over another number of threads may round differently). Returns the
    previous setting (None without torch)."""
    try:
        import torch
    except ImportError:
        return None
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    return before


def _timed(fn: Callable[..., dict], trial: Trial, shared: Mapping[str, Any]) -> dict:
    start = time.perf_counter()
    rec = fn(**trial.config, **shared)
    if not isinstance(rec, dict):
        raise TypeError(f"trial {trial.id!r}: the trial function must return a dict, not {type(rec).__name__}")
    return {"id": trial.id, **rec, "seconds": time.perf_counter() - start}


def _tune_trainable(config: dict, fn: Callable[..., dict], cpus: int, **shared: Any) -> None:
    """What a Tune trial runs: the trial function on its config; the record goes back as one JSON metric
    (Tune flattens and filters nested metrics, a string survives as it is)."""
    from ray import tune

    _limit_threads(cpus)
    trial = Trial(config["trial"]["id"], config["trial"]["config"])
    tune.report({"record": json.dumps(_timed(fn, trial, shared))})


def run_sweep(trials: Sequence[Trial], fn: Callable[..., dict], log_path: str | Path, *,
              executor: str = "local", shared: Mapping[str, Any] | None = None, address: str | None = None,
              cpus_per_trial: int = 1, max_concurrent: int | None = None, storage: str | Path | None = None,
              on_record: Callable[[dict], None] | None = None) -> list[dict]:
    """Run every trial not yet in ``log_path``; return the records of all ``trials``, in their order.

    ``fn(**trial.config, **shared)`` returns the record of one trial; ``on_record`` is called with each new
    record as it is written (a benchmark prints a line). ``storage`` is Tune's experiment folder (default:
    Tune's own, ``~/ray_results``). A trial that fails raises ``RuntimeError`` naming it, after the records of the
    trials that finished are written.
    """
    if executor not in SWEEP_EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(SWEEP_EXECUTORS)}, not {executor!r}")
    if address is not None and executor != "tune":
        raise ValueError("an address is for executor='tune'")
    ids = [t.id for t in trials]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ValueError(f"trial ids must be unique in a sweep; {dup!r} appears twice")
    shared = dict(shared or {})
    log_path = Path(log_path)
    log = JsonlAppender(log_path, id_field="id")
    finished = log.done_ids()
    records: dict[str, dict] = {}
    if finished:
        records = {str(rec["id"]): rec for _, rec in iter_jsonl(log_path)
                   if isinstance(rec, dict) and str(rec.get("id")) in finished}
    pending = [t for t in trials if t.id not in records]

    def write(rec: dict) -> None:
        log.append(rec)
        records[rec["id"]] = rec
        if on_record is not None:
            on_record(rec)

    try:
        if executor == "local":
            before = _limit_threads(cpus_per_trial) if pending else None
            try:
                for t in pending:
                    write(_timed(fn, t, shared))
            finally:
                if before is not None:
                    _limit_threads(before)
        elif pending:
            _run_tune(pending, fn, shared, write, address=address, cpus_per_trial=cpus_per_trial,
                      max_concurrent=max_concurrent,
                      storage=Path(storage) if storage is not None else None,
                      name=log_path.stem)
    finally:
        log.close()
    return [records[t.id] for t in trials]


def _run_tune(pending: list[Trial], fn: Callable[..., dict], shared: dict, write: Callable[[dict], None], *,
              address: str | None, cpus_per_trial: int, max_concurrent: int | None, storage: Path | None,
              name: str) -> None:
    try:
        from ray import tune
    except ImportError:
        raise ValueError("executor='tune' needs Ray Tune: pip install 'rationalize[ray]'") from None
    from rationalize.engine.executor import _start_ray

    class _Writer(tune.Callback):
        """Append each record in the driver as soon as its trial reports (incremental, resumable log)."""

        def on_trial_result(self, iteration, trials, trial, result, **info):
            if "record" in result:
                write(json.loads(result["record"]))

    ray, started = _start_ray(address, None, {"log_to_driver": False})
    try:
        trainable = tune.with_resources(tune.with_parameters(_tune_trainable, fn=fn, cpus=cpus_per_trial, **shared),
                                        {"cpu": cpus_per_trial})
        space = {"trial": tune.grid_search([{"id": t.id, "config": dict(t.config)} for t in pending])}
        tuner = tune.Tuner(trainable, param_space=space,
                           tune_config=tune.TuneConfig(max_concurrent_trials=max_concurrent),
                           run_config=tune.RunConfig(storage_path=str(storage.resolve()) if storage else None,
                                                     name=name, verbose=0,
                                                     callbacks=[_Writer()]))
        grid = tuner.fit()
        failed = [(r.config["trial"]["id"], r.error) for r in grid if r.error is not None]
        if failed:
            tid, err = failed[0]
            raise RuntimeError(f"{len(failed)} of {len(pending)} Tune trials failed; first {tid!r}: {err}")
    finally:
        if started:
            ray.shutdown()


__all__ = ["SWEEP_EXECUTORS", "Trial", "run_sweep"]

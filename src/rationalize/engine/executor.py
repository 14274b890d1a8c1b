"""Where batches of work run: in this process (default) or on a Ray cluster.

The faithfulness engine, ``explain`` and ``predict`` only need ``map(fn, items)``: apply ``fn`` to every
item and yield the outputs in the order of the items, as they become available (so a progress bar can
advance and a results file can be appended to, and resumed, in order). A distributed executor therefore
plugs in without any change to the metrics or the methods.

* :class:`LocalExecutor` -- this process, one item after the other (the default).
* :class:`RayDataExecutor` -- a Ray Data pipeline: the items become a dataset, a pool of actors (each
  holding ``fn``, and so the model, once) maps them, and the outputs stream back in item order
  (``preserve_order``). What ``--executor ray`` runs, on a local Ray or a cluster (``--address``).
* :class:`RayExecutor` -- one Ray task per item (``fn`` shared through the object store).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Executor(ABC):
    """Runs ``fn`` over items; outputs come back in item order."""

    @abstractmethod
    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Yield ``fn(item)`` for every item, in order."""

    def shutdown(self) -> None:
        """Release what the executor started (nothing, for one that runs in this process)."""


class LocalExecutor(Executor):
    """Runs everything in the calling process, one item after the other (the default)."""

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Yield ``fn(item)`` for every item, in order, computed lazily in this process."""
        for item in items:
            yield fn(item)


def _apply(fn: Callable[[Any], Any], item: Any) -> Any:
    return fn(item)


class _RayExecutor(Executor):
    """What both Ray executors share: Ray joined or started on first use (:func:`_start_ray`), and stopped
    by :meth:`shutdown` only if this executor started it."""

    address: str | None = None
    num_cpus: int | None = None
    init_kwargs: dict[str, Any]
    _started = False

    def _ray(self) -> Any:
        ray, started = _start_ray(self.address, self.num_cpus, self.init_kwargs)
        self._started = self._started or started
        return ray

    def shutdown(self) -> None:
        """Stop Ray if this executor started it."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False


class RayExecutor(_RayExecutor):
    """Runs items as Ray tasks (one task per item, ``num_cpus_per_task`` each).

    ``fn`` (with the classifier it closes over) is put in the object store once and shared by every task.
    Ray is started on first use if it is not running: ``ray.init(num_cpus=num_cpus,
    include_dashboard=False, **init_kwargs)``, with usage statistics off unless the environment says
    otherwise. ``max_in_flight`` bounds how many tasks are submitted ahead of the one being collected.
    """

    def __init__(self, num_cpus: int | None = None, num_cpus_per_task: float = 1, max_in_flight: int = 8,
                 **init_kwargs: Any):
        self.num_cpus = num_cpus
        self.num_cpus_per_task = num_cpus_per_task
        self.max_in_flight = max_in_flight
        self.init_kwargs = init_kwargs

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Yield ``fn(item)`` for every item, in order, each computed as a Ray task (at most
        ``max_in_flight`` submitted ahead)."""
        ray = self._ray()
        remote = ray.remote(num_cpus=self.num_cpus_per_task)(_apply)
        fn_ref = ray.put(fn)
        pending: list[Any] = []
        for item in items:
            pending.append(remote.remote(fn_ref, item))
            if len(pending) >= self.max_in_flight:
                yield ray.get(pending.pop(0))
        while pending:
            yield ray.get(pending.pop(0))


def _start_ray(address: str | None, num_cpus: int | None, init_kwargs: dict[str, Any]) -> tuple[Any, bool]:
    """``ray`` with a running instance (started here, without the dashboard and with usage statistics off
    unless the environment says otherwise, when none is); returns ``(ray, started_here)``."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    if ray.is_initialized():
        return ray, False
    if address is not None:
        ray.init(address=address, **init_kwargs)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, **init_kwargs)
    return ray, True


class _Apply:
    """The Ray Data actor: ``fn`` unpickled once per actor, then applied to each row's pickled item."""

    def __init__(self, fn_bytes: bytes):
        import cloudpickle

        self.fn = cloudpickle.loads(fn_bytes)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import cloudpickle
        import numpy as np

        outs = [cloudpickle.dumps(self.fn(cloudpickle.loads(bytes(b)))) for b in batch["item"]]
        return {"index": batch["index"], "out": np.array(outs, dtype=object)}


class RayDataExecutor(_RayExecutor):
    """``map`` as a Ray Data pipeline (see the module docstring).

    ``concurrency`` actors (default: the cluster's CPUs divided by ``num_cpus_per_worker``) each hold one
    copy of ``fn``; every item is one row, pickled with ``cloudpickle`` (items and outputs may be any
    Python objects: inputs, results, arrays). ``address`` joins a running cluster (``ray://...`` or
    ``auto``); without it a local Ray is started on first use and stopped by :meth:`shutdown`. Outputs
    come back in item order, so a run gives what the local executor gives."""

    def __init__(self, address: str | None = None, *, concurrency: int | None = None, num_cpus_per_worker: float = 1,
                 num_cpus: int | None = None, **init_kwargs: Any):
        self.address = address
        self.concurrency = concurrency
        self.num_cpus_per_worker = num_cpus_per_worker
        self.num_cpus = num_cpus
        self.init_kwargs = init_kwargs

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Yield ``fn(item)`` for every item, in order, computed by the actor pool of a Ray Data pipeline."""
        import cloudpickle

        rows = [{"index": i, "item": cloudpickle.dumps(item)} for i, item in enumerate(items)]
        if not rows:
            return
        ray = self._ray()
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        ctx.enable_progress_bars = False  # the caller shows its own progress
        workers = self.concurrency or max(1, int(ray.cluster_resources().get("CPU", 1) // self.num_cpus_per_worker))
        data = ray.data.from_items(rows, override_num_blocks=len(rows))
        out = data.map_batches(_Apply, fn_constructor_args=(cloudpickle.dumps(fn),), batch_size=1,
                               compute=ray.data.ActorPoolStrategy(size=min(workers, len(rows))),
                               num_cpus=self.num_cpus_per_worker)
        for expected, row in enumerate(out.iter_rows()):
            if int(row["index"]) != expected:  # preserve_order guarantees it; a broken guarantee must not pass
                raise RuntimeError(f"Ray Data returned item {row['index']} where item {expected} was due")
            yield cloudpickle.loads(row["out"])


#: the executors the command line offers (``--executor``)
EXECUTORS = ("local", "ray")


def make_executor(name: str, address: str | None = None) -> Executor | None:
    """``local``: None (every caller's default, this process) or ``ray`` (a :class:`RayDataExecutor`, on
    ``address`` or a local Ray)."""
    if name == "local":
        if address is not None:
            raise ValueError("an address is for --executor ray")
        return None
    if name == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ValueError("--executor ray needs Ray: pip install 'rationalize[ray]'") from None
        return RayDataExecutor(address)
    raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, not {name!r}")


"""Where batches of work run: in this process (default) or on a Ray cluster.

The faithfulness engine only needs ``map(fn, items)``: apply ``fn`` to every item and yield the outputs
in the order of the items, as they become available (so a progress bar can advance). A distributed
executor therefore plugs in without any change to the metrics or the engine.
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


class LocalExecutor(Executor):
    """Runs everything in the calling process, one item after the other (the default)."""

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Yield ``fn(item)`` for every item, in order, computed lazily in this process."""
        for item in items:
            yield fn(item)


def _apply(fn: Callable[[Any], Any], item: Any) -> Any:
    return fn(item)


class RayExecutor(Executor):
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
        self._started = False

    def _ray(self):
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        import ray

        if not ray.is_initialized():
            ray.init(num_cpus=self.num_cpus, include_dashboard=False, **self.init_kwargs)
            self._started = True
        return ray

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

    def shutdown(self) -> None:
        """Stop Ray if this executor started it."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

"""Executors return outputs in item order; Ray gives the same faithfulness results as local."""

from __future__ import annotations

import os

import pytest

from rationalize.data.results import DocRationale, Result
from rationalize.engine import FaithfulnessEngine, LocalExecutor, RayExecutor
from tests.engine.conftest import LexiconClassifier


def square(x: int) -> int:
    return x * x


def test_local_executor_keeps_order():
    assert list(LocalExecutor().map(square, [3, 1, 2])) == [9, 1, 4]


@pytest.mark.slow
def test_ray_executor_matches_local(tiny_synth):
    pytest.importorskip("ray")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ds = tiny_synth
    results = [Result(ex.id, [DocRationale(ex.docids[0], [(ev.start_token, ev.end_token) for ev in ex.evidences[:1]],
                                           soft=[float(i % 3) for i in range(len(ds.doc(ex.docids[0])))])])
               for ex in ds["test"][:8]]
    ex = RayExecutor(num_cpus=2, max_in_flight=3)
    try:
        assert list(ex.map(square, range(7))) == [x * x for x in range(7)]
        remote = FaithfulnessEngine(LexiconClassifier(), executor=ex, token_budget=300, progress=False).run(
            ds, "test", results, aopc_thresholds=(0.1, 0.5))
    finally:
        ex.shutdown()
    local = FaithfulnessEngine(LexiconClassifier(), token_budget=300, progress=False).run(
        ds, "test", results, aopc_thresholds=(0.1, 0.5))
    assert [r.to_record() for r in remote] == [r.to_record() for r in local]

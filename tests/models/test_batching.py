"""Window batching by a padded-piece budget (:func:`rationalize.models.windows.length_batches`, which uses
the engine's one packer, :func:`rationalize.engine.batching.pack`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rationalize.models.windows import length_batches


@given(st.lists(st.integers(0, 600), max_size=60), st.integers(1, 5000))
def test_budget_batches_cover_every_window_once_and_keep_to_the_budget(lengths, budget):
    batches = length_batches(lengths, None, budget)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(flat, reverse=True)  # by length: least padding
    for b in batches:
        longest = max(max(lengths[i] for i in b), 1)
        assert len(b) == 1 or len(b) * longest <= budget
    # greedy: a batch ends only when the next window would not have fitted in it
    for a, b in zip(batches, batches[1:]):
        assert (len(a) + 1) * max(max(lengths[i] for i in a), 1) > budget


def test_a_batch_size_wins_over_the_budget():
    assert length_batches([5, 1, 3, 2], 2, 4096) == [[1, 3], [2, 0]]
    assert [len(b) for b in length_batches([256] * 40, None, 4096)] == [16, 16, 8]
    assert [len(b) for b in length_batches([512] * 10, None, 4096)] == [8, 2]

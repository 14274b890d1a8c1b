"""Grouping items of unequal length into batches of bounded padded size (no torch: used by the
faithfulness engine for its perturbed inputs and by the windowed classifiers for their windows)."""

from __future__ import annotations

from collections.abc import Sequence


def pack(lengths: Sequence[int], token_budget: int, max_batch: int | None = None) -> list[list[int]]:
    """Group indices, sorted by decreasing length, into batches whose padded size
    ``len(batch) * longest`` stays within ``token_budget`` (a longer single item gets its own batch)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    cur: list[int] = []
    longest = 0
    for i in order:
        new_longest = max(longest, lengths[i], 1)
        if cur and ((len(cur) + 1) * new_longest > token_budget or (max_batch and len(cur) >= max_batch)):
            batches.append(cur)
            cur, new_longest = [], max(lengths[i], 1)
        cur.append(i)
        longest = new_longest
    if cur:
        batches.append(cur)
    return batches


__all__ = ["pack"]

"""Exhaustive search for the smallest sufficient rationale (short contexts only).

Vafa et al. (EMNLP 2021) compare greedy rationales against this optimum: the smallest subset containing
the query position under which y_t is the argmax. All subsets of one size are scored in batched forward
passes; the search stops at the first size that has a sufficient subset and returns, among those, the one
with the highest p(y_t). The cost grows as C(n, k), so ``max_size`` and ``max_subsets`` bound it.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from typing import Any

import torch

from rationalize.errors import RationalizeError
from rationalize.models.lm import SequenceAdapter, Target
from rationalize.rationalizers.greedy.base import SequentialRationale, SequentialRationalizer


class ExhaustiveRationalizer(SequentialRationalizer):
    """Smallest sufficient subset by brute force, up to ``max_size`` tokens.

    A target with no sufficient subset of size <= ``max_size`` gets the best subset of that size and
    ``recovered=False``. More than ``max_subsets`` subsets of one size raises :class:`RationalizeError`."""

    name = "exhaustive"

    def __init__(self, max_size: int = 6, max_subsets: int = 200_000, progress: bool = False, **kw: Any):
        super().__init__(max_steps=max_size, progress=progress, **kw)
        self.max_size = max_size
        self.max_subsets = max_subsets

    def run(self, adapter: SequenceAdapter, targets: Sequence[Target]) -> list[SequentialRationale]:
        """The smallest sufficient subset of each target, by brute force over subsets of growing size: the
        optimum that greedy rationalization approximates (Vafa et al., 2021), for short contexts only."""
        out = []
        for i, t in enumerate(self._iter(targets)):
            t0 = time.perf_counter()
            others = [c for c in t.candidates if c != t.query]
            best: tuple[float, list[int]] | None = None
            recovered = False
            evaluated = 0
            for k in range(1, min(self.max_size, len(others) + 1) + 1):
                n_sub = math.comb(len(others), k - 1)
                if n_sub > self.max_subsets:
                    raise RationalizeError(
                        f"exhaustive search over {n_sub} subsets of size {k} for target position {t.position} "
                        f"exceeds max_subsets={self.max_subsets}: use a shorter context or a smaller max_size")
                subsets = [sorted([*c, t.query]) for c in itertools.combinations(others, k - 1)]
                lp, arg = adapter.target_log_probs([t] * len(subsets), subsets)
                evaluated += len(subsets)
                ok = arg == t.token_id
                if bool(ok.any()):
                    masked = torch.where(ok, lp, torch.full_like(lp, -math.inf))
                    j = int(torch.argmax(masked))
                    best, recovered = (float(lp[j]), subsets[j]), True
                    break
                j = int(torch.argmax(lp))
                best = (float(lp[j]), subsets[j])
            assert best is not None
            order = [t.query, *[p for p in best[1] if p != t.query]]
            out.append(self._result(adapter, t, order, [math.exp(best[0])], recovered, subsets_evaluated=evaluated))
            self._charge([i], time.perf_counter() - t0)
        return out

    def _iter(self, targets: Sequence[Target]):
        bar = self._bar(len(targets), "exhaustive rationales")
        for t in targets:
            yield t
            bar.update(1)
        bar.close()

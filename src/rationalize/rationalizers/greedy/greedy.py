"""Greedy rationalization, batched (Vafa et al., EMNLP 2021, Algorithm 1).

Start from the query position (the most recent token: the model reads its prediction there); at each
step add the context token that most raises p(y_t | subset); stop as soon as y_t is the argmax. The
paper shows this approximates the smallest sufficient subset well (ratio 1.1 to the exhaustive optimum
on its analogies set) when the model is compatible with incomplete contexts.

Batching: every candidate of a step is one row, and the rows of *all* unfinished targets (of all
sequences) at the same step have the same length, so they stack without padding into one forward pass,
split only where the adapter's token budget (``max_tokens``) says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import torch

from rationalize.models.lm import SequenceAdapter, Target
from rationalize.rationalizers.greedy.base import SequentialRationale, SequentialRationalizer


class _State:
    __slots__ = ("target", "order", "probs", "done", "recovered", "limit")

    def __init__(self, target: Target, limit: int):
        self.target = target
        self.order: list[int] = [target.query]
        self.probs: list[float] = []
        self.done = False
        self.recovered = False
        self.limit = limit


class GreedyRationalizer(SequentialRationalizer):
    """Batched greedy rationalization: all candidates of a step, for all targets, per forward pass.

    ``max_steps`` caps the rationale size (``None``: up to the whole context). A target leaves the batch as soon
    as it is recovered or reaches its limit, so later forward passes hold only the targets still searching."""

    name = "greedy"

    def _evaluate(self, adapter: SequenceAdapter, targets: list[Target], subsets: list[list[int]]
                  ) -> tuple[torch.Tensor, torch.Tensor]:
        return adapter.target_log_probs(targets, subsets)

    def run(self, adapter: SequenceAdapter, targets: Sequence[Target]) -> list[SequentialRationale]:
        """Greedy rationalization (Vafa et al., 2021, Algorithm 1) of all targets together: from the query token,
        add the token that most raises p(y_t) until y_t is the argmax (or ``max_steps`` is reached)."""
        states = [_State(t, self._limit(t)) for t in targets]
        if not states:
            return []
        index = {id(s): i for i, s in enumerate(states)}
        bar = self._bar(len(states), f"{self.name} rationales")
        # step 1: the query token alone
        t0 = time.perf_counter()
        lp, arg = self._evaluate(adapter, [s.target for s in states], [[s.target.query] for s in states])
        self._charge(list(range(len(states))), time.perf_counter() - t0)
        for i, s in enumerate(states):
            self._update(s, s.target.query, float(lp[i]), int(arg[i]))
            bar.update(int(s.done))
        while True:
            active = [s for s in states if not s.done]
            if not active:
                break
            rows_t: list[Target] = []
            rows_s: list[list[int]] = []
            rows_c: list[int] = []
            owner: list[int] = []
            spans: list[tuple[_State, int, int]] = []
            for s in active:
                have = set(s.order)
                start = len(rows_t)
                for c in s.target.candidates:
                    if c not in have:
                        rows_t.append(s.target)
                        rows_s.append(sorted([*s.order, c]))
                        rows_c.append(c)
                        owner.append(index[id(s)])
                spans.append((s, start, len(rows_t)))
            t0 = time.perf_counter()
            lp, arg = self._evaluate(adapter, rows_t, rows_s)
            self._charge(owner, time.perf_counter() - t0)
            for s, a, b in spans:
                j = a + int(torch.argmax(lp[a:b]))  # first maximum: ties go to the lowest position
                self._update(s, rows_c[j], float(lp[j]), int(arg[j]))
                bar.update(int(s.done))
        bar.close()
        return [self._result(adapter, s.target, s.order, s.probs, s.recovered) for s in states]

    @staticmethod
    def _update(s: _State, added: int, logp: float, argmax: int) -> None:
        if added != s.target.query:
            s.order.append(added)
        s.probs.append(math.exp(logp))
        s.recovered = argmax == s.target.token_id
        s.done = s.recovered or len(s.order) >= s.limit or len(s.order) >= len(s.target.candidates)

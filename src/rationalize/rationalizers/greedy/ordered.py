"""Turning a per-token importance score into a sequential rationale (Vafa et al., EMNLP 2021, Sec. 6).

A baseline (gradients, attention, occlusion) ranks the context tokens once, on the full context; the
rationale is then the shortest prefix of that ranking (the query token always first, as for greedy)
under which y_t is the argmax. Prefixes of many targets are scored together, ``chunk`` sizes at a time.

The scores come from the post-hoc explainers (:class:`AttributionRationalizer`, through
:mod:`rationalize.rationalizers.greedy.attribution`): one attribution stack for classifiers and language models.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from rationalize.models.lm import SequenceAdapter, Target
from rationalize.rationalizers.greedy.base import SequentialRationale, SequentialRationalizer


class OrderedRationalizer(SequentialRationalizer):
    """Base class of the baselines: subclasses implement :meth:`scores` (higher = more important)."""

    name = "ordered"

    def __init__(self, max_steps: int | None = None, chunk: int = 4, progress: bool = False, **kw: Any):
        super().__init__(max_steps=max_steps, progress=progress, **kw)
        self.chunk = chunk

    def scores(self, adapter: SequenceAdapter, target: Target) -> torch.Tensor:
        """One importance score per context position (a 1-D tensor of length ``len(target.context)``)."""
        raise NotImplementedError

    def ordering(self, adapter: SequenceAdapter, target: Target) -> list[int]:
        """Candidate positions, query first, then by decreasing score (ties: later position first)."""
        sc = self.scores(adapter, target).detach().float().cpu()
        others = [c for c in target.candidates if c != target.query]
        others.sort(key=lambda c: (-float(sc[c]), -c))
        return [target.query, *others]

    def run(self, adapter: SequenceAdapter, targets: Sequence[Target]) -> list[SequentialRationale]:
        """The shortest prefix of each target's :meth:`ordering` under which y_t is the argmax (Vafa et al.,
        2021, Sec. 6); prefixes of all targets are scored together, ``chunk`` sizes at a time."""
        if not targets:
            return []
        bar = self._bar(len(targets), f"{self.name} rationales")
        orders = []
        for i, t in enumerate(targets):
            t0 = time.perf_counter()
            orders.append(self.ordering(adapter, t))
            self._charge([i], time.perf_counter() - t0)
        probs: list[list[float]] = [[] for _ in targets]
        size = [0] * len(targets)  # prefix sizes evaluated so far
        done = [False] * len(targets)
        recovered = [False] * len(targets)
        limits = [self._limit(t) for t in targets]
        while not all(done):
            rows_t, rows_s, owner = [], [], []
            for i, t in enumerate(targets):
                if done[i]:
                    continue
                for k in range(size[i] + 1, min(size[i] + self.chunk, limits[i]) + 1):
                    rows_t.append(t)
                    rows_s.append(sorted(orders[i][:k]))
                    owner.append((i, k))
            t0 = time.perf_counter()
            lp, arg = adapter.target_log_probs(rows_t, rows_s)
            self._charge([i for i, _ in owner], time.perf_counter() - t0)
            for r, (i, k) in enumerate(owner):
                if done[i]:
                    continue
                probs[i].append(math.exp(float(lp[r])))
                size[i] = k
                if int(arg[r]) == targets[i].token_id:
                    done[i] = recovered[i] = True
                elif k >= limits[i]:
                    done[i] = True
                if done[i]:
                    bar.update(1)
        bar.close()
        return [self._result(adapter, t, orders[i][: size[i]], probs[i], recovered[i]) for i, t in enumerate(targets)]


class AttributionRationalizer(OrderedRationalizer):
    """A baseline whose scores are a post-hoc explainer's (registry name :attr:`explainer`) on the next-token
    prediction, with :meth:`explainer_params`; see :mod:`rationalize.rationalizers.greedy.attribution`."""

    #: the post-hoc explainer that scores the context (a name of ``rationalizers.posthoc.EXPLAINERS``)
    explainer: ClassVar[str] = ""

    def explainer_params(self, target: Target) -> dict[str, Any]:
        """Keyword arguments of the post-hoc explainer for ``target`` (none by default)."""
        return {}

    def scores(self, adapter: SequenceAdapter, target: Target) -> torch.Tensor:
        """The post-hoc explainer's score of each context position for log p(y_t)."""
        from rationalize.rationalizers.greedy.attribution import target_scores

        return target_scores(self.explainer, adapter, target, **self.explainer_params(target))

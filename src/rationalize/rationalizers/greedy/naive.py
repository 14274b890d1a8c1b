"""The naive reference for greedy rationalization: the same search, one candidate per forward pass.

It exists to check the batched implementation (same rationales) and to measure its speed-up; it is
what a direct transcription of the algorithm costs.
"""

from __future__ import annotations

import torch

from rationalize.models.lm import SequenceAdapter, Target
from rationalize.rationalizers.greedy.greedy import GreedyRationalizer


class NaiveGreedyRationalizer(GreedyRationalizer):
    """Greedy rationalization evaluating each (target, candidate subset) in its own forward pass."""

    name = "naive"

    def _evaluate(self, adapter: SequenceAdapter, targets: list[Target], subsets: list[list[int]]
                  ) -> tuple[torch.Tensor, torch.Tensor]:
        lp = torch.empty(len(targets))
        arg = torch.empty(len(targets), dtype=torch.long)
        for i, (t, s) in enumerate(zip(targets, subsets)):
            a, b = adapter.target_log_probs([t], [s])
            lp[i], arg[i] = a[0], b[0]
        return lp, arg

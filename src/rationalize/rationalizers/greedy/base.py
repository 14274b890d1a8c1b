"""Shared pieces of every sequential rationalizer: the result record and the common signature.

A sequential rationale (Vafa et al., EMNLP 2021) explains one prediction y_t of a sequence model: it is
a subset of the context under which the model's argmax is still y_t. Every method here returns, per
target, the positions in the rationale, the order in which they were added, p(y_t) after each addition,
and whether the prediction was recovered (argmax == y_t) at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from rationalize.models.lm import SequenceAdapter, Target
from rationalize.progress import Progress


@dataclass
class SequentialRationale:
    """The rationale of one prediction.

    ``rationale_positions`` are sorted context positions (for encoder-decoder models, positions below
    ``source_length`` are source tokens and ``source_length + j`` is decoder input ``j``: the start token
    for ``j = 0``, else target token ``j - 1``). ``order`` lists the same positions in the order they were
    added; ``probabilities[i]`` is p(y_t) once ``order[: i + 1]`` is in the context.
    """

    method: str
    sequence: int
    target_position: int
    target_id: int
    rationale_positions: list[int]
    order: list[int]
    probabilities: list[float]
    recovered: bool
    context_length: int
    source_length: int = 0
    target_token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def length(self) -> int:
        """Number of positions in the rationale."""
        return len(self.rationale_positions)

    @property
    def probability(self) -> float:
        """p(y_t) under the final rationale."""
        return self.probabilities[-1] if self.probabilities else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """This rationale as a plain, JSON-ready dict."""
        return asdict(self)


class SequentialRationalizer:
    """Base class: ``rationalize(adapter, sequences, positions=None, target_ids=None)``.

    Subclasses implement :meth:`run` over a list of :class:`~rationalize.models.lm.Target`; the base class
    builds the targets (all positions of each sequence by default) and names the target tokens.
    """

    name = "base"

    def __init__(self, max_steps: int | None = None, progress: bool = False):
        self.max_steps = max_steps
        self.progress = progress

    def rationalize(self, adapter: SequenceAdapter, sequences: Sequence[Any],
                    positions: Sequence[Sequence[int] | None] | None = None,
                    target_ids: Sequence[Sequence[int] | None] | None = None) -> list[SequentialRationale]:
        """Rationalize the predictions at ``positions[i]`` of each sequence ``sequences[i]`` (token ids, or
        ``(source_ids, target_ids)`` pairs for encoder-decoder adapters). ``target_ids[i]`` optionally
        gives the tokens to explain (e.g. the model's own predictions) instead of the observed ones."""
        targets: list[Target] = []
        for i, seq in enumerate(sequences):
            pos = positions[i] if positions is not None else None
            tid = target_ids[i] if target_ids is not None else None
            targets.extend(adapter.targets(seq, pos, tid, index=i))
        return self.run(adapter, targets)

    def run(self, adapter: SequenceAdapter, targets: Sequence[Target]) -> list[SequentialRationale]:
        """One :class:`SequentialRationale` per target, in target order; implemented by each method."""
        raise NotImplementedError

    # helpers --------------------------------------------------------------------------------------
    def _bar(self, total: int, desc: str) -> Progress:
        return Progress(total, desc, "target", enabled=self.progress, leave=False)

    def _result(self, adapter: SequenceAdapter, t: Target, order: list[int], probs: list[float],
                recovered: bool, **extra: Any) -> SequentialRationale:
        return SequentialRationale(
            method=self.name, sequence=t.sequence, target_position=t.position, target_id=t.token_id,
            rationale_positions=sorted(order), order=list(order), probabilities=[float(p) for p in probs],
            recovered=bool(recovered), context_length=len(t.context), source_length=t.source_length,
            target_token=adapter.token_strings([t.token_id])[0], extra=dict(extra))

    def _limit(self, t: Target) -> int:
        n = len(t.candidates)
        return n if self.max_steps is None else min(n, self.max_steps)

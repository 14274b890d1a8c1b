"""Shared pieces of every sequential rationalizer: the result record and the common signature.

A sequential rationale (Vafa et al., EMNLP 2021) explains one prediction y_t of a sequence model: it is
a subset of the context under which the model's argmax is still y_t. Every method here returns, per
target, the positions in the rationale, the order in which they were added, p(y_t) after each addition,
and whether the prediction was recovered (argmax == y_t) at the end.

Before any search, :meth:`SequentialRationalizer.rationalize` runs **one forward pass on the full context** of
every target (one per sequence for causal LMs): it says whether the full context predicts y_t
(``full_context_predicts``), gives the model's own prediction when ``explain="predicted"``, and, with
``unpredicted="skip"``, spares the search for targets the full context does not predict (the paper's
combinatorial constraint is then usually unreachable, and those searches cost the most). Every result
records the seconds spent on it (``seconds``: its share of the forward passes it took part in).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
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
    #: whether the model's argmax under the full context is y_t (``None``: not measured)
    full_context_predicts: bool | None = None
    #: p(y_t) under the full context
    full_context_probability: float | None = None
    #: False when the search was skipped (``unpredicted="skip"`` and the full context does not predict y_t)
    searched: bool = True
    #: seconds spent on this target (its share of every forward pass it took part in)
    seconds: float | None = None

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


EXPLAIN = ("observed", "predicted")
UNPREDICTED = ("search", "skip")


#: placeholder target id: "the model's full-context prediction" (resolved before any search)
PREDICTED = -1


class SequentialRationalizer:
    """Base class: ``rationalize(adapter, sequences, positions=None, target_ids=None)``.

    Subclasses implement :meth:`run` over a list of :class:`~rationalize.models.lm.Target`; the base class
    builds the targets (all positions of each sequence by default), runs the full-context pass (see the module
    docstring), names the target tokens and times each target.

    ``max_steps`` caps the rationale size; ``explain="predicted"`` explains the model's own full-context argmax
    instead of the observed (or given) token; ``unpredicted="skip"`` returns, without searching, the whole
    context for a target the full context does not predict (``searched=False``, ``recovered=False``).
    """

    name = "base"

    def __init__(self, max_steps: int | None = None, progress: bool = False, explain: str = "observed",
                 unpredicted: str = "search"):
        if explain not in EXPLAIN:
            raise ValueError(f"explain must be one of {EXPLAIN}, got {explain!r}")
        if unpredicted not in UNPREDICTED:
            raise ValueError(f"unpredicted must be one of {UNPREDICTED}, got {unpredicted!r}")
        if max_steps is not None and max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {max_steps}")
        self.max_steps = max_steps
        self.progress = progress
        self.explain = explain
        self.unpredicted = unpredicted
        self._spent: list[float] = []

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
            if tid is None and pos is not None and self.explain == "predicted":
                tid = [PREDICTED] * len(pos)  # filled in by the full-context pass
            targets.extend(adapter.targets(seq, pos, tid, index=i))
        return self.rationalize_targets(adapter, targets)

    def rationalize_targets(self, adapter: SequenceAdapter, targets: Sequence[Target]) -> list[SequentialRationale]:
        """The full-context pass, then :meth:`run` on the targets to search, in target order (see the class
        docstring); each result carries ``full_context_predicts``, ``full_context_probability`` and ``seconds``."""
        if not targets:
            return []
        t0 = time.perf_counter()
        logp, arg = adapter.full_context(targets)
        full_s = (time.perf_counter() - t0) / len(targets)
        targets = [replace(t, token_id=int(a)) if self.explain == "predicted" or t.token_id == PREDICTED else t
                   for t, a in zip(targets, arg.tolist())]
        predicts = [int(a) == t.token_id for t, a in zip(targets, arg.tolist())]
        search = [i for i, ok in enumerate(predicts) if ok or self.unpredicted == "search"]
        self._spent = [0.0] * len(search)
        t1 = time.perf_counter()
        found = self.run(adapter, [targets[i] for i in search]) if search else []
        spent = self._spent if sum(self._spent) > 0 else [(time.perf_counter() - t1) / max(1, len(search))] * len(search)
        out: list[SequentialRationale | None] = [None] * len(targets)
        for i, r, s in zip(search, found, spent):
            r.seconds = full_s + s
            out[i] = r
        for i, t in enumerate(targets):
            if out[i] is None:  # skipped: the whole context, the query first
                order = [t.query, *[c for c in t.candidates if c != t.query]]
                out[i] = self._result(adapter, t, order, [float(logp[i].exp())], False)
                out[i].searched, out[i].seconds = False, full_s
        for i, r in enumerate(out):
            r.full_context_predicts = predicts[i]
            r.full_context_probability = float(logp[i].exp())
        return out  # type: ignore[return-value]

    def run(self, adapter: SequenceAdapter, targets: Sequence[Target]) -> list[SequentialRationale]:
        """One :class:`SequentialRationale` per target, in target order; implemented by each method (which
        may charge its time per target with :meth:`_charge`)."""
        raise NotImplementedError

    # helpers --------------------------------------------------------------------------------------
    def _charge(self, rows: Sequence[int], seconds: float) -> None:
        """Share ``seconds`` (one forward pass) among the targets of ``rows`` (one entry per row: the index of
        the target in the current :meth:`run` call), in proportion to their rows."""
        if not rows or len(self._spent) == 0:
            return
        each = seconds / len(rows)
        for i in rows:
            self._spent[i] += each

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

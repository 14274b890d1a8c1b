"""Self-consistency and rationale-augmented ensembles (Wang et al. 2022).

Sample N rationales per example, parse each one's answer, take the majority answer and keep only the
rationales that reach it. Unparseable samples do not vote. A tie between the top answers is reported as
``status="tie"`` with ``label=None`` rather than broken arbitrarily.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rationalize.rationalizers.freetext.generators import GenerationConfig, Generator
from rationalize.rationalizers.freetext.parsing import ParsedOutput
from rationalize.rationalizers.freetext.templates import PromptTemplate


@dataclass
class VoteResult:
    """The ensemble answer of one example: ``label`` (``None`` when no sample parsed or on a tie),
    ``votes`` per label, the indices of the samples that agree with the answer, and their explanations."""

    label: str | None
    status: str  # "ok" | "tie" | "unparseable"
    votes: dict[str, int] = field(default_factory=dict)
    agreeing: list[int] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)
    n_samples: int = 0
    n_unparseable: int = 0

    @property
    def agreement(self) -> float:
        """Share of all samples that voted for the answer (0 when there is none)."""
        return len(self.agreeing) / self.n_samples if self.n_samples and self.label is not None else 0.0

    def to_dict(self) -> dict[str, Any]:
        """This vote as a JSON-ready dict: label, status, votes, agreeing samples, explanations and counts."""
        return {"label": self.label, "status": self.status, "votes": self.votes, "agreeing": self.agreeing,
                "explanations": self.explanations, "n_samples": self.n_samples,
                "n_unparseable": self.n_unparseable, "agreement": self.agreement}


def majority_vote(samples: Sequence[ParsedOutput]) -> VoteResult:
    """Majority vote over parsed samples; keeps the explanations of the samples that agree."""
    votes = Counter(s.label for s in samples if s.ok and s.label is not None)
    n_bad = sum(1 for s in samples if not s.ok)
    if not votes:
        return VoteResult(None, "unparseable", {}, [], [], len(samples), n_bad)
    ranked = votes.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return VoteResult(None, "tie", dict(votes), [], [], len(samples), n_bad)
    label = ranked[0][0]
    agreeing = [i for i, s in enumerate(samples) if s.ok and s.label == label]
    return VoteResult(label, "ok", dict(votes), agreeing, [samples[i].explanation for i in agreeing],
                      len(samples), n_bad)


def self_consistency(
    generator: Generator,
    template: PromptTemplate,
    prompts: Sequence[str],
    candidates: Sequence[Sequence[str]],
    n: int = 5,
    config: GenerationConfig | None = None,
    progress: bool = False,
) -> list[tuple[list[ParsedOutput], VoteResult]]:
    """Sample ``n`` outputs per prompt (temperature sampling; ``config`` overrides the defaults),
    parse them with ``template`` against each example's ``candidates`` and vote."""
    if len(prompts) != len(candidates):
        raise ValueError("prompts and candidates must have the same length")
    base = config or GenerationConfig(do_sample=True, temperature=0.7)
    cfg = GenerationConfig(**{**base.__dict__, "do_sample": True, "num_return_sequences": n})
    outs = generator.generate(prompts, cfg, progress=progress)
    results = []
    for gens, cands in zip(outs, candidates):
        parsed = [template.parse(g.text, cands) for g in gens]
        results.append((parsed, majority_vote(parsed)))
    return results

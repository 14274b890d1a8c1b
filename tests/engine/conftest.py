"""A transparent lexicon classifier for engine tests: its probabilities are computable by hand."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pytest

from rationalize.data.synthetic import LEXICONS
from rationalize.models.base import ClassifierInput


class LexiconClassifier:
    """p(POS) = sigmoid(#POS-lexicon tokens - #NEG-lexicon tokens); a query containing "flip" negates it.

    Every other token (fillers, MASK) is ignored. ``calls`` records each ``predict_proba`` batch;
    ``fail_after`` raises after that many calls (to simulate a killed run).
    """

    labels: ClassVar[list[str]] = ["NEG", "POS"]

    def __init__(self, fail_after: int | None = None):
        self.calls: list[list[ClassifierInput]] = []
        self.fail_after = fail_after
        self.pos, self.neg = set(LEXICONS["POS"]), set(LEXICONS["NEG"])

    def score(self, inp: ClassifierInput) -> float:
        z = sum(t in self.pos for t in inp.tokens) - sum(t in self.neg for t in inp.tokens)
        if inp.query and "flip" in inp.query:
            z = -z
        return 1 / (1 + math.exp(-z))

    def predict_proba(self, inputs: Sequence[ClassifierInput], batch_size: int | None = None) -> np.ndarray:
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise RuntimeError("killed")
        self.calls.append(list(inputs))
        p = np.array([self.score(i) for i in inputs])
        return np.stack([1 - p, p], axis=1)


@pytest.fixture
def lexicon():
    return LexiconClassifier()

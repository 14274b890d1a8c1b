"""Small hand-built datasets and results for the metric tests."""

from __future__ import annotations

import pytest

from rationalize.data.results import DocRationale, Result, ThresholdedScores
from rationalize.data.schema import Dataset, Document, Evidence, Example


def make_dataset() -> Dataset:
    """Three annotations over three 10-token documents (two sentences of 5 tokens each).

    a: gold [0,4) and, from a second annotator group, the overlapping [2,6) -> gold tokens 0..5.
    b: gold [5,8).  c: no evidence at all (label NEG).
    """
    docs = {d: Document.from_sentences(d, [[f"{d}{i}" for i in range(5)], [f"{d}{i}" for i in range(5, 10)]])
            for d in ("da", "db", "dc")}
    text = lambda d, s, e: " ".join(docs[d].tokens[s:e])
    a = Example("a", ["da"], "POS", evidence_groups=[[Evidence("da", 0, 4, 0, 1, text("da", 0, 4))],
                                                     [Evidence("da", 2, 6, 0, 2, text("da", 2, 6))]])
    b = Example("b", ["db"], "NEG", evidence_groups=[[Evidence("db", 5, 8, 1, 2, text("db", 5, 8))]])
    c = Example("c", ["dc"], "NEG")
    return Dataset("toy", {"test": [a, b, c]}, docs, ["NEG", "POS"])


@pytest.fixture
def toy() -> Dataset:
    return make_dataset()


def probs(pos: float) -> dict[str, float]:
    return {"NEG": 1 - pos, "POS": pos}


def make_results() -> list[Result]:
    """Predictions for a and b only (c is not covered)."""
    ts = lambda c, s: [ThresholdedScores(0.1, probs(c), probs(s)), ThresholdedScores(0.5, probs(c / 2), probs(s / 2))]
    a = Result("a", [DocRationale("da", [(0, 2), (3, 5)], soft=[0.9, 0.8, 0.8, 0.1, 0.7, 0.2, 0, 0, 0, 0],
                                  soft_sentences=[0.9, 0.1])],
               "POS", probs(0.8), probs(0.3), probs(0.6), ts(0.4, 0.7))
    b = Result("b", [DocRationale("db", [(5, 8)], soft=[0.0] * 5 + [1.0, 1.0, 1.0, 0.0, 0.0], soft_sentences=[0.2, 0.8])],
               "POS", probs(0.6), probs(0.5), probs(0.5), ts(0.6, 0.2))
    return [a, b]


@pytest.fixture
def toy_results() -> list[Result]:
    return make_results()

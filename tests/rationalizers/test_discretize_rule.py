"""One rule for how many tokens ``k`` means (``discretize.k_tokens``), and every family that cuts hard
rationales from scores uses it: post-hoc ``explain``, the faithfulness engine (top-k fallback and AOPC
bins) and FRESH give the same mask for the same scores and ``k``; sentence scores aggregate the same way."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rationalize.data.results import DocRationale, Result
from rationalize.data.schema import Dataset, Document, Example
from rationalize.engine import FaithfulnessEngine
from rationalize.rationalizers import discretize as D
from rationalize.rationalizers.posthoc.explain import to_result
from rationalize.rationalizers.select_predict import Fresh
from tests.engine.conftest import LexiconClassifier

# ---------------------------------------------------------------------------------------------- the rule


def test_counts_are_exact_and_non_integer_counts_round_up():
    assert [D.k_tokens(k, 10) for k in (0, 1, 3, 10)] == [0, 1, 3, 10]
    assert D.k_tokens(7.3, 20) == 8  # a mean human rationale length: at least that many tokens
    assert D.k_tokens(2.0000000001, 20) == 2  # float noise around an integer count
    assert D.k_tokens(3, 10, fraction=False) == 3 and D.k_tokens(0.5, 10, fraction=False) == 1


def test_fractions_round_up_without_float_noise():
    assert D.k_tokens(0.1, 30) == 3
    assert 0.07 * 100 > 7 and D.k_tokens(0.07, 100) == 7  # 7.000000000000001 is 7 tokens, not 8
    assert 0.14 * 100 > 14 and D.k_tokens(0.14, 100) == 14
    assert 0.29 * 100 < 29 and D.k_tokens(0.29, 100) == 29
    assert D.k_tokens(0.07, 30) == 3  # 2.1 tokens: ceil, as ERASER's baselines
    assert D.k_tokens(0.01, 30) == 1  # a positive fraction keeps at least one token
    assert D.k_tokens(0.5, 5) == 3 and D.k_tokens(0.4, 5) == 2
    # fraction=None reads 1 as one token; fraction=True as the whole document
    assert D.k_tokens(1.0, 5) == 1 and D.k_tokens(1.0, 5, fraction=True) == 5
    assert D.k_tokens(0.0, 5, fraction=True) == 0


def test_bounds_and_bad_values():
    assert D.k_tokens(99, 5) == 5 and D.k_tokens(0.999, 5) == 5 and D.k_tokens(0.3, 0) == 0 and D.k_tokens(4, 0) == 0
    for bad in (-1, -0.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="non-negative"):
            D.k_tokens(bad, 5)
    with pytest.raises(ValueError, match=r"fraction k must be in \[0, 1\]"):
        D.k_tokens(1.5, 5, fraction=True)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 400), st.data())
def test_a_count_and_the_same_amount_as_a_fraction_agree(n, data):
    c = data.draw(st.integers(0, n))
    assert D.k_tokens(c / n, n, fraction=True) == c  # exact counts survive the division
    tenths = data.draw(st.integers(0, 10 * n)) / 10  # mean lengths such as 7.3
    k = D.k_tokens(tenths, n, fraction=False)
    assert k == min(n, math.ceil(tenths))
    assert D.k_tokens(tenths / n, n, fraction=True) == k
    assert 0 <= k <= n


def test_top_k_keeps_k_tokens_ties_first_come():
    s = [0.2, 0.9, 0.2, 0.2, 0.5]
    assert D.top_k(s, 0.5).tolist() == [True, True, False, False, True]  # ceil(2.5) = 3; ties: earlier
    assert D.top_k(s, 1.0, fraction=True).all() and D.top_k(s, 1).sum() == 1


def test_spans_hold_at_least_k_tokens():
    assert D.n_spans_for(0.1, 30, 2) == 2  # 3 tokens in 2-token spans
    assert D.n_spans_for(4, 30, 2) == 2 and D.n_spans_for(0, 30, 2) == 0 and D.n_spans_for(3, 30, 0) == 0


# ---------------------------------------------------------------------------------------------- the callers

N = 30


def one_doc_dataset(n: int = N) -> Dataset:
    """One example over one document of ``n`` distinct tokens in three sentences."""
    tokens = [f"w{i}" for i in range(n)]
    cut = [0, n // 3, 2 * n // 3, n]
    doc = Document.from_sentences("d", [tokens[a:b] for a, b in itertools.pairwise(cut)])
    return Dataset("one", {"test": [Example("a", ["d"], "POS")]}, {"d": doc}, ["NEG", "POS"])


def tied_scores(n: int = N, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 6, size=n).astype(float)  # many ties


def explain_mask(ds: Dataset, scores: np.ndarray, k: float, how: str = "top-k", **kw) -> np.ndarray:
    res = to_result(ds, ds["test"][0], scores, np.array([0.4, 0.6]), ds.labels, how, k, **kw)
    mask = np.zeros(len(scores), dtype=bool)
    for s, e in res.rationales[0].hard:
        mask[s:e] = True
    return mask


def faithfulness_masks(ds: Dataset, scores: np.ndarray, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """The engine's soft-only fallback rationale and its AOPC bin at ``fraction``, read back from the
    perturbed inputs it builds (the removed tokens)."""
    engine = FaithfulnessEngine(LexiconClassifier(), k_fraction=fraction, progress=False)
    res = Result("a", [DocRationale("d", [], soft=scores.tolist())])
    inputs = {slot: inp for _, slot, inp in engine.perturbed_inputs(ds, "test", [res], aopc_thresholds=(fraction,))}
    tokens = ds.doc("d").tokens

    def removed(kept: list[str]) -> np.ndarray:
        return np.array([t not in set(kept) for t in tokens])

    return removed(inputs[("comp",)].tokens), removed(inputs[("comp", fraction)].tokens)


def fresh(rationale_type: str, sparsity: float) -> Fresh:
    model = Fresh(encoder="cnn", embeddings=None, sparsity=sparsity, rationale_type=rationale_type)
    model.sparsity_ = sparsity  # what fit() sets from ``sparsity``; cutting rationales needs nothing else
    return model


@pytest.mark.parametrize("fraction", [0.1, 0.07, 0.01, 0.5, 0.33])
def test_explain_faithfulness_and_fresh_cut_the_same_top_k(fraction):
    ds, scores = one_doc_dataset(), tied_scores()
    expected = D.top_k(scores, fraction, fraction=True)
    assert expected.sum() == math.ceil(fraction * N - 1e-9)
    fallback, aopc_bin = faithfulness_masks(ds, scores, fraction)
    by_count = explain_mask(ds, scores, D.k_tokens(fraction, N, fraction=True))
    masks = {"explain (fraction)": explain_mask(ds, scores, fraction), "explain (count)": by_count,
             "faithfulness fallback": fallback, "faithfulness AOPC bin": aopc_bin,
             "fresh topk": fresh("topk", fraction)._discretize(scores, None)}
    for name, mask in masks.items():
        assert mask.tolist() == expected.tolist(), name


@pytest.mark.parametrize("fraction", [0.1, 0.07, 0.2])
def test_contiguous_and_threshold_rationales_agree_between_explain_and_fresh(fraction):
    ds, scores = one_doc_dataset(), tied_scores(seed=1)
    length = D.k_tokens(fraction, N, fraction=True)
    span = explain_mask(ds, scores, fraction, "top-k-spans", span_length=length)
    assert span.sum() == length and len(D.mask_to_spans(span)) == 1
    assert fresh("contiguous", fraction)._discretize(scores, None).tolist() == span.tolist()
    pairs = explain_mask(ds, scores, fraction, "top-k-spans", span_length=2)  # the fewest 2-token spans for k
    assert pairs.sum() == 2 * math.ceil(length / 2)
    thr = D.calibrated_threshold([scores, tied_scores(seed=2)], fraction)
    by_threshold = explain_mask(ds, scores, fraction, "threshold", t=thr)
    assert fresh("threshold", fraction)._discretize(scores, thr).tolist() == by_threshold.tolist()


def test_calibrated_threshold_hits_the_target_fraction():
    docs = [np.linspace(0, 1, 50), np.linspace(-1, 0.5, 40) ** 3, np.zeros(0)]
    thr = D.calibrated_threshold(docs, 0.2)
    got = np.mean([D.threshold(s, thr, normalize=True).mean() for s in docs if len(s)])
    assert got == pytest.approx(0.2, abs=0.03)


def test_sentence_scores_and_top_sentences_use_one_aggregate():
    ds, scores = one_doc_dataset(), tied_scores(seed=3)
    scores[:10] = 0.0
    scores[3] = 6.0  # one strong token in sentence 0: its max is the highest, its mean is not
    sents = ds.doc("d").sentences
    res = to_result(ds, ds["test"][0], scores, np.array([0.4, 0.6]), ds.labels, "top-sentences", 3)
    (rat,) = res.rationales
    means = [float(np.mean(scores[a:b])) for a, b in sents]
    assert D.SENTENCE_REDUCE == "mean" and rat.soft_sentences == pytest.approx(means)
    best = int(np.argmax(rat.soft_sentences))  # the hard sentence is the best-scored soft sentence
    assert rat.hard == [sents[best]]
    assert int(np.argmax(D.sentence_scores(scores, sents, "max"))) == 0 and best != 0

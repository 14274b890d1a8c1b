from __future__ import annotations

import numpy as np
import pytest

from rationalize.rationalizers.discretize import (
    mask_to_spans,
    sentence_scores,
    threshold,
    top_k,
    top_k_spans,
    top_sentences,
)


def test_top_k_count_fraction_and_ties():
    s = [0.1, 0.9, 0.5, 0.9, 0.0]
    assert top_k(s, 2).tolist() == [False, True, False, True, False]
    assert top_k(s, 0.4).sum() == 2  # 40% of 5 tokens
    assert top_k([1, 1, 1], 1).tolist() == [True, False, False]  # ties: earliest first
    assert top_k(s, 99).all() and not top_k(s, 0).any()
    with pytest.raises(ValueError):
        top_k(s, -1)


def test_threshold_and_spans():
    s = np.array([0.2, -2.0, 1.0, 0.6])
    assert threshold(s, 0.5).tolist() == [False, False, True, True]
    assert threshold(s, 0.5, normalize=True).tolist() == [False, False, True, False]  # s / 2.0
    assert mask_to_spans([True, True, False, True]) == [(0, 2), (3, 4)]
    assert mask_to_spans([False]) == []


def test_top_k_spans_picks_best_non_overlapping():
    s = np.array([0, 5, 5, 0, 0, 1, 4, 0])
    m = top_k_spans(s, 2, 2)
    assert mask_to_spans(m) == [(1, 3), (5, 7)]
    assert top_k_spans(s, 10, 3).sum() <= len(s)


def test_top_sentences():
    s = np.array([0, 0, 3, 3, 1, 0])
    sents = [(0, 2), (2, 4), (4, 6)]
    assert mask_to_spans(top_sentences(s, sents, 1)) == [(2, 4)]
    assert sentence_scores(s, sents, "max").tolist() == [0, 3, 1]

"""Plausibility metrics against hand-computed values (each case worked out in the comments)."""

from __future__ import annotations

import math

import pytest

from rationalize.metrics import plausibility as P


def test_token_prf_micro_macro_by_hand():
    truth = {("a", "d"): {(0, 4)}, ("b", "d"): {(2, 3)}}
    pred = {("a", "d"): {(2, 6)}}
    s = P.token_prf(truth, pred)
    # tokens: gold a {0,1,2,3}, b {2}; predicted a {2,3,4,5}: 2 hits of 4 predicted, 5 gold
    assert s["instance_micro"] == pytest.approx({"p": 0.5, "r": 0.4, "f1": 2 * 0.5 * 0.4 / 0.9})
    # macro over keys a (P=R=F1=.5) and b (no prediction: 0, 0, 0)
    assert s["instance_macro"] == pytest.approx({"p": 0.25, "r": 0.25, "f1": 0.25})


def test_overlapping_gold_spans_merge_at_token_level_but_not_span_level():
    truth = {("a", "d"): {(0, 3), (2, 5)}}
    pred = {("a", "d"): {(0, 5)}}
    assert P.token_prf(truth, pred)["instance_micro"] == {"p": 1.0, "r": 1.0, "f1": 1.0}
    assert P.span_prf(truth, pred)["instance_micro"] == {"p": 0, "r": 0, "f1": 0}
    assert P.span_prf(truth, {("a", "d"): {(2, 5)}})["instance_micro"] == pytest.approx({"p": 1, "r": 0.5, "f1": 2 / 3})


def test_empty_predictions_score_zero():
    truth = {("a", "d"): {(0, 3)}}
    assert P.token_prf(truth, {})["instance_micro"] == {"p": 0, "r": 0, "f1": 0}
    assert P.iou_f1(truth, {}, [0.5])[0]["micro"] == {"p": 0, "r": 0, "f1": 0}
    assert P.token_prf({}, {})["instance_macro"] == {"p": 0, "r": 0, "f1": 0}


def test_prediction_for_a_document_without_gold_lowers_precision_only():
    truth = {("a", "d1"): {(0, 2)}}
    pred = {("a", "d1"): {(0, 2)}, ("a", "d2"): {(0, 2)}}
    s = P.token_prf(truth, pred)
    assert s["instance_micro"] == pytest.approx({"p": 0.5, "r": 1.0, "f1": 2 / 3})
    # macro keys: d1 (1, 1, 1) and d2 (P 0, R 0 as it has no gold)
    assert s["instance_macro"] == pytest.approx({"p": 0.5, "r": 0.5, "f1": 0.5})
    iou = P.iou_f1(truth, pred, [0.5])[0]
    assert iou["micro"]["p"] == 0.5 and iou["micro"]["r"] == 1.0
    assert iou["macro"]["p"] == 0.5 and iou["macro"]["r"] == 1.0


def test_iou_exactly_at_threshold_is_a_hit():
    truth = {("a", "d"): {(0, 4)}}
    pred = {("a", "d"): {(0, 2)}}  # IOU 2/4 = 0.5
    at, above = P.iou_f1(truth, pred, [0.5, 0.51])
    assert at["micro"] == {"p": 1.0, "r": 1.0, "f1": 1.0}
    assert above["micro"] == {"p": 0, "r": 0, "f1": 0}
    assert at["threshold"] == 0.5


def test_iou_without_one_to_one_matching_lets_recall_pass_one():
    truth = {("a", "d"): {(0, 4)}}
    pred = {("a", "d"): {(0, 2), (2, 4)}}  # both have IOU 0.5 with the single gold span
    official = P.iou_f1(truth, pred, [0.5])[0]
    assert official["micro"]["r"] == 2.0 and official["micro"]["p"] == 1.0
    matched = P.iou_f1(truth, pred, [0.5], one_to_one=True)[0]
    assert matched["micro"]["r"] == 1.0 and matched["micro"]["p"] == 0.5
    assert matched["macro"]["f1"] == pytest.approx(2 * 0.5 / 1.5)


def test_one_to_one_finds_the_maximum_matching():
    # p1 overlaps g1 and g2 enough, p2 only g1: greedy p1->g1 would leave p2 unmatched
    truth = {("a", "d"): {(0, 4), (4, 8)}}
    pred = {("a", "d"): {(2, 6), (0, 3)}}
    hits = P.iou_hits(truth, pred, 0.3, one_to_one=True)
    assert hits[("a", "d")] == 2


def test_auprc_with_tied_scores_by_hand():
    truth, scores = [True, False, True, False], [0.9, 0.9, 0.1, 0.1]
    # PR points (r, p): (0, 1), (.5, .5), (1, .5); trapezoid: .5*(1+.5)/2 + .5*.5 = .625
    assert P.auprc(truth, scores) == pytest.approx(0.625)
    # step-wise average precision: .5*.5 + .5*.5
    assert P.auprc(truth, scores, "average_precision") == pytest.approx(0.5)
    s = P.soft_scores({"k": truth}, {"k": scores})
    assert s == pytest.approx({"auprc": 0.625, "average_precision": 0.5, "roc_auc_score": 0.5})


def test_soft_scores_skip_single_class_keys_for_ap_and_roc_only():
    truth = {"k1": [True, False], "k2": [False, False]}
    scores = {"k1": [0.8, 0.2], "k2": [0.5, 0.4]}
    s = P.soft_scores(truth, scores)
    assert s["average_precision"] == 1.0 and s["roc_auc_score"] == 1.0
    # k2 has no positive: sklearn's curve is (r, p) = (1, 0), (1, 0), (0, 1), area 0.5; it still counts
    # for AUPRC (mean of 1.0 and 0.5)
    assert s["auprc"] == pytest.approx(0.75)
    only_single = P.soft_scores({"k2": truth["k2"]}, {"k2": scores["k2"]})
    assert math.isnan(only_single["average_precision"]) and math.isnan(only_single["roc_auc_score"])


def test_iou_of_spans():
    assert P.iou((0, 4), (2, 6)) == pytest.approx(2 / 6)
    assert P.iou((0, 2), (2, 4)) == 0
    assert P.iou((3, 3), (3, 3)) == 0


def test_curve_functions_equal_sklearn_on_random_scores():
    import warnings

    import numpy as np
    from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score

    rng = np.random.default_rng(0)
    for trial in range(40):
        n = int(rng.integers(2, 30))
        y = rng.random(n) < rng.random()
        s = rng.integers(0, 4, n) / 3 if trial % 2 else rng.random(n)  # ties on odd trials
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p, r, _ = precision_recall_curve(y.astype(int), s)
        assert P.auprc(y, s) == pytest.approx(auc(r, p), abs=1e-12)
        if 0 < y.sum() < n:
            assert P.average_precision(y, s) == pytest.approx(average_precision_score(y, s), abs=1e-12)
            assert P.roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)

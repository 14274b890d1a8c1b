"""``evaluate`` on a hand-built dataset: every key of the official score file, worked out by hand."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from rationalize.data.results import write_results
from rationalize.metrics import evaluate, format_scores, per_example_metrics
from rationalize.metrics import plausibility as P
from rationalize.metrics.evaluate import coverage


def test_hard_metrics_by_hand(toy, toy_results):
    s = evaluate(toy, "test", toy_results, aopc_thresholds=(0.1, 0.5))
    # gold tokens a {0..5} (two overlapping annotator groups), b {5,6,7}; predicted a {0,1,3,4}, b {5,6,7}
    assert s["token_prf"]["instance_micro"] == pytest.approx({"p": 1.0, "r": 7 / 9, "f1": 0.875})
    assert s["token_prf"]["instance_macro"] == pytest.approx({"p": 1.0, "r": 5 / 6, "f1": 0.9})
    # exact spans: only b's (5, 8) matches; a has 2 gold spans and 2 predictions, all different
    assert s["rationale_prf"]["instance_micro"] == pytest.approx({"p": 1 / 3, "r": 1 / 3, "f1": 1 / 3})
    assert s["rationale_prf"]["instance_macro"] == pytest.approx({"p": 0.5, "r": 0.5, "f1": 0.5})
    # IOU: a's (0,2) vs gold (0,4) and (3,5) vs gold (2,6) are both exactly 0.5 -> hits
    (iou,) = s["iou_scores"]
    assert iou["threshold"] == 0.5
    assert iou["micro"] == pytest.approx({"p": 1.0, "r": 1.0, "f1": 1.0})
    assert iou["macro"] == pytest.approx({"p": 1.0, "r": 1.0, "f1": 1.0})


def test_soft_metrics_by_hand(toy, toy_results):
    s = evaluate(toy, "test", toy_results, aopc_thresholds=(0.1, 0.5))
    a_truth = [True] * 6 + [False] * 4
    a_auprc = P.auprc(a_truth, toy_results[0].rationales[0].soft)
    # b ranks its three gold tokens first: AUPRC, AP and ROC-AUC are 1
    assert s["token_soft_metrics"]["auprc"] == pytest.approx((a_auprc + 1.0) / 2)
    from sklearn.metrics import average_precision_score, roc_auc_score

    a_scores = toy_results[0].rationales[0].soft
    assert s["token_soft_metrics"]["average_precision"] == pytest.approx(
        (average_precision_score(a_truth, a_scores) + 1) / 2)
    assert s["token_soft_metrics"]["roc_auc_score"] == pytest.approx((roc_auc_score(a_truth, a_scores) + 1) / 2)
    # sentences: a's gold covers both sentences (single class: skipped by AP/ROC), b's is [F, T], scored perfectly
    assert s["sentence_soft_metrics"] == pytest.approx({"auprc": 1.0, "average_precision": 1.0, "roc_auc_score": 1.0})


def test_classification_and_faithfulness_by_hand(toy, toy_results):
    c = evaluate(toy, "test", toy_results, aopc_thresholds=(0.1, 0.5))["classification_scores"]
    # c has no prediction: left out; a POS->POS, b NEG->POS
    assert c["accuracy"] == 0.5
    assert c["prf"]["POS"]["precision"] == 0.5 and c["prf"]["NEG"]["recall"] == 0.0
    assert c["comprehensiveness"] == pytest.approx(((0.8 - 0.3) + (0.6 - 0.5)) / 2)
    assert c["sufficiency"] == pytest.approx(((0.8 - 0.6) + (0.6 - 0.5)) / 2)
    assert c["aopc_thresholds"] == [0.1, 0.5]
    # comp bins: a (.8-.4, .8-.2), b (.6-.6, .6-.3)
    assert c["comprehensiveness_aopc"] == pytest.approx((0.4 + 0.6 + 0.0 + 0.3) / 4)
    assert c["comprehensiveness_aopc_points"] == pytest.approx([0.2, 0.45])
    assert c["sufficiency_aopc"] == pytest.approx((0.1 + 0.45 + 0.4 + 0.5) / 4)
    assert c["sufficiency_aopc_points"] == pytest.approx([0.25, 0.475])
    h = lambda p: -(p * math.log(p) + (1 - p) * math.log(1 - p))
    assert c["comprehensiveness_entropy"] == pytest.approx(((h(0.8) - h(0.3)) + (h(0.6) - h(0.5))) / 2)
    kl = lambda q, p: q * math.log(q / p) + (1 - q) * math.log((1 - q) / (1 - p))
    assert c["sufficiency_kl"] == pytest.approx((kl(0.6, 0.8) + kl(0.5, 0.6)) / 2)
    z = evaluate(toy, "test", toy_results, aopc_thresholds=(0.1, 0.5), aopc_zero_term=True)["classification_scores"]
    assert z["comprehensiveness_aopc"] == pytest.approx(1.3 / 4 * 2 / 3)


def test_keys_and_nesting_match_the_official_score_file(toy, toy_results):
    s = evaluate(toy, "test", toy_results, aopc_thresholds=(0.1, 0.5))
    assert sorted(s) == ["classification_scores", "iou_scores", "rationale_prf", "sentence_soft_metrics",
                         "token_prf", "token_soft_metrics"]
    assert sorted(s["classification_scores"]) == sorted([
        "accuracy", "prf", "comprehensiveness", "sufficiency", "comprehensiveness_entropy", "comprehensiveness_kl",
        "sufficiency_entropy", "sufficiency_kl", "aopc_thresholds", "comprehensiveness_aopc",
        "comprehensiveness_aopc_points", "sufficiency_aopc", "sufficiency_aopc_points"])
    json.dumps(s)  # serialisable as the score file


def test_what_is_scored_follows_the_first_line(toy, toy_results):
    first_empty = [replace(toy_results[0], rationales=[]), toy_results[1]]
    s = evaluate(toy, "test", first_empty, aopc_thresholds=(0.1, 0.5))
    assert "token_prf" not in s and "token_soft_metrics" not in s and "classification_scores" in s
    s_any = evaluate(toy, "test", first_empty, aopc_thresholds=(0.1, 0.5), detect="any_line")
    assert s_any["token_prf"]["instance_micro"]["r"] == pytest.approx(3 / 9)
    bare = [replace(r, classification=None, classification_scores=None, comprehensiveness_classification_scores=None,
                    sufficiency_classification_scores=None, thresholded_scores=None) for r in toy_results]
    assert "classification_scores" not in evaluate(toy, "test", bare, aopc_thresholds=(0.1, 0.5))


def test_results_covering_part_of_the_split(toy, toy_results):
    assert coverage(toy, "test", toy_results[:1]) == (1, 3)
    s = evaluate(toy, "test", toy_results[:1], aopc_thresholds=(0.1, 0.5))
    # only a is scored (the default): its 4 predicted tokens are all gold, of its 6 gold tokens
    assert s["token_prf"]["instance_micro"] == pytest.approx({"p": 1.0, "r": 4 / 6, "f1": 0.8})
    assert s["token_prf"]["instance_macro"] == pytest.approx({"p": 1.0, "r": 4 / 6, "f1": 0.8})
    assert s["classification_scores"]["accuracy"] == 1.0  # only a is classified
    # missing_as_empty (the official scorer): b counts as an empty prediction, its gold still counts
    e = evaluate(toy, "test", toy_results[:1], aopc_thresholds=(0.1, 0.5), missing_as_empty=True)
    assert e["token_prf"]["instance_micro"]["r"] == pytest.approx(4 / 9)
    assert e["token_prf"]["instance_macro"]["p"] == pytest.approx(0.5)
    assert e["classification_scores"]["accuracy"] == 1.0
    # c, not covered, has neither gold nor a prediction: it changes nothing, so both give the official numbers
    full = evaluate(toy, "test", toy_results, aopc_thresholds=(0.1, 0.5))
    assert full == evaluate(toy, "test", toy_results, aopc_thresholds=(0.1, 0.5), missing_as_empty=True)
    with pytest.raises(Exception, match="no prediction"):
        evaluate(toy, "test", toy_results[:1], aopc_thresholds=(0.1, 0.5), missing="error")


def test_missing_aopc_bin_is_a_clear_error(toy, toy_results):
    with pytest.raises(Exception, match="AOPC bin 0.2"):
        evaluate(toy, "test", toy_results, aopc_thresholds=(0.1, 0.2))
    s = evaluate(toy, "test", toy_results, aopc_thresholds=None)
    assert s["classification_scores"]["aopc_thresholds"] == [0.1, 0.5]


def test_evaluate_reads_and_validates_a_path(toy, toy_results, tmp_path):
    path = tmp_path / "r.jsonl"
    write_results(path, toy_results)
    assert evaluate(toy, "test", path, aopc_thresholds=(0.1, 0.5)) == evaluate(
        toy, "test", toy_results, aopc_thresholds=(0.1, 0.5))


def test_per_example_metrics(toy, toy_results):
    m = per_example_metrics(toy, "test", toy_results)
    assert set(m) == {"a", "b"}
    a = m["a"]
    assert a["correct"] is True and m["b"]["correct"] is False
    assert a["token_p"] == 1.0 and a["token_r"] == pytest.approx(4 / 6)
    assert a["iou_f1"] == 1.0
    assert a["comprehensiveness"] == pytest.approx(0.5) and a["sufficiency"] == pytest.approx(0.2)
    assert a["comprehensiveness_aopc"] == pytest.approx(0.5)
    assert m["b"]["token_auprc"] == pytest.approx(1.0)


def test_format_scores_is_a_readable_table(toy, toy_results):
    text = format_scores(evaluate(toy, "test", toy_results, aopc_thresholds=(0.1, 0.5)))
    assert "IOU F1 @ 0.5" in text and "comprehensiveness" in text and "0.8750" in text

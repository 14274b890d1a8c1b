"""Task and faithfulness metrics against hand computations."""

from __future__ import annotations

import math

import pytest

from rationalize.metrics import faithfulness as F
from rationalize.metrics import task as T


def test_accuracy_and_report_by_hand():
    y_true = ["POS", "POS", "NEG", "NEG", "NEG"]
    y_pred = ["POS", "NEG", "NEG", "NEG", "POS"]
    assert T.accuracy(y_true, y_pred) == pytest.approx(0.6)
    rep = T.classification_prf(y_true, y_pred, ["NEG", "POS"])
    # NEG: P 2/3, R 2/3; POS: P 1/2, R 1/2
    assert rep["NEG"]["precision"] == pytest.approx(2 / 3) and rep["NEG"]["support"] == 3
    assert rep["POS"]["f1-score"] == pytest.approx(0.5)
    assert rep["macro avg"]["f1-score"] == pytest.approx((2 / 3 + 0.5) / 2)
    assert rep["accuracy"] == pytest.approx(0.6)


def test_comprehensiveness_sufficiency_by_hand():
    full = [{"A": 0.8, "B": 0.2}, {"A": 0.3, "B": 0.7}]
    comp = [{"A": 0.4, "B": 0.6}, {"A": 0.5, "B": 0.5}]
    pred = ["A", "B"]
    assert F.comprehensiveness(full, comp, pred) == pytest.approx(((0.8 - 0.4) + (0.7 - 0.5)) / 2)
    assert F.sufficiency(full, full, pred) == 0


def test_entropy_and_kl_renormalise():
    assert F.entropy({"a": 0.5, "b": 0.5}) == pytest.approx(math.log(2))
    assert F.entropy({"a": 1.0, "b": 1.0}) == pytest.approx(math.log(2))  # renormalised
    full, pert = {"a": 0.5, "b": 0.5}, {"a": 0.9, "b": 0.1}
    assert F.kl(full, pert) == pytest.approx(0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5))
    assert F.mean_entropy_drop([full], [pert]) == pytest.approx(math.log(2) - F.entropy(pert))


def test_aopc_plain_mean_and_zero_term_variant():
    full = [{"A": 0.9, "B": 0.1}, {"A": 0.2, "B": 0.8}]
    binned = [{0.5: {"A": 0.5, "B": 0.5}, 0.1: {"A": 0.7, "B": 0.3}},
              {0.1: {"A": 0.4, "B": 0.6}, 0.5: {"A": 0.8, "B": 0.2}}]
    score, points = F.aopc(full, binned, ["A", "B"], [0.5, 0.1])
    # drops: ex1 (t=.1) .2, (t=.5) .4; ex2 (t=.1) .2, (t=.5) .6 -> points ascending [.2, .5]
    assert points == pytest.approx([0.2, 0.5])
    assert score == pytest.approx(0.35)
    with_zero, _ = F.aopc(full, binned, ["A", "B"], [0.5, 0.1], include_zero=True)
    assert with_zero == pytest.approx((0 + 0.2 + 0.5) / 3)
    with pytest.raises(KeyError):
        F.aopc(full, binned, ["A", "B"], [0.2])

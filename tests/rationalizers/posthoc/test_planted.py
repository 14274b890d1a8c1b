"""Planted-rationale recovery: a CNN that learned the synthetic task is explained by integrated gradients
and occlusion with the planted tokens on top (token F1 at the gold length >= 0.9); random does not."""

from __future__ import annotations

import numpy as np
import pytest

from rationalize.models.windows import example_input
from rationalize.rationalizers.discretize import top_k
from rationalize.rationalizers.posthoc import get_explainer


def token_f1(dataset, examples, scores) -> float:
    f1s = []
    for ex, s in zip(examples, scores):
        gold = np.array(ex.gold_token_mask(dataset.doc(ex.docids[0])))
        pred = top_k(s, int(gold.sum()))
        tp = int((gold & pred).sum())
        f1s.append(2 * tp / (gold.sum() + pred.sum()))
    return float(np.mean(f1s))


def test_model_learned_the_signal(cnn_model, planted):
    from rationalize.models.training import classifier_metrics

    assert classifier_metrics(cnn_model, planted, "test")["accuracy"] >= 0.95


@pytest.mark.parametrize("method,minimum", [("integrated-gradients", 0.9), ("occlusion", 0.9), ("input-x-gradient", 0.8),
                                            ("random", None)])
def test_planted_recovery(method, minimum, cnn_model, planted):
    exs = planted["test"]
    scores = get_explainer(method, cnn_model).attribute([example_input(planted, ex) for ex in exs])
    f1 = token_f1(planted, exs, scores)
    if minimum is None:
        assert f1 < 0.4  # chance level: the metric does discriminate
    else:
        assert f1 >= minimum

"""Integrated gradients completeness (Sundararajan et al., 2017): token scores sum to
f(x) - f(baseline) of the pooled target logit, on both model kinds, with and without windows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rationalize.models.base import ClassifierInput
from rationalize.rationalizers.posthoc import get_explainer


def pooled_logit(model, inputs, explainer, target, baseline: bool) -> float:
    wins = model.windows(inputs)
    batch = model.collate(wins)
    if baseline:
        batch = {**batch, "input_ids": explainer.baseline_ids(wins, batch, "pad")}
    with torch.no_grad():
        return float(model.window_logits(batch)[:, target].mean())


@pytest.mark.parametrize("kind", ["cnn", "bert"])
@pytest.mark.parametrize("aggregation", ["sum"])
def test_completeness(kind, aggregation, request, planted):
    model = request.getfixturevalue(f"{kind}_model")
    for ex in planted["test"][:3]:
        inp = ClassifierInput(planted.doc(ex.docids[0]).tokens, ["a", "query"])
        if kind == "bert":
            assert len(model.windows([inp])) > 1  # the document really is split into windows
        ig = get_explainer("integrated-gradients", model, n_steps=64, aggregation=aggregation)
        for target in (0, 1):
            (scores,) = ig.attribute([inp], target=target)
            diff = pooled_logit(model, [inp], ig, target, False) - pooled_logit(model, [inp], ig, target, True)
            assert abs(diff) > 1e-4
            assert scores.sum() == pytest.approx(diff, rel=0.02, abs=2e-4)


def test_aggregations_differ_only_on_multi_piece_tokens(bert_model):
    tokens = ["an", "unbelievably", "gripping", "tale", "of", "the", "sea"]
    inp = [ClassifierInput(tokens)]
    by = {agg: get_explainer("input-x-gradient", bert_model, aggregation=agg).attribute(inp, target=1)[0]
          for agg in ("sum", "mean", "max-abs")}
    _, tok = bert_model.pieces(tokens)
    counts = np.bincount(tok, minlength=len(tokens))
    single = counts == 1
    np.testing.assert_allclose(by["sum"][single], by["mean"][single], atol=1e-8)
    np.testing.assert_allclose(np.abs(by["sum"][single]), by["max-abs"][single], atol=1e-8)
    multi = counts > 1
    assert multi.any()
    np.testing.assert_allclose(by["mean"][multi] * counts[multi], by["sum"][multi], atol=1e-8)

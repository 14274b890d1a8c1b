"""A2R (Yu et al., 2021; BERT-A2R of Storek et al., 2023): JS term, top-k of the attention as the hard
rationale in training and at test, the loss split of the reference, save/load."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from rationalize.models.base import ClassifierInput, load_model
from rationalize.rationalizers.discretize import k_tokens
from rationalize.rationalizers.select_predict import A2R, make_rationalizer
from rationalize.rationalizers.select_predict.a2r import js_divergence
from tests.rationalizers.select_predict.conftest import FAST, quick_config


def test_js_divergence_hand_values():
    p = torch.tensor([[0.5, 0.5], [1.0, 0.0], [0.9, 0.1]])
    q = torch.tensor([[0.5, 0.5], [0.0, 1.0], [0.1, 0.9]])
    js = js_divergence(p, q)
    assert js[0].item() == pytest.approx(0.0, abs=1e-6)
    assert js[1].item() == pytest.approx(math.log(2), abs=1e-5)  # disjoint supports: the maximum
    m = torch.tensor([0.5, 0.5])
    expected = 0.5 * (p[2] * (p[2] / m).log()).sum() + 0.5 * (q[2] * (q[2] / m).log()).sum()
    assert js[2].item() == pytest.approx(expected.item(), rel=1e-5)
    torch.testing.assert_close(js, js_divergence(q, p))


def test_hard_rationale_is_top_k_of_attention_and_the_loss_is_the_reference_sum(tiny_synth):
    model = make_rationalizer("a2r", **{**FAST, "dropout": 0.0}, sparsity=0.2, js_weight=0.3)
    assert isinstance(model, A2R)
    model.fit(tiny_synth, config=quick_config(epochs=1, max_steps_per_epoch=1))
    batch = model.collate(model.items(tiny_synth, "train")[:6])
    for training in (True, False):
        model.train(training)
        sel = model.select(batch)
        alpha = sel.probs
        sums = (alpha * batch["selectable"]).sum(1)
        torch.testing.assert_close(sums, torch.ones_like(sums))  # a softmax over the document words
        for i, it in enumerate(batch["items"]):
            q, n = len(it.query), len(it.words)
            z, a = sel.z[i, q : q + n], alpha[i, q : q + n]
            k = k_tokens(0.2, n, fraction=True)
            assert int(z.sum()) == k
            assert a[z > 0].min() >= a[z == 0].max()
    model.train()
    torch.manual_seed(0)
    terms = model.training_step(batch)
    sel = model.select(batch)
    soft, hard = model.soft_logits(sel), model.predict_logits(batch, sel.z)
    ps, ph = soft.softmax(-1), hard.softmax(-1)
    y = batch["labels"]
    expected = F.cross_entropy(soft, y) + F.cross_entropy(hard, y) + 0.3 * 2 * js_divergence(ps, ph).mean()
    torch.testing.assert_close(terms["loss"], expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="complement"):
        make_rationalizer("a2r", complement_weight=0.3)


def test_save_load_round_trip(tiny_synth, tmp_path):
    model = make_rationalizer("a2r", **FAST)
    model.fit(tiny_synth, config=quick_config(epochs=1, max_steps_per_epoch=2))
    model.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    assert type(again) is A2R
    inputs = [ClassifierInput(tiny_synth.doc(ex.docids[0]).tokens) for ex in tiny_synth["test"][:5]]
    np.testing.assert_allclose(again.predict_proba(inputs), model.predict_proba(inputs), atol=1e-6)
    a, b = again.predict_results(tiny_synth, "test"), model.predict_results(tiny_synth, "test")
    assert [r.rationales[0].hard for r in a] == [r.rationales[0].hard for r in b]

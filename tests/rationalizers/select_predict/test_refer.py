"""REFER (Madani & Minervini, 2023): the I-MLE top-k gradient points towards selections with lower loss, the
method trains end to end and selects exactly k words, and rationale supervision reaches its scores."""

from __future__ import annotations

import numpy as np
import torch

from rationalize.rationalizers.select_predict import make_rationalizer
from rationalize.rationalizers.select_predict.refer import imle_top_k, sum_of_gamma_noise
from tests.rationalizers.select_predict.conftest import FAST, quick_config, token_prf


def _top2(scores: torch.Tensor) -> torch.Tensor:
    out = torch.zeros_like(scores)
    out.scatter_(-1, scores.topk(2, dim=-1).indices, 1.0)
    return out


def test_imle_gradient_descent_finds_the_best_selection():
    """Loss = -<w, z>: gradient steps on θ through I-MLE make the top-2 of θ the two largest weights."""
    torch.manual_seed(0)
    w = torch.tensor([[0.1, 2.0, -1.0, 0.3, 1.5, 0.0]])
    theta = torch.zeros(1, 6, requires_grad=True)
    opt = torch.optim.SGD([theta], lr=0.1)
    for _ in range(200):
        opt.zero_grad()
        z = imle_top_k(theta, _top2, sum_of_gamma_noise(theta.shape, 2.0), beta=1.0)
        (-(w * z).sum()).backward()
        opt.step()
    assert _top2(theta.detach()).tolist() == [[0, 1, 0, 0, 1, 0]]


def test_imle_gradient_is_zero_when_the_target_selection_is_unchanged():
    theta = torch.tensor([[3.0, 2.0, -1.0, -2.0]], requires_grad=True)
    z = imle_top_k(theta, _top2, torch.zeros(1, 4), beta=1.0)
    (z * torch.tensor([[-0.1, -0.1, 0.1, 0.1]])).sum().backward()  # the selection already minimises the loss
    assert theta.grad.abs().sum() == 0
    theta.grad = None
    z = imle_top_k(theta, _top2, torch.zeros(1, 4), beta=10.0)
    (z * torch.tensor([[1.0, 0.0, -1.0, 0.0]])).sum().backward()  # word 2 should replace word 0
    assert theta.grad[0, 0] > 0 and theta.grad[0, 2] < 0  # descent raises θ_2, lowers θ_0


def test_scaled_imle_gradient_is_the_difference_divided_by_beta():
    # the I-MLE paper's estimator (z - z') / β: without the 1/β a summed rationale loss is drowned (movies)
    g = torch.tensor([[1.0, 0.0, -1.0, 0.0]])
    grads = []
    for scale in (False, True):
        theta = torch.tensor([[3.0, 2.0, -1.0, -2.0]], requires_grad=True)
        (imle_top_k(theta, _top2, torch.zeros(1, 4), beta=10.0, scale=scale) * g).sum().backward()
        grads.append(theta.grad.clone())
    assert grads[0].abs().sum() > 0
    torch.testing.assert_close(grads[1], grads[0] / 10.0)
    assert make_rationalizer("refer").imle_scale is True


def test_refer_recovers_planted_rationales_with_exact_k(synth):
    model = make_rationalizer("refer", **FAST, sparsity=0.1)
    model.fit(synth, config=quick_config(epochs=10))
    results = model.predict_results(synth, "test")
    p, r, f1 = token_prf(synth, "test", results)
    acc = float(np.mean([res.classification == ex.label for res, ex in zip(results, synth["test"])]))
    # k = 10% of the words while the planted evidence is 2.5-10%: recall is what a good ranking shows
    assert acc >= 0.9 and r >= 0.8, (p, r, f1, acc)
    for res, ex in zip(results, synth["test"]):
        n = len(synth.doc(ex.docids[0]))
        assert sum(e - b for b, e in res.rationales[0].hard) == int(np.ceil(0.1 * n))


def test_refer_with_rationale_supervision_beats_refer_without(synth):
    def f1(lam: float) -> float:
        model = make_rationalizer("refer", **FAST, sparsity=0.1, rationale_supervision=lam)
        model.fit(synth, config=quick_config(epochs=3))
        return token_prf(synth, "test", model.predict_results(synth, "test"))[2]

    base, sup = f1(0.0), f1(30.0)  # measured 0.11 vs 0.72 after 3 epochs (0.14 vs 0.64 without the 1/β)
    assert sup > base + 0.2, (base, sup)

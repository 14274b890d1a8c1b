"""HardKuma distribution sanity (Bastings et al., 2019): support [0, 1], point masses at 0 and 1 with
the closed-form probabilities, expected L0."""

from __future__ import annotations

import pytest
import torch

from rationalize.rationalizers.select_predict.hardkuma import HardKuma, kuma_cdf, kuma_mean, kuma_sample


@pytest.mark.parametrize("a,b", [(0.5, 0.5), (1.0, 3.0), (2.0, 1.0)])
def test_point_masses_and_expected_l0(a, b):
    n = 200_000
    at, bt = torch.full((n,), a), torch.full((n,), b)
    dist = HardKuma(at, bt)
    torch.manual_seed(0)
    h = dist.sample()
    assert h.min() >= 0 and h.max() <= 1
    # closed forms with F(x) = 1 - (1 - x^a)^b, stretched support (-0.1, 1.1)
    p0 = 1 - (1 - (0.1 / 1.2) ** a) ** b
    p1 = (1 - (1.1 / 1.2) ** a) ** b
    assert dist.p0()[0].item() == pytest.approx(p0, rel=1e-4)
    assert dist.p1()[0].item() == pytest.approx(p1, rel=1e-4)
    assert (h == 0).float().mean().item() == pytest.approx(p0, abs=0.005)
    assert (h == 1).float().mean().item() == pytest.approx(p1, abs=0.005)
    assert dist.expected_l0()[0].item() == pytest.approx((h > 0).float().mean().item(), abs=0.005)
    assert 0 < p0 + p1 < 1  # continuous part in between


def test_kumaraswamy_sample_matches_cdf_and_mean():
    torch.manual_seed(0)
    a, b = torch.full((100_000,), 2.0), torch.full((100_000,), 5.0)
    k = kuma_sample(a, b)
    for x in (0.1, 0.3, 0.6):
        assert (k <= x).float().mean().item() == pytest.approx(kuma_cdf(torch.tensor(x), torch.tensor(2.0), torch.tensor(5.0)).item(), abs=0.005)
    assert k.mean().item() == pytest.approx(kuma_mean(torch.tensor(2.0), torch.tensor(5.0)).item(), abs=0.003)


def test_samples_are_differentiable_and_prediction_is_deterministic():
    a = torch.tensor([0.3, 1.0, 5.0], requires_grad=True)
    b = torch.tensor([3.0, 1.0, 0.3], requires_grad=True)
    dist = HardKuma(a, b)
    (dist.sample(torch.tensor([0.5, 0.5, 0.5])).sum() + dist.expected_l0().sum()).backward()
    assert torch.isfinite(a.grad).all() and a.grad.abs().sum() > 0
    det = dist.deterministic()
    assert torch.equal(det, HardKuma(a, b).deterministic())
    assert det[0].item() == 0.0  # mass mostly at 0
    assert det[2].item() == 1.0  # mass mostly at 1

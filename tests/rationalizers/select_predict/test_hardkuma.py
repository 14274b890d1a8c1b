"""HardKuma distribution sanity (Bastings et al., 2019): support [0, 1], point masses at 0 and 1 with
the closed-form probabilities, expected L0."""

from __future__ import annotations

import math

import pytest
import torch

from rationalize.rationalizers.select_predict.hardkuma import HardKuma, kuma_cdf, kuma_mean, kuma_sample


def lagrangian_bias_grad(model, synth):
    """The generator-head bias gradient of the Lagrangian terms alone (zero cross-entropy) on 8 training
    documents, and the batch."""
    batch = model.collate(model.items(synth, "train")[:8])
    zero = torch.zeros(len(batch["items"]))
    model.objective(batch, model.select(batch), zero, zero, zero)["loss"].backward()
    return model.generator_head.bias.grad, batch


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


def test_multiplier_update_is_multiplicative_bounded_and_one_sided():
    """The reference Lagrangian: λ ← clip(λ · exp(η · c), 1e-12, 5); a violated constraint (c > 0) grows λ
    to its bound and no further, a satisfied one (c < 0) shrinks it towards 0 (never below 0)."""
    from rationalize.rationalizers.select_predict import make_rationalizer

    model = make_rationalizer("hardkuma", encoder="cnn", embeddings=None, sparsity=0.2, continuity_constraint=True)
    model.lambdas = torch.full((2,), 1e-5)
    model.constraint_ma = torch.tensor([0.5, 0.5])
    model.after_optimizer_step()
    assert model.lambdas[0].item() == pytest.approx(1e-5 * math.exp(0.05 * 0.5))
    for _ in range(2000):
        model.after_optimizer_step()
    assert model.lambdas.max().item() == 5.0
    model.constraint_ma = torch.tensor([-0.5, -0.5])
    for _ in range(5000):
        model.after_optimizer_step()
    assert model.lambdas.min().item() == pytest.approx(1e-12)
    assert not make_rationalizer("hardkuma", encoder="cnn", sparsity=0.2).uses_continuity  # target given: off
    assert make_rationalizer("hardkuma", encoder="cnn").uses_continuity
    assert make_rationalizer("hardkuma", encoder="cnn", sparsity=0.2, continuity_constraint=True).uses_continuity


def test_initial_parameters_select_the_target_in_expectation(synth):
    """``init_rate="target"`` (default) starts the generator at ``E[L0] = ρ``, so the multiplier does not
    have to wind up from an almost-full selection; ``init_rate=None`` is the reference's zero bias."""
    from rationalize.rationalizers.select_predict import make_rationalizer
    from rationalize.rationalizers.select_predict.hardkuma import initial_ab

    for rate in (0.03, 0.2, 0.5):
        a, b = initial_ab(rate)
        assert HardKuma(torch.tensor([a]), torch.tensor([b])).expected_l0().item() == pytest.approx(rate, abs=1e-4)
    for init, expected in (("target", 0.2), (None, 0.87)):
        model = make_rationalizer("hardkuma", encoder="cnn", embeddings=None, hidden=8, sparsity=0.2, init_rate=init)
        model._prepare(synth, "train")
        batch = model.collate(model.items(synth, "train")[:16])
        with torch.no_grad():
            l0 = model.distribution(batch).expected_l0()[batch["selectable"]].mean().item()
        assert l0 == pytest.approx(expected, abs=0.05), (init, l0)
    with pytest.raises(ValueError):
        make_rationalizer("hardkuma", init_rate=1.5)


def test_a_satisfied_constraint_exerts_no_force(synth):
    """With ``hinge`` (default) the Lagrangian term has no gradient in a batch whose E[L0] is below the
    target, so a generator the predictor has no use for yet is not pushed on towards an empty selection
    (where HardKuma's exact zeros carry no gradient back); above the target it pushes E[L0] down. The
    reference's linear term (``hinge=False``) pushes down in both cases."""
    from rationalize.rationalizers.select_predict import make_rationalizer

    for hinge, target, pushed in ((True, 0.9, False), (True, 0.05, True), (False, 0.9, True)):
        model = make_rationalizer("hardkuma", encoder="cnn", embeddings=None, hidden=8, sparsity=target,
                                  init_rate=0.3, hinge=hinge)
        model._prepare(synth, "train")
        model.lambdas.fill_(1.0)
        grad, _ = lagrangian_bias_grad(model, synth)
        assert (grad.abs().sum().item() > 0) == pushed, (hinge, target, grad)


def test_multiplier_stays_bounded_and_selection_converges_to_the_target(synth):
    """On the planted benchmark (gold 6 % of the words) a target of 3 % binds: the predictor would like
    more words, the one-sided constraint brings E[L0] back to the target. The selection starts at the
    target and never leaves a band around it (the movies failure: a multiplier that wound up while E[L0]
    sat near 0.9, reached its bound and drove the selection to nothing, where it stayed), the multiplier
    stays inside its bounds without touching the upper one, and the deterministic selection rate on
    validation ends at the target. ``lagrange_lr=2`` (reference 0.05) so that the multiplier moves within
    the 180 steps a test can afford."""
    from rationalize.rationalizers.select_predict import make_rationalizer
    from tests.rationalizers.select_predict.conftest import FAST, quick_config

    model = make_rationalizer("hardkuma", **FAST, sparsity=0.03, lagrange_lr=2.0)
    seen = []
    update = model.after_optimizer_step

    def spy() -> None:
        update()
        seen.append(model.lambdas.clone())

    model.after_optimizer_step = spy
    model.fit(synth, config=quick_config(epochs=12))
    lambdas = torch.stack(seen)
    assert lambdas.min() >= 1e-12 and lambdas[:, 0].max() < 5.0  # bounded, and never wound up to the bound
    assert (lambdas[:, 1] == model.lambda_init).all()  # continuity off: its multiplier is never used
    val = model.validation_metrics(model.items(synth, "val"))
    assert val["selection_rate"] == pytest.approx(0.03, abs=0.012), val
    assert val["accuracy"] >= 0.9
    l0 = [e["train_l0"] for e in model.history_.epochs]
    assert all(0.01 < x < 0.12 for x in l0), l0  # no excursion to a full or an empty selection
    assert abs(l0[-1] - 0.03) < 0.012, l0


def test_lower_bound_pushes_an_empty_selection_up_and_its_multiplier_is_bounded(synth):
    """``min_selection``: with the generator started almost empty (E[L0] = 0.2 %, so samples are exactly 0
    and the predictor would send no gradient), the lower constraint's term still has a gradient, through
    the closed-form P(h = 0), and one step along it raises E[L0]; without the bound (hinge on, below the
    target) the Lagrangian has no gradient at all. Above ``min_selection`` the lower term is silent. Its
    multiplier moves like the upper one: multiplicatively, up while violated, inside [λ_min, λ_max]."""
    from rationalize.rationalizers.select_predict import make_rationalizer

    for lower, init, pushed in ((0.1, 0.002, True), (None, 0.002, False), (0.05, 0.08, False)):
        model = make_rationalizer("hardkuma", encoder="cnn", embeddings=None, hidden=8, sparsity=0.1,
                                  init_rate=init, min_selection=lower)
        model._prepare(synth, "train")
        grad, batch = lagrangian_bias_grad(model, synth)
        assert (grad.abs().sum().item() > 0) == pushed, (lower, init, grad)
        if pushed:
            before = model.distribution(batch).expected_l0()[batch["selectable"]].mean().item()
            with torch.no_grad():
                model.generator_head.bias -= 10.0 * grad
            after = model.distribution(batch).expected_l0()[batch["selectable"]].mean().item()
            assert after > before, (before, after)
    model = make_rationalizer("hardkuma", encoder="cnn", embeddings=None, hidden=8, sparsity=0.1, min_selection=0.1)
    model._prepare(synth, "train")
    model.lower_ma.fill_(0.05)  # below the bound
    model.after_optimizer_step()
    assert model.lambda_lower.item() == pytest.approx(5e-3 * math.exp(0.05 * 0.05))
    for _ in range(5000):
        model.after_optimizer_step()
    assert model.lambda_lower.item() == 5.0
    model.lower_ma.fill_(-0.5)
    for _ in range(5000):
        model.after_optimizer_step()
    assert model.lambda_lower.item() == pytest.approx(1e-12)
    with pytest.raises(ValueError, match="min_selection"):
        make_rationalizer("hardkuma", encoder="cnn", sparsity=0.1, min_selection=0.2)._prepare(synth, "train")
    with pytest.raises(ValueError, match="min_selection"):
        make_rationalizer("hardkuma", min_selection=1.5)


def test_early_stopping_counts_transitions_only_when_continuity_is_constrained(synth):
    """The validation ``objective`` penalises what training constrains: with the continuity constraint off
    (the default under a selection target) it is cross-entropy + |rate − target|, so a scattered selection
    is not what stops the run early; with ``continuity_constraint=True`` the excess transitions count too."""
    from rationalize.rationalizers.select_predict import make_rationalizer

    for constrained in (False, True):
        torch.manual_seed(0)
        model = make_rationalizer("hardkuma", encoder="cnn", embeddings=None, hidden=8, sparsity=0.2,
                                  init_rate=0.5, continuity_constraint=constrained)
        model._prepare(synth, "train")
        with torch.no_grad():
            model.generator_head.weight.normal_(0, 1)  # a scattered selection (an untrained head is uniform)
        model.continuity_ = 0.0  # every transition is an excess one
        val = model.validation_metrics(model.items(synth, "val")[:32])
        assert val["transitions"] > 0.05, val
        base = val["ce"] + abs(val["selection_rate"] - 0.2)
        expected = base + val["transitions"] if constrained else base
        assert val["objective"] == pytest.approx(expected, abs=1e-6), (constrained, val)


def test_train_rationalizer_uses_the_references_training_settings_for_hardkuma(synth):
    """``train_rationalizer`` gives HardKuma (word-vector encoders) the reference's lr, weight decay and model
    selection (no model from the first 5 epochs); an explicit ``start_from_epoch`` wins; other methods and a
    transformer encoder get the generic defaults."""
    from rationalize.rationalizers.select_predict.training import method_train_defaults, train_rationalizer
    from tests.rationalizers.select_predict.conftest import FAST

    quick = dict(epochs=2, batch_size=16, progress=False, max_steps_per_epoch=1, **FAST)
    hk = train_rationalizer(synth, "hardkuma", None, sparsity=0.1, **quick)
    cfg = hk.train_config_
    assert (cfg.lr, cfg.weight_decay, cfg.start_from_epoch) == (4e-4, 2e-6, 5)
    assert hk.history_.best_epoch == 2  # a 2-epoch run keeps its last model
    assert train_rationalizer(synth, "hardkuma", None, start_from_epoch=0, **quick).train_config_.start_from_epoch == 0
    gumbel = train_rationalizer(synth, "gumbel", None, **quick).train_config_
    assert (gumbel.lr, gumbel.weight_decay, gumbel.start_from_epoch) == (1e-3, 0.0, 0)
    assert method_train_defaults("hardkuma", "minilm") == {}

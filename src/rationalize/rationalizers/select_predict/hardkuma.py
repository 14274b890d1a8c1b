"""HardKuma rationales (Bastings, Aziz & Titov, ACL 2019, "Interpretable Neural Predictions with
Differentiable Binary Variables").

Each word gets a Kumaraswamy(a, b) variable ``k`` (reparameterised sample ``k = (1 - (1-u)^{1/b})^{1/a}``),
stretched to ``(l, r) = (-0.1, 1.1)`` and rectified into [0, 1]: ``h = min(1, max(0, l + (r-l)k))``.
``h`` has point masses at exactly 0 and 1 and a continuous density in between, so a word is truly
dropped with probability ``P(h=0)`` yet the sample stays differentiable in ``a, b``.

Constraints instead of penalties: the Lagrangian relaxation of the reference code
(``bastings/interpretable_predictions``, ``latent_rationale/beer/models/latent.py``, after Rezende &
Viola's GECO). The constraint is one-sided, ``c_0 = E[L0]/T - target <= 0`` with
``E[L0]/T = mean_t (1 - P(h_t = 0))``; its batch value is smoothed by a moving average
(``lagrange_alpha``, 0.5), the loss adds ``λ_0 · c_0`` (value of the average, gradient of the batch)
and after every optimizer step the multiplier moves **multiplicatively** and stays **bounded**:
``λ_0 ← clip(λ_0 · exp(η · c_0), λ_min, λ_max)`` with ``η = lagrange_lr`` (0.05), ``λ_min = 1e-12``,
``λ_max = 5``.

Deviations from the reference (all defaults), because the reference collapses on ERASER movies at its lr 4e-4
(``docs/select_predict.md``; ``benchmarks/hardkuma_dynamics.py`` reproduces it on 400 reviews in a
minute). There the generator starts at ``E[L0] ≈ 0.89`` (zero biases), the multiplier winds up from
``λ_0 = 1e-5`` for ~7 epochs while the predictor drags the selection towards 1, reaches its bound, and
then drives ``E[L0]`` from 0.99 past the target to ~0 within an epoch; Adam moves at full speed whatever
the size of ``λ``, and a word sampled exactly 0 sends no gradient back from the predictor, so nothing
brings the selection back.

* ``init_rate="target"``: the generator head's bias starts at ``(a, b)`` with ``E[L0]/T = target``
  (:func:`initial_ab`), so the constraint holds from the first step and nothing winds up; ``lambda_init``
  (5e-3, reference 1e-5) then starts the multiplier where it matters on movie reviews.
* ``hinge=True``: the ``λ_0 · c_0`` term acts only in batches that violate the constraint (``c_0 > 0``).
  The reference keeps pushing E[L0] down below the target (``λ > 0`` always), which with Adam drives a
  generator the predictor has no use for yet to the empty selection.

* ``min_selection`` (off by default; an addition, not in the reference): a second one-sided constraint
  ``E[L0]/T >= min_selection`` with its own multiplier, updated the same way. The upper constraint alone
  cannot stop a collapse: below the target nothing pushes E[L0] up except the predictor, whose gradient
  vanishes once every word is sampled exactly 0, and on movies one run in three went there (E[L0] 0.14 → 0
  within an epoch at λ ≈ 0.01). ``P(h = 0)`` is a closed form of ``(a, b)``, so this term still has a
  gradient when every sample is 0, and ``min_selection = sparsity`` turns the pair into an equality,
  "select the target", which is what equal-sparsity comparisons ask of a method.

``init_rate=None, hinge=False, lambda_init=1e-5`` is the reference. At lr 2e-3 the reference did not
collapse on movies (one seed) and gave the best HardKuma row measured; the docs say which to prefer.

The continuity constraint (expected transitions per word
``mean_t [P0_t (1-P0_{t+1}) + (1-P0_t) P0_{t+1}]`` at most the continuity allowance, same update) is
**off by default when a selection target is given** (``sparsity=``): a 30 % target needs about 0.4
transitions per word when words are picked one by one, and an allowance of 0.025 (movies' human rate)
would fight the selection from the first step. ``continuity_constraint=True`` turns it on. While it is
off, early stopping does not count transitions either (:attr:`uses_continuity`). The
reference trains with Adam at learning rate 4e-4 and weight decay 2e-6, and keeps no model from the first 5
epochs (:attr:`HardKumaRationalizer.train_defaults`, used by ``train_rationalizer`` for word-vector encoders).

Prediction is deterministic: ``h = 0`` where ``P(h=0)`` is the most likely of {0, 1, (0,1)}, ``h = 1``
where ``P(h=1)`` is, otherwise the expected value of the stretched Kumaraswamy, clipped to [0, 1].
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from rationalize.rationalizers.select_predict.framework import Batch, Selection, SelectPredictRationalizer

EPS = 1e-6


def kuma_log_cdf_complement(x: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``log(1 - F(x))`` of Kumaraswamy(a, b), with ``F(x) = 1 - (1 - x^a)^b``, for x in (0, 1)."""
    x = x.clamp(EPS, 1 - EPS)
    return b * torch.log1p(-torch.exp(a * torch.log(x)).clamp(max=1 - EPS))


def kuma_cdf(x: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Kumaraswamy CDF ``F(x) = 1 - (1 - x^a)^b``, for x in (0, 1)."""
    return 1 - torch.exp(kuma_log_cdf_complement(x, a, b))


def kuma_sample(a: torch.Tensor, b: torch.Tensor, u: torch.Tensor | None = None) -> torch.Tensor:
    """Reparameterised Kumaraswamy sample through the inverse CDF."""
    if u is None:
        u = torch.rand_like(a)
    u = u.clamp(EPS, 1 - EPS)
    # k = (1 - (1 - u)^(1/b))^(1/a), in log space for stability
    return torch.exp(torch.log1p(-torch.exp(torch.log1p(-u) / b).clamp(max=1 - EPS)) / a).clamp(EPS, 1 - EPS)


def kuma_mean(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``E[k] = b · B(1 + 1/a, b)``."""
    log_beta = torch.lgamma(1 + 1 / a) + torch.lgamma(b) - torch.lgamma(1 + 1 / a + b)
    return torch.exp(torch.log(b) + log_beta)


class HardKuma:
    """The stretched-and-rectified Kumaraswamy distribution on [0, 1]."""

    def __init__(self, a: torch.Tensor, b: torch.Tensor, low: float = -0.1, high: float = 1.1):
        if not (low < 0 and high > 1):
            raise ValueError("HardKuma needs low < 0 and high > 1")
        self.a, self.b, self.low, self.high = a, b, low, high

    def sample(self, u: torch.Tensor | None = None) -> torch.Tensor:
        """A reparameterised sample: Kumaraswamy stretched to ``(low, high)`` and clamped to [0, 1], so exact
        0s and 1s occur; ``u`` fixes the uniform noise."""
        t = self.low + (self.high - self.low) * kuma_sample(self.a, self.b, u)
        return t.clamp(0.0, 1.0)

    def p0(self) -> torch.Tensor:
        """``P(h = 0) = F((0 - l) / (r - l))``."""
        return kuma_cdf(torch.full_like(self.a, -self.low / (self.high - self.low)), self.a, self.b)

    def p1(self) -> torch.Tensor:
        """``P(h = 1) = 1 - F((1 - l) / (r - l))``."""
        x = torch.full_like(self.a, (1 - self.low) / (self.high - self.low))
        return torch.exp(kuma_log_cdf_complement(x, self.a, self.b))

    def expected_l0(self) -> torch.Tensor:
        """Per-variable probability of being non-zero, ``1 - P(h = 0)`` (sum it for E[L0])."""
        return 1 - self.p0()

    def deterministic(self) -> torch.Tensor:
        """The prediction-time value described in the module docstring."""
        p0, p1 = self.p0(), self.p1()
        pc = 1 - p0 - p1
        mean = (self.low + (self.high - self.low) * kuma_mean(self.a, self.b)).clamp(0.0, 1.0)
        zero = (p0 > p1) & (p0 > pc)
        one = (p1 > p0) & (p1 > pc)
        return torch.where(zero, torch.zeros_like(mean), torch.where(one, torch.ones_like(mean), mean))


def initial_ab(rate: float, min_ab: float = 1e-2, b: float | None = None, low: float = -0.1,
               high: float = 1.1) -> tuple[float, float]:
    """``(a, b)`` with ``1 - P(h = 0) = rate``: ``b`` stays at its value for a zero pre-activation
    (``min_ab + softplus(0)``, what the reference starts from) and ``a`` solves
    ``(1 - x0^a)^b = rate`` with ``x0 = -low / (high - low)`` (below ``a = 2 · min_ab``, ``a`` stays there
    and ``b`` is solved for). A small ``a`` puts the Kumaraswamy's mass near
    0 and near 1, so the words that are kept are mostly kept whole."""
    if not 0 < rate < 1:
        raise ValueError(f"rate must be in (0, 1), got {rate}")
    b = min_ab + math.log(2.0) if b is None else b
    x0 = -low / (high - low)
    a = math.log1p(-rate ** (1.0 / b)) / math.log(x0)
    if a < 2 * min_ab:  # small rates: keep a off its floor and solve for b instead
        a = 2 * min_ab
        b = math.log(rate) / math.log1p(-x0**a)
    return a, b


class HardKumaRationalizer(SelectPredictRationalizer):
    """Extra parameters: ``lagrange_lr`` (η of the multiplicative multiplier update, default 0.05),
    ``lagrange_alpha`` (moving-average factor of the constraints, default 0.5), ``lambda_init`` (initial
    multipliers, default 5e-3; reference 1e-5), ``lambda_min`` / ``lambda_max`` (bounds, 1e-12 / 5),
    ``min_ab`` (a and b = min_ab + softplus(.), default 1e-2), ``continuity_constraint`` (``None``: on only
    when no ``sparsity`` target is given), ``init_rate`` (``"target"``: start at E[L0] = target; a
    fraction; ``None``: the reference's zero bias), ``hinge`` (the Lagrangian term only where the
    constraint is violated; ``False``: the reference) and ``min_selection`` (a lower bound on E[L0]/T,
    at most ``sparsity``; ``None``: off, as in the reference). See the module docstring for the deviations."""

    method = "hardkuma"
    #: the reference's optimiser settings (Bastings et al.'s beer/sst ``train.py`` defaults), and its model
    #: selection: no model of the first 5 epochs is kept ("for stability"; TrainConfig.start_from_epoch)
    train_defaults: ClassVar[dict[str, float]] = {"lr": 4e-4, "weight_decay": 2e-6, "start_from_epoch": 5}

    def __init__(self, *args, lagrange_lr: float = 0.05, lagrange_alpha: float = 0.5, lambda_init: float = 5e-3,
                 lambda_min: float = 1e-12, lambda_max: float = 5.0, min_ab: float = 1e-2,
                 continuity_constraint: bool | None = None, init_rate: float | str | None = "target", hinge: bool = True,
                 min_selection: float | None = None, **kw):
        if not 0 < lambda_min <= lambda_init <= lambda_max:
            raise ValueError(f"need 0 < lambda_min <= lambda_init <= lambda_max, got {lambda_min}, {lambda_init}, "
                             f"{lambda_max}")
        super().__init__(*args, lagrange_lr=lagrange_lr, lagrange_alpha=lagrange_alpha, lambda_init=lambda_init,
                         lambda_min=lambda_min, lambda_max=lambda_max, min_ab=min_ab,
                         continuity_constraint=continuity_constraint, init_rate=init_rate, hinge=hinge,
                         min_selection=min_selection, **kw)
        if not (init_rate is None or init_rate == "target" or (isinstance(init_rate, (int, float)) and 0 < init_rate < 1)):
            raise ValueError(f"init_rate must be None, 'target' or a fraction in (0, 1), got {init_rate!r}")
        self.lagrange_lr = lagrange_lr
        self.lagrange_alpha = lagrange_alpha
        self.lambda_init = lambda_init
        self.lambda_min = lambda_min
        self.lambda_max = lambda_max
        self.min_ab = min_ab
        self.continuity_constraint = continuity_constraint
        self.init_rate = init_rate
        if min_selection is not None and not 0 < min_selection < 1:
            raise ValueError(f"min_selection must be None or a fraction in (0, 1), got {min_selection!r}")
        self.hinge = hinge
        self.min_selection = min_selection

    @property
    def uses_continuity(self) -> bool:
        """Whether the continuity constraint is active (``continuity_constraint``, or by default only
        when the selection target is not given explicitly)."""
        if self.continuity_constraint is None:
            return self.sparsity is None
        return bool(self.continuity_constraint)

    def _build_generator_head(self) -> None:
        self.generator_head = nn.Linear(self.generator.out_dim, 2)
        rate = getattr(self, "sparsity_", None) if self.init_rate == "target" else self.init_rate
        if rate is not None:
            a0, b0 = initial_ab(float(rate), self.min_ab)
            with torch.no_grad():  # softplus^{-1}(x - min_ab) = log(expm1(x - min_ab))
                self.generator_head.bias.copy_(torch.log(torch.expm1(torch.tensor([a0, b0]) - self.min_ab)))
        self.register_buffer("lambdas", torch.full((2,), float(self.lambda_init)))
        self.register_buffer("constraint_ma", torch.zeros(2))
        if self.min_selection is not None:
            if self.sparsity is None or self.min_selection > self.sparsity_:
                raise ValueError(f"min_selection={self.min_selection} needs a selection target (sparsity=) at "
                                 f"least as large, got sparsity={self.sparsity!r}")
            # separate buffers, so models saved without the lower bound load unchanged
            self.register_buffer("lambda_lower", torch.tensor(float(self.lambda_init)))
            self.register_buffer("lower_ma", torch.tensor(0.0))

    def _multipliers(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The multipliers and the constraints' moving averages as one vector each, in the order
        (sparsity, continuity[, lower bound]), so that every constraint shares one smoothing and one update."""
        if self.min_selection is None:
            return self.lambdas, self.constraint_ma
        return torch.cat([self.lambdas, self.lambda_lower[None]]), torch.cat([self.constraint_ma, self.lower_ma[None]])

    def _constraints_on(self) -> torch.Tensor:
        """1 for each constraint in use, 0 for one that is off (continuity, unless :attr:`uses_continuity`),
        in the order of :meth:`_multipliers`."""
        on = [1.0, 1.0 if self.uses_continuity else 0.0] + ([1.0] if self.min_selection is not None else [])
        return torch.tensor(on)

    def _store(self, lambdas: torch.Tensor | None = None, ma: torch.Tensor | None = None) -> None:
        """Write the vectors of :meth:`_multipliers` back into their buffers."""
        lower = self.min_selection is not None
        if lambdas is not None:
            self.lambdas.copy_(lambdas[:2])
            if lower:
                self.lambda_lower.copy_(lambdas[2])
        if ma is not None:
            self.constraint_ma.copy_(ma[:2])
            if lower:
                self.lower_ma.copy_(ma[2])

    def distribution(self, batch: Batch) -> HardKuma:
        """The per-word HardKuma distribution (Bastings et al., 2019) from the generator's two outputs
        (``a`` and ``b``, kept above ``min_ab``)."""
        out = self.generator_logits(batch)
        lo = self.min_ab
        # a smooth lower bound instead of a clamp: a clamped a or b gets no gradient, and a generator
        # pushed there (e.g. b at its cap, P(h=0) = 1 everywhere) could never select again
        a = lo + F.softplus(out[..., 0])
        b = lo + F.softplus(out[..., 1])
        return HardKuma(a, b)

    def select(self, batch: Batch) -> Selection:
        """A HardKuma sample in training, its deterministic value at eval; keeps ``P(z = 0)`` for the objective
        and ``1 - P(h = 0)`` as the soft scores (what the ``top-k`` rule ranks)."""
        dist = self.distribution(batch)
        z = dist.sample() if self.training else dist.deterministic()
        p0 = dist.p0()
        return self._finish(z, 1 - p0, batch, p0=p0)

    def objective(self, batch: Batch, sel: Selection, ce: torch.Tensor, rate: torch.Tensor,
                  trans: torch.Tensor) -> dict[str, torch.Tensor]:
        """Cross-entropy plus the Lagrangian terms ``λ_i · c_i`` of the one-sided constraints (expected L0
        at most the target; expected transitions at most the allowance, when on); the multipliers move
        in :meth:`after_optimizer_step`."""
        selectable = batch["selectable"].float()
        n = selectable.sum(1).clamp(min=1)
        nonzero = 1 - sel.extra["p0"]
        l0 = (nonzero * selectable).sum(1) / n
        pair = selectable[:, 1:] * selectable[:, :-1]
        flips = nonzero[:, 1:] * (1 - nonzero[:, :-1]) + (1 - nonzero[:, 1:]) * nonzero[:, :-1]
        expected_trans = (flips * pair).sum(1) / n
        constraints = [l0.mean() - self.sparsity_, expected_trans.mean() - self.continuity_]
        if self.min_selection is not None:  # E[L0]/T >= min_selection
            constraints.append(self.min_selection - l0.mean())
        c = torch.stack(constraints)
        lambdas, ma = self._multipliers()
        with torch.no_grad():
            ma = self.lagrange_alpha * ma + (1 - self.lagrange_alpha) * c
            self._store(ma=ma)
        smoothed = c + (ma - c).detach()  # value of the moving average, gradient of the current batch
        active = self._constraints_on()
        if self.hinge:  # a satisfied constraint exerts no force (the reference's keeps pushing E[L0] down)
            active = active * (c.detach() > 0).float()
        loss = ce.mean() + (active * lambdas * smoothed).sum()
        terms = {"loss": loss, "l0": l0.mean().detach(), "expected_transitions": expected_trans.mean().detach(),
                 "lambda_sparsity": lambdas[0].clone(), "lambda_continuity": lambdas[1].clone() * active[1]}
        if self.min_selection is not None:
            terms["lambda_lower"] = lambdas[2].clone()
        return terms

    def after_optimizer_step(self) -> None:
        """The reference's multiplier update: ``λ ← clip(λ · exp(lagrange_lr · c_ma), lambda_min, lambda_max)``
        (the continuity multiplier only while that constraint is on)."""
        lambdas, ma = self._multipliers()
        new = (lambdas * torch.exp(self.lagrange_lr * ma)).clamp(self.lambda_min, self.lambda_max)
        self._store(lambdas=torch.where(self._constraints_on() > 0, new, lambdas))

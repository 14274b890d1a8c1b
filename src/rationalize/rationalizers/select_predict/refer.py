"""REFER-style end-to-end rationale extraction: a top-k selection made differentiable with implicit maximum
likelihood estimation (Madani & Minervini, CoNLL 2023, "REFER: An End-to-end Rationale Extraction Framework
for Explanation Regularization", arXiv 2310.14418; I-MLE: Niepert, Minervini & Franceschi, NeurIPS 2021,
"Implicit MLE: Backpropagating Through Discrete Exponential Family Distributions", reference code
``uclnlp/torch-imle``).

The generator scores every document word (``θ``); the hard rationale is the top-k of ``θ`` (``k_tokens(ρ,
words)`` per document, ρ the sparsity target, the same rule as A2R and the equal-k evaluation), and the
predictor reads only those words. Training draws the top-k of the *perturbed* scores ``θ + ε`` (Perturb-and-
MAP, ε Sum-of-Gamma noise, which makes the sum of k perturbations Gumbel-distributed); the backward pass is
I-MLE's: with ``dL/dz`` the predictor's gradient on the selection, the target scores are ``θ' = θ - β ·
dL/dz`` and the gradient on ``θ`` is ``(topk(θ + ε) - topk(θ' + ε)) / β`` (the same noise), the gradient of
the negative log-likelihood of the target selection (torch-imle omits the 1/β by default; we keep it so that
the task term and the rationale loss below add at their own scales). So the generator and the predictor train jointly on the
task loss, and, with ``rationale_supervision=λ``, on the framework's human rationale loss (binary
cross-entropy of ``σ(θ)`` against the human mask), REFER's "explanation regularization".

Deviations: our encoders (word vectors + BiGRU/CNN, or a Hugging Face encoder) rather than REFER's BERT
extractor and task model; one noise sample per step; the rationale loss is our framework's BCE on σ(θ).
At prediction the selection is the top-k of ``θ`` without noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from rationalize.rationalizers.select_predict.framework import Batch, Selection, SelectPredictRationalizer


def sum_of_gamma_noise(shape: torch.Size, k: float, iterations: int = 10) -> torch.Tensor:
    """Sum-of-Gamma perturbations (Niepert et al., 2021): ``(Σ_{i=1..s} Gamma(1/k, i/k) - log s) / k``; the
    sum of ``k`` of them is Gumbel-distributed, the right noise for a top-k MAP solver."""
    out = torch.zeros(shape)
    for i in range(1, iterations + 1):
        out = out + torch.distributions.Gamma(torch.tensor(1.0 / k), torch.tensor(i / k)).sample(shape)
    return (out - math.log(iterations)) / k


class _IMLE(torch.autograd.Function):
    """``solver(θ + ε)`` forward; I-MLE backward ``solver(θ + ε) - solver(θ - β·g + ε)``, divided by β when
    ``scale`` (the estimator of the I-MLE paper; torch-imle leaves it out by default, ``do_gradient_scaling``)."""

    @staticmethod
    def forward(ctx: Any, theta: torch.Tensor, noise: torch.Tensor, solver: Callable[[torch.Tensor], torch.Tensor],
                beta: float, scale: bool) -> torch.Tensor:
        z = solver(theta.detach() + noise)
        ctx.save_for_backward(theta.detach(), noise, z)
        ctx.solver, ctx.beta, ctx.scale = solver, beta, scale
        return z

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        theta, noise, z = ctx.saved_tensors
        target = ctx.solver(theta - ctx.beta * grad + noise)
        diff = z - target
        return (diff / ctx.beta if ctx.scale else diff), None, None, None, None


def imle_top_k(theta: torch.Tensor, solver: Callable[[torch.Tensor], torch.Tensor], noise: torch.Tensor,
               beta: float = 1.0, scale: bool = False) -> torch.Tensor:
    """The 0/1 selection ``solver(θ + noise)`` with I-MLE gradients towards ``θ`` (module docstring); ``scale``
    divides the gradient by ``beta``, which matters when it is summed with another loss's gradient."""
    return _IMLE.apply(theta, noise, solver, beta, scale)


class Refer(SelectPredictRationalizer):
    """Extra parameters: ``noise_temperature`` (scale of the Sum-of-Gamma perturbation, default 1.0) and
    ``imle_lambda`` (β of the target scores ``θ - β·dL/dz``, default 1000: our loss is the batch-mean
    cross-entropy, so one word's gradient is of the order 1/(batch · words) and a smaller β rarely changes the
    target top-k, i.e. gives zero gradient; on the planted-evidence data β 10 / 100 / 1000 recover 8% / 51% /
    92% of the evidence in 10 epochs), and ``imle_scale`` (default True: the gradient is divided by β, the I-MLE
    paper's estimator; without it the ±1 entries of the I-MLE term drown a summed rationale loss on long documents,
    see docs/supervision.md). Exactly k words per document, so there are no sparsity/continuity penalties;
    ``complement_weight`` and ``predictor_warmup_steps`` do not apply."""

    method = "refer"
    complement_control = False

    def __init__(self, *args: Any, noise_temperature: float = 1.0, imle_lambda: float = 1000.0,
                 imle_scale: bool = True, **kw: Any):
        if noise_temperature < 0 or imle_lambda <= 0:
            raise ValueError(f"need noise_temperature >= 0 and imle_lambda > 0, got {noise_temperature}, {imle_lambda}")
        super().__init__(*args, noise_temperature=noise_temperature, imle_lambda=imle_lambda, imle_scale=imle_scale,
                         **kw)
        self.noise_temperature = noise_temperature
        self.imle_lambda = imle_lambda
        self.imle_scale = imle_scale

    def select(self, batch: Batch) -> Selection:
        """Top-k of the perturbed scores with I-MLE gradients in training; top-k of the scores at eval;
        ``σ(θ)`` as soft scores (what the rationale loss and the ``top-k`` rule use)."""
        theta = self.generator_logits(batch).squeeze(-1)
        probs = torch.sigmoid(theta)

        def solver(scores: torch.Tensor) -> torch.Tensor:
            return self.top_k_selection(batch, scores)

        if self.training:
            k = max(1.0, self.sparsity_ * float(batch["selectable"].sum(1).float().mean()))
            noise = self.noise_temperature * sum_of_gamma_noise(theta.shape, k)
            z = imle_top_k(theta, solver, noise, self.imle_lambda, self.imle_scale)
        else:
            z = solver(theta)
        return self._finish(z, probs, batch)

    def objective(self, batch: Batch, sel: Selection, ce: torch.Tensor, rate: torch.Tensor,
                  trans: torch.Tensor) -> dict[str, torch.Tensor]:
        """The task cross-entropy (k is exact, so no sparsity or continuity term)."""
        return {"loss": ce.mean()}

    def validation_metrics(self, items, batch_size: int = 32) -> dict[str, float]:
        """The framework's metrics with ``objective`` = validation cross-entropy."""
        out = super().validation_metrics(items, batch_size)
        out["objective"] = out["ce"]
        return out


__all__ = ["Refer", "imle_top_k", "sum_of_gamma_noise"]

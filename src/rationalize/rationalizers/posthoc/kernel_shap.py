"""Kernel SHAP (Lundberg & Lee, 2017) over dataset tokens, via Captum ``KernelShap``: a linear model on
kept-token indicators fitted with the Shapley kernel, so scores approximate Shapley values of the target
output with masked tokens as the reference. Seeded."""

from __future__ import annotations

import torch

from rationalize.rationalizers.posthoc.base import PerturbationExplainer
from rationalize.rationalizers.posthoc.registry import register


@register("kernel-shap")
class KernelShap(PerturbationExplainer):
    """Shapley-kernel weighted linear surrogate with ``n_samples`` coalitions."""

    def __init__(self, model, n_samples: int = 200, **kw):
        super().__init__(model, **kw)
        self.n_samples = n_samples

    def _perturb(self, forward, ones, target, index):
        from captum.attr import KernelShap as CaptumKernelShap

        torch.manual_seed(self.seed + index)
        return CaptumKernelShap(forward).attribute(
            ones, baselines=0.0, target=target, n_samples=self.n_samples,
            perturbations_per_eval=self.perturbations_per_eval,
            feature_mask=torch.arange(ones.shape[1]).unsqueeze(0))

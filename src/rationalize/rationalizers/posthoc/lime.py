"""LIME (Ribeiro et al., 2016) over dataset tokens, via Captum ``Lime``: ``n_samples`` random subsets of
tokens are masked, and a weighted linear model of the target output on the kept-token indicators gives
each token's score. The surrogate is ridge regression (``alpha=1``, as the reference ``lime`` package)
or Lasso (``surrogate="lasso"``, Captum's default). Seeded: the same ``seed`` gives the same scores."""

from __future__ import annotations

import torch

from rationalize.rationalizers.posthoc.base import PerturbationExplainer
from rationalize.rationalizers.posthoc.registry import register


@register("lime")
class Lime(PerturbationExplainer):
    """Local linear surrogate with Captum's exponential cosine-distance kernel."""

    def __init__(self, model, n_samples: int = 200, surrogate: str = "ridge", alpha: float = 1.0, **kw):
        super().__init__(model, **kw)
        if surrogate not in ("ridge", "lasso"):
            raise ValueError(f"surrogate must be 'ridge' or 'lasso', got {surrogate!r}")
        self.n_samples = n_samples
        self.surrogate = surrogate
        self.alpha = alpha

    def _perturb(self, forward, ones, target, index):
        from captum._utils.models.linear_model import SkLearnLasso, SkLearnRidge
        from captum.attr import Lime as CaptumLime

        torch.manual_seed(self.seed + index)
        surrogate = (SkLearnRidge if self.surrogate == "ridge" else SkLearnLasso)(alpha=self.alpha)
        lime = CaptumLime(forward, interpretable_model=surrogate)
        return lime.attribute(ones, baselines=0.0, target=target, n_samples=self.n_samples,
                              perturbations_per_eval=self.perturbations_per_eval,
                              feature_mask=torch.arange(ones.shape[1]).unsqueeze(0))

"""Straight-through Gumbel-sigmoid selection (the binary Concrete / Gumbel-softmax relaxation of
Maddison et al., 2017 and Jang et al., 2017, as used for rationales by e.g. Bastings et al., 2019
(baseline), Paranjape et al., 2020 and Chang et al., 2019).

Training: ``z_soft = σ((logit + g) / τ)`` with logistic noise ``g = log u - log(1-u)``; the forward pass
uses the hard ``z = [z_soft > 0.5]`` and gradients flow through ``z_soft`` (straight-through), so the
predictor always sees a discrete rationale. Prediction: ``z = [σ(logit) > 0.5]``.
"""

from __future__ import annotations

import torch

from rationalize.rationalizers.select_predict.framework import Batch, Selection, SelectPredictRationalizer


class GumbelRationalizer(SelectPredictRationalizer):
    """Extra parameter: ``temperature`` τ of the relaxation (default 0.5)."""

    method = "gumbel"

    def __init__(self, *args, temperature: float = 0.5, **kw):
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        super().__init__(*args, temperature=temperature, **kw)
        self.temperature = temperature

    def select(self, batch: Batch) -> Selection:
        """In training, a straight-through Gumbel-sigmoid sample at ``temperature`` (hard forward, soft gradient;
        Maddison et al., 2017; Jang et al., 2017); at eval, ``p > 0.5``."""
        logits = self.generator_logits(batch).squeeze(-1)
        probs = torch.sigmoid(logits)
        if self.training:
            u = torch.rand_like(logits).clamp(1e-6, 1 - 1e-6)
            soft = torch.sigmoid((logits + torch.log(u) - torch.log1p(-u)) / self.temperature)
            hard = (soft > 0.5).float()
            z = hard + soft - soft.detach()
        else:
            z = (probs > 0.5).float()
        return self._finish(z, probs, batch)

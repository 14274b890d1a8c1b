"""Lei, Barzilay & Jaakkola (EMNLP 2016), "Rationalizing Neural Predictions".

Each document word is selected independently, ``z_t ~ Bernoulli(p_t)``. Sampling is not
differentiable, so the generator is trained with REINFORCE: its loss is ``(cost - b) · log p(z)``,
where ``cost`` is the per-example predictor loss plus the sparsity and continuity penalties and ``b``
is a moving average of the cost (a variance-reducing baseline). The predictor is trained on the
cross-entropy of the sampled rationale. At prediction time ``z_t = [p_t > 0.5]``.

Deviation from the paper, as in later work (e.g. Chang et al., 2019; Yu et al., 2019): the sparsity
penalty is the distance to a target fraction, ``|mean(z) - target|``, rather than ``λ‖z‖``, and the
continuity penalty only charges transitions beyond a target rate (``target=0`` gives the original).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from rationalize.rationalizers.select_predict.framework import Batch, Selection, SelectPredictRationalizer


class Lei2016(SelectPredictRationalizer):
    """Bernoulli selection trained with REINFORCE and a moving-average baseline.

    Extra parameters: ``baseline_decay`` (moving-average factor of the baseline, default 0.9) and
    ``entropy_weight`` (a small bonus on the selection entropy against early collapse, default 0).
    """

    method = "lei2016"
    differentiable = False

    def __init__(self, *args, baseline_decay: float = 0.9, entropy_weight: float = 0.0, **kw):
        super().__init__(*args, baseline_decay=baseline_decay, entropy_weight=entropy_weight, **kw)
        self.baseline_decay = baseline_decay
        self.entropy_weight = entropy_weight

    def _build_generator_head(self) -> None:
        super()._build_generator_head()
        self.register_buffer("baseline", torch.zeros(()))
        self.register_buffer("baseline_ready", torch.zeros((), dtype=torch.bool))

    def select(self, batch: Batch) -> Selection:
        """A Bernoulli sample of the generator's probabilities in training; ``p > 0.5`` at eval."""
        logits = self.generator_logits(batch).squeeze(-1)
        probs = torch.sigmoid(logits)
        if self.training:
            z = torch.bernoulli(probs.detach())
        else:
            z = (probs > 0.5).float()
        sel = self._finish(z, probs, batch, logits=logits)
        return sel

    def objective(self, batch: Batch, sel: Selection, ce: torch.Tensor, rate: torch.Tensor,
                  trans: torch.Tensor) -> dict[str, torch.Tensor]:
        """Predictor cross-entropy plus the REINFORCE generator loss (Lei et al., 2016): the cost (cross-entropy,
        sparsity and continuity penalties) minus a moving-average baseline, times log p(z)."""
        sparsity = (rate - self.sparsity_).abs()
        continuity = F.relu(trans - self.continuity_)
        cost = (ce + self.ramp() * (self.sparsity_weight * sparsity + self.continuity_weight * continuity)).detach()
        logits, selectable = sel.extra["logits"], batch["selectable"].float()
        z = sel.z.detach()
        # log p(z) = z log p + (1 - z) log(1 - p), summed over selectable words
        logp = -(F.binary_cross_entropy_with_logits(logits, z, reduction="none") * selectable).sum(1)
        mean_cost = cost.mean()
        b = torch.where(self.baseline_ready, self.baseline, mean_cost)
        generator_loss = ((cost - b) * logp).mean()
        loss = ce.mean() + generator_loss
        if self.entropy_weight:
            p = torch.sigmoid(logits)
            ent = (F.binary_cross_entropy(p, p.detach(), reduction="none") * selectable).sum(1) / selectable.sum(1).clamp(min=1)
            loss = loss - self.entropy_weight * ent.mean()
        with torch.no_grad():
            self.baseline.copy_(self.baseline_decay * b + (1 - self.baseline_decay) * mean_cost)
            self.baseline_ready.fill_(True)
        return {"loss": loss, "cost": mean_cost, "baseline": b.detach(), "sparsity": sparsity.mean().detach(),
                "continuity": continuity.mean().detach()}

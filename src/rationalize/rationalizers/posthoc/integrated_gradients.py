"""Integrated gradients (Sundararajan et al., 2017) on the word embeddings, via Captum.

The baseline replaces every document piece by the padding (``baseline="pad"``, default), mask
(``"mask"``) or all-zero (``"zero"``) embedding; special tokens and the query keep their embeddings, so
they receive no attribution. Completeness: the token scores of an example sum to
``f(x) - f(baseline)`` of the (window-pooled) target logit, up to the Riemann approximation error
(Captum's ``return_convergence_delta``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from rationalize.models.windows import Window
from rationalize.rationalizers.posthoc.base import Explainer
from rationalize.rationalizers.posthoc.registry import register


@register("integrated-gradients")
class IntegratedGradients(Explainer):
    """Path integral of gradients from the baseline to the input, times (input - baseline)."""

    def __init__(self, model, n_steps: int = 20, method: str = "gausslegendre", baseline: str = "pad",
                 internal_batch_size: int | None = None, multiply_by_inputs: bool = True, **kw):
        super().__init__(model, **kw)
        self.n_steps = n_steps
        self.method = method
        self.baseline = baseline
        self.internal_batch_size = internal_batch_size
        self.multiply_by_inputs = multiply_by_inputs
        self.last_delta_: np.ndarray | None = None

    def baseline_embeds(self, windows: Sequence[Window], batch: dict[str, torch.Tensor]) -> torch.Tensor:
        emb = self.embed(batch["input_ids"]).detach()
        if self.baseline == "zero":
            doc = torch.zeros(emb.shape[:2], dtype=torch.bool)
            for r, w in enumerate(windows):
                doc[r, : len(w.ids)] = torch.from_numpy(w.token_index >= 0)
            return emb.masked_fill(doc.unsqueeze(-1), 0.0)
        return self.embed(self.baseline_ids(windows, batch, self.baseline)).detach()

    def _attribute_windows(self, windows: Sequence[Window], targets: Sequence[int]) -> list[np.ndarray]:
        from captum.attr import IntegratedGradients as CaptumIG

        batch = self.model.collate(windows)
        forward, extra = self.forward_embeds(batch)
        emb = self.embed(batch["input_ids"]).detach()
        base = self.baseline_embeds(windows, batch)
        ig = CaptumIG(forward, multiply_by_inputs=self.multiply_by_inputs)
        attr, delta = ig.attribute(emb, baselines=base, target=list(targets), additional_forward_args=extra,
                                   n_steps=self.n_steps, method=self.method,
                                   internal_batch_size=self.internal_batch_size, return_convergence_delta=True)
        self.last_delta_ = delta.detach().double().numpy()
        return list(self.reduce_embedding_dim(attr))

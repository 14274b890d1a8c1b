"""Integrated gradients (Sundararajan et al., 2017) on the word embeddings, via Captum.

The baseline replaces every document piece by the padding (``baseline="pad"``, default), mask
(``"mask"``) or all-zero (``"zero"``) embedding; special tokens and the query keep their embeddings, so
they receive no attribution (:class:`~rationalize.rationalizers.posthoc.gradient.ReferenceExplainer`).
Completeness: the token scores of an example sum to ``f(x) - f(baseline)`` of the (window-pooled)
target logit, up to the error of the ``n_steps``-point quadrature (tested in
``tests/rationalizers/posthoc/test_integrated_gradients.py``; more steps, smaller error).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from rationalize.models.windows import Window
from rationalize.rationalizers.posthoc.gradient import ReferenceExplainer
from rationalize.rationalizers.posthoc.registry import register


@register("integrated-gradients")
class IntegratedGradients(ReferenceExplainer):
    """Path integral of gradients from the baseline to the input, times (input - baseline).
    ``n_steps`` quadrature points by ``method`` (Captum's, default Gauss-Legendre), evaluated
    ``internal_batch_size`` at a time (default: all at once)."""

    def __init__(self, model: Any, n_steps: int = 20, method: str = "gausslegendre", baseline: str = "pad",
                 internal_batch_size: int | None = None, multiply_by_inputs: bool = True, **kw: Any):
        super().__init__(model, baseline=baseline, multiply_by_inputs=multiply_by_inputs, **kw)
        self.n_steps = n_steps
        self.method = method
        self.internal_batch_size = internal_batch_size

    def captum_attribute(self, forward: Callable[..., torch.Tensor], embeds: torch.Tensor,
                         windows: Sequence[Window], batch: dict[str, torch.Tensor], targets: list[int],
                         extra: tuple) -> torch.Tensor:
        """Integrated-gradients attributions (Sundararajan et al., 2017) of ``targets`` from the baseline
        embeddings (see :meth:`GradientExplainer.captum_attribute`)."""
        from captum.attr import IntegratedGradients as CaptumIG

        ig = CaptumIG(forward, multiply_by_inputs=self.multiply_by_inputs)
        return ig.attribute(embeds, baselines=self.baseline_embeds(windows, batch), target=targets,
                            additional_forward_args=extra, n_steps=self.n_steps, method=self.method,
                            internal_batch_size=self.internal_batch_size)

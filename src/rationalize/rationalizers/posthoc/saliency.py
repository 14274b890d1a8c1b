"""Saliency: the gradient of the target output with respect to the word embeddings (Simonyan et al.,
2014; Li et al., 2016 for NLP), reduced to one number per piece by its L2 norm (``reduce="l2"``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from rationalize.models.windows import Window
from rationalize.rationalizers.posthoc.gradient import GradientExplainer
from rationalize.rationalizers.posthoc.registry import register


@register("saliency")
class Saliency(GradientExplainer):
    """``|d f_target / d e_i|`` per piece embedding ``e_i`` (Captum ``Saliency``)."""

    default_reduce = "l2"

    def __init__(self, model: Any, abs: bool = True, **kw: Any):
        super().__init__(model, **kw)
        self.abs = abs

    def captum_attribute(self, forward: Callable[..., torch.Tensor], embeds: torch.Tensor,
                         windows: Sequence[Window], batch: dict[str, torch.Tensor], targets: list[int],
                         extra: tuple) -> torch.Tensor:
        """Gradient attributions of ``targets`` (Simonyan et al., 2014; absolute values when ``abs``; see
        :meth:`GradientExplainer.captum_attribute`)."""
        from captum.attr import Saliency as CaptumSaliency

        return CaptumSaliency(forward).attribute(embeds.requires_grad_(True), target=targets,
                                                 additional_forward_args=extra, abs=self.abs)

"""Input x gradient: the embedding times the gradient of the target output, summed over dimensions
(Shrikumar et al., 2016; Denil et al., 2014), via Captum ``InputXGradient``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from rationalize.models.windows import Window
from rationalize.rationalizers.posthoc.gradient import GradientExplainer
from rationalize.rationalizers.posthoc.registry import register


@register("input-x-gradient")
class InputXGradient(GradientExplainer):
    """``e_i . d f_target / d e_i`` per piece (signed; positive supports the target)."""

    def captum_attribute(self, forward: Callable[..., torch.Tensor], embeds: torch.Tensor,
                         windows: Sequence[Window], batch: dict[str, torch.Tensor], targets: list[int],
                         extra: tuple) -> torch.Tensor:
        """Input x gradient attributions of ``targets`` (see :meth:`GradientExplainer.captum_attribute`)."""
        from captum.attr import InputXGradient as CaptumIxG

        return CaptumIxG(forward).attribute(embeds.requires_grad_(True), target=targets, additional_forward_args=extra)

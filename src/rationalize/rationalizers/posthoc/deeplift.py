"""DeepLIFT (Shrikumar et al., 2017) on the word embeddings, via Captum ``DeepLift`` (rescale rule).

Captum applies the rescale rule to the non-linear modules it knows (ReLU, Sigmoid, Tanh, Softmax...) and
plain gradients elsewhere (e.g. inside a GRU cell or GELU), so on our models it is an approximation of
DeepLIFT proper; the baseline is the same as integrated gradients' (padding embeddings for documents),
from their shared base :class:`~rationalize.rationalizers.posthoc.gradient.ReferenceExplainer`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import torch
from torch import nn

from rationalize.models.windows import Window
from rationalize.rationalizers.posthoc.gradient import ReferenceExplainer
from rationalize.rationalizers.posthoc.registry import register


class _EmbedsModule(nn.Module):
    """Captum's DeepLift needs an ``nn.Module``: wrap the model's embeddings-to-output function."""

    def __init__(self, model: nn.Module, forward: Callable[..., torch.Tensor]):
        super().__init__()
        self.model = model
        self._fn = forward

    def forward(self, embeds: torch.Tensor, *extra: torch.Tensor) -> torch.Tensor:
        return self._fn(embeds, *extra)


@register("deeplift")
class DeepLift(ReferenceExplainer):
    """Difference-from-reference attributions with Captum's DeepLift (one backward pass, no steps)."""

    def captum_attribute(self, forward: Callable[..., torch.Tensor], embeds: torch.Tensor,
                         windows: Sequence[Window], batch: dict[str, torch.Tensor], targets: list[int],
                         extra: tuple) -> torch.Tensor:
        """DeepLift attributions (Shrikumar et al., 2017) of ``targets`` against the baseline embeddings (see
        :meth:`GradientExplainer.captum_attribute`)."""
        from captum.attr import DeepLift as CaptumDeepLift

        base = self.baseline_embeds(windows, batch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Captum warns about modules it treats with plain gradients
            dl = CaptumDeepLift(_EmbedsModule(self.model, forward), multiply_by_inputs=self.multiply_by_inputs)
            return dl.attribute(embeds, baselines=base, target=targets, additional_forward_args=extra)

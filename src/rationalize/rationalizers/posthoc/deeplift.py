"""DeepLIFT (Shrikumar et al., 2017) on the word embeddings, via Captum ``DeepLift`` (rescale rule).

Captum applies the rescale rule to the non-linear modules it knows (ReLU, Sigmoid, Tanh, Softmax...) and
plain gradients elsewhere (e.g. inside a GRU cell or GELU), so on our models it is an approximation of
DeepLIFT proper; the baseline is the same as integrated gradients' (padding embeddings for documents).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from rationalize.models.windows import Window
from rationalize.rationalizers.posthoc.integrated_gradients import IntegratedGradients
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
class DeepLift(IntegratedGradients):
    """Difference-from-reference attributions with Captum's DeepLift."""

    def __init__(self, model, baseline: str = "pad", **kw):
        kw.pop("n_steps", None)
        super().__init__(model, baseline=baseline, **kw)

    def _attribute_windows(self, windows: Sequence[Window], targets: Sequence[int]) -> list[np.ndarray]:
        import warnings

        from captum.attr import DeepLift as CaptumDeepLift

        batch = self.model.collate(windows)
        forward, extra = self.forward_embeds(batch)
        emb = self.embed(batch["input_ids"]).detach()
        base = self.baseline_embeds(windows, batch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Captum warns about modules it treats with plain gradients
            dl = CaptumDeepLift(_EmbedsModule(self.model, forward), multiply_by_inputs=self.multiply_by_inputs)
            attr = dl.attribute(emb, baselines=base, target=list(targets), additional_forward_args=extra)
        return list(self.reduce_embedding_dim(attr))

"""Saliency: the gradient of the target output with respect to the word embeddings (Simonyan et al.,
2014; Li et al., 2016 for NLP), reduced to one number per piece by its L2 norm (``reduce="l2"``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rationalize.models.windows import Window
from rationalize.rationalizers.posthoc.base import Explainer
from rationalize.rationalizers.posthoc.registry import register


@register("saliency")
class Saliency(Explainer):
    """``|d f_target / d e_i|`` per piece embedding ``e_i`` (Captum ``Saliency``)."""

    default_reduce = "l2"

    def __init__(self, model, abs: bool = True, **kw):
        super().__init__(model, **kw)
        self.abs = abs

    def _attribute_windows(self, windows: Sequence[Window], targets: Sequence[int]) -> list[np.ndarray]:
        from captum.attr import Saliency as CaptumSaliency

        batch = self.model.collate(windows)
        forward, extra = self.forward_embeds(batch)
        emb = self.embed(batch["input_ids"]).detach().requires_grad_(True)
        attr = CaptumSaliency(forward).attribute(emb, target=list(targets), additional_forward_args=extra, abs=self.abs)
        return list(self.reduce_embedding_dim(attr))

"""Input x gradient: the embedding times the gradient of the target output, summed over dimensions
(Shrikumar et al., 2016; Denil et al., 2014), via Captum ``InputXGradient``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rationalize.models.windows import Window
from rationalize.rationalizers.posthoc.base import Explainer
from rationalize.rationalizers.posthoc.registry import register


@register("input-x-gradient")
class InputXGradient(Explainer):
    """``e_i . d f_target / d e_i`` per piece (signed; positive supports the target)."""

    def _attribute_windows(self, windows: Sequence[Window], targets: Sequence[int]) -> list[np.ndarray]:
        from captum.attr import InputXGradient as CaptumIxG

        batch = self.model.collate(windows)
        forward, extra = self.forward_embeds(batch)
        emb = self.embed(batch["input_ids"]).detach().requires_grad_(True)
        attr = CaptumIxG(forward).attribute(emb, target=list(targets), additional_forward_args=extra)
        return list(self.reduce_embedding_dim(attr))

"""The gradient family's shared base: Captum on the word-embedding outputs of a batch of windows.

:class:`GradientExplainer` does the steps every gradient method shares (collate the windows, build the
forward function over embeddings, embed the ids, reduce the per-dimension attributions to one number
per piece) and leaves one step to each method, :meth:`GradientExplainer.captum_attribute`. Saliency and
input x gradient derive from it directly; :class:`ReferenceExplainer` adds what integrated gradients
and DeepLIFT share, a *reference* input (the baseline) the attributions are relative to, so those two
are siblings and neither carries the other's parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from rationalize.models.windows import Window
from rationalize.rationalizers.posthoc.base import Explainer

BASELINES = ("pad", "mask", "zero")


class GradientExplainer(Explainer):
    """Base of the methods that run Captum on word embeddings; subclasses implement
    :meth:`captum_attribute`."""

    def _attribute_windows(self, windows: Sequence[Window], targets: Sequence[int]) -> list[np.ndarray]:
        batch = self.model.collate(windows)
        forward, extra = self.forward_embeds(batch)
        emb = self.embed(batch["input_ids"]).detach()
        attr = self.captum_attribute(forward, emb, windows, batch, list(targets), extra)
        return list(self.reduce_embedding_dim(attr))

    def captum_attribute(self, forward: Callable[..., torch.Tensor], embeds: torch.Tensor,
                         windows: Sequence[Window], batch: dict[str, torch.Tensor], targets: list[int],
                         extra: tuple) -> torch.Tensor:
        """``(n_windows, length, dim)`` attributions of ``targets`` with respect to ``embeds`` (detached
        word embeddings of ``batch``); ``forward(embeds, *extra)`` gives the windows' outputs."""
        raise NotImplementedError


class ReferenceExplainer(GradientExplainer):
    """Base of the methods that attribute the difference from a reference input (integrated gradients,
    DeepLIFT). ``baseline`` replaces every document piece by the padding (``"pad"``, default), mask
    (``"mask"``) or all-zero (``"zero"``) embedding; special tokens and the query keep theirs, so they
    receive no attribution. ``multiply_by_inputs`` as in Captum (global attributions, times
    ``input - baseline``; ``False``: local ones)."""

    def __init__(self, model: Any, baseline: str = "pad", multiply_by_inputs: bool = True, **kw: Any):
        super().__init__(model, **kw)
        if baseline not in BASELINES:
            raise ValueError(f"baseline must be one of {BASELINES}, got {baseline!r}")
        self.baseline = baseline
        self.multiply_by_inputs = multiply_by_inputs

    def baseline_embeds(self, windows: Sequence[Window], batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The reference input's embeddings for ``batch`` (see the class docstring)."""
        if self.baseline == "zero":
            emb = self.embed(batch["input_ids"]).detach()
            doc = torch.zeros(emb.shape[:2], dtype=torch.bool)
            for r, w in enumerate(windows):
                doc[r, : len(w.ids)] = torch.from_numpy(w.token_index >= 0)
            return emb.masked_fill(doc.unsqueeze(-1), 0.0)
        return self.embed(self.baseline_ids(windows, batch, self.baseline)).detach()

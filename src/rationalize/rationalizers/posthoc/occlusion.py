"""Occlusion / leave-one-out (Zeiler & Fergus, 2014; Li et al., 2016): the drop of the target output
when a window of ``window`` consecutive dataset tokens is masked, via Captum ``Occlusion``. With
``window=1`` (default) it is leave-one-out on the dataset's own tokens (all pieces of a token at once)."""

from __future__ import annotations

from rationalize.rationalizers.posthoc.base import PerturbationExplainer
from rationalize.rationalizers.posthoc.registry import register


@register("occlusion")
class Occlusion(PerturbationExplainer):
    """``f(x) - f(x without token i)`` (averaged over the sliding windows that cover ``i``)."""

    def __init__(self, model, window: int = 1, stride: int = 1, **kw):
        super().__init__(model, **kw)
        self.window = window
        self.stride = stride

    def _perturb(self, forward, ones, target, index):
        from captum.attr import Occlusion as CaptumOcclusion

        w = min(self.window, ones.shape[1])
        return CaptumOcclusion(forward).attribute(ones, sliding_window_shapes=(w,), strides=(self.stride,),
                                                  baselines=0.0, target=target,
                                                  perturbations_per_eval=self.perturbations_per_eval)

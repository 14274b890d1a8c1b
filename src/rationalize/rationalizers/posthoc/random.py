"""Random scores: the baseline every table of rationales needs (ERASER, DeYoung et al., 2020, report it).
Uniform in [0, 1), seeded: ``seed`` and the example's position give the same scores every run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rationalize.models.base import ClassifierInput
from rationalize.rationalizers.posthoc.base import Explainer, Target
from rationalize.rationalizers.posthoc.registry import register


@register("random")
class RandomExplainer(Explainer):
    """Independent uniform scores per dataset token; the model is not called."""

    def attribute(self, inputs: Sequence[ClassifierInput], target: Target = None) -> list[np.ndarray]:
        """Uniform random scores, one per dataset token of each input, seeded by ``seed``; ``target`` is ignored.
        A chance baseline for the faithfulness metrics."""
        rng = np.random.default_rng(self.seed)
        return [rng.random(len(inp.tokens)) for inp in inputs]

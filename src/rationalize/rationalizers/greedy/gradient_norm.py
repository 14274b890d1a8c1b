"""Gradient-norm baseline: rank context tokens by ||d log p(y_t) / d e_i||, the post-hoc ``saliency`` explainer
(Captum ``Saliency``, L2 norm over the embedding) on the next-token prediction."""

from __future__ import annotations

from rationalize.rationalizers.greedy.ordered import AttributionRationalizer


class GradientNormRationalizer(AttributionRationalizer):
    """Sequential rationale from the L2 norm of the gradient of log p(y_t) w.r.t. each token embedding."""

    name = "gradient_norm"
    explainer = "saliency"

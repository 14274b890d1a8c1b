"""Input x gradient baseline (the paper's "signed gradient"): rank context tokens by sum_h e_ih * d log p(y_t) /
d e_ih, the post-hoc ``input-x-gradient`` explainer (Captum ``InputXGradient``) on the next-token prediction."""

from __future__ import annotations

from rationalize.rationalizers.greedy.ordered import AttributionRationalizer


class InputXGradientRationalizer(AttributionRationalizer):
    """Sequential rationale from input x gradient scores of the token embeddings."""

    name = "input_x_gradient"
    explainer = "input-x-gradient"

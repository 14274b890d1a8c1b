"""Occlusion on a document split into several windows equals leave-one-out computed by hand: the pooled
logit of the full document minus the pooled logit with one token replaced by the mask token (the
explainer re-runs only the windows that contain the token; this checks that shortcut is exact)."""

from __future__ import annotations

import numpy as np

from rationalize.models.base import MASK, ClassifierInput
from rationalize.rationalizers.posthoc import get_explainer


def test_leave_one_out_by_hand_on_a_windowed_document(bert_model):
    rng = np.random.default_rng(0)
    words = ["great", "movie", "dull", "plot", "and", "the", "acting", "was", "fine"]
    tokens = [words[i] for i in rng.integers(len(words), size=40)]
    inp = ClassifierInput(tokens)
    assert len(bert_model.windows([inp])) >= 3
    target = 1
    got = get_explainer("occlusion", bert_model, perturbations_per_eval=7).attribute([inp], target=target)[0]
    full = bert_model.predict_logits([inp])[0, target]
    dropped = [ClassifierInput(tokens[:i] + [MASK] + tokens[i + 1 :]) for i in range(len(tokens))]
    want = full - bert_model.predict_logits(dropped)[:, target]
    np.testing.assert_allclose(got, want, atol=1e-4)

"""``attribute`` explains the model in eval mode and gives it back as it found it: a model in train mode
stays in train mode (a caller may be training it), a model in eval mode stays in eval mode, a submodule
kept in eval mode inside a training model stays so, and ``requires_grad`` flags are unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from rationalize.models.base import ClassifierInput
from rationalize.rationalizers.posthoc import available_methods, get_explainer

FAST = {"integrated-gradients": {"n_steps": 4}, "lime": {"n_samples": 20}, "kernel-shap": {"n_samples": 20},
        "occlusion": {"perturbations_per_eval": 32}}


def modes(model) -> list[bool]:
    return [m.training for m in model.modules()]


@pytest.fixture
def cnn(cnn_model):
    """The session's CNN, handed back in eval mode whatever a test did to it."""
    yield cnn_model
    cnn_model.eval()


@pytest.mark.parametrize("method", available_methods())
def test_attribute_restores_train_and_eval_mode(method, cnn, planted):
    inputs = [ClassifierInput(planted.doc(ex.docids[0]).tokens[:25], ["a", "query"]) for ex in planted["test"][:2]]
    grads = [p.requires_grad for p in cnn.parameters()]
    assert cnn.hparams["dropout"] > 0  # dropout is on in train mode, so train-mode scores would be noisy
    explainer = get_explainer(method, cnn, seed=1, **FAST.get(method, {}))

    cnn.eval()
    in_eval = explainer.attribute(inputs)
    assert modes(cnn) == [False] * len(modes(cnn))

    cnn.train()
    in_train = explainer.attribute(inputs)
    assert modes(cnn) == [True] * len(modes(cnn))
    for a, b in zip(in_eval, in_train):  # the scores explain the deterministic (eval-mode) prediction
        np.testing.assert_allclose(a, b, atol=1e-6)

    frozen = next(m for m in cnn.modules() if m is not cnn)
    frozen.eval()  # a caller's frozen part inside a training model
    before = modes(cnn)
    explainer.attribute(inputs)
    assert modes(cnn) == before and not frozen.training and cnn.training
    assert [p.requires_grad for p in cnn.parameters()] == grads


@pytest.mark.parametrize("method", ["integrated-gradients", "occlusion", "attention"])
def test_a_hugging_face_model_keeps_its_mode_too(method, bert_model):
    inputs = [ClassifierInput(["a", "gripping", "tale", "of", "the", "sea", ",", "told", "slowly"])]
    try:
        for train in (True, False):
            bert_model.train(train)
            get_explainer(method, bert_model, **FAST.get(method, {})).attribute(inputs)
            assert modes(bert_model) == [train] * len(modes(bert_model))
    finally:
        bert_model.eval()

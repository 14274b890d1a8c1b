"""EncoderClassifier: windows (one per input), masking, attention weights, save/load; training is
covered by the planted-rationale tests (tests/rationalizers/posthoc)."""

from __future__ import annotations

import numpy as np
import pytest

from rationalize.data import make_synthetic
from rationalize.models.base import MASK, ClassifierInput, TextClassifier, load_model
from rationalize.models.classifier import EncoderClassifier
from rationalize.models.embeddings import MASK_ID


@pytest.fixture(scope="module", params=["bigru", "cnn"])
def model(request):
    ds = make_synthetic(seed=0, train=20, val=4, test=4)
    return EncoderClassifier.build(ds, encoder=request.param, vectors=None, hidden=8).eval()


def test_windows_queries_and_mask(model):
    (w,) = model.windows([ClassifierInput(["the", MASK, "house"], query=["why", "?"])])
    assert w.token_index.tolist() == [-1, -1, 0, 1, 2]
    assert w.ids[3] == MASK_ID
    assert isinstance(model, TextClassifier)


def test_predict_and_attention(model):
    inputs = [ClassifierInput(["the", "house", "by", "the", "river"]), ClassifierInput(["house"]), ClassifierInput([])]
    p = model.predict_proba(inputs)
    assert p.shape == (3, 2) and np.allclose(p.sum(1), 1)
    batch = model.collate(model.windows(inputs[:2]))
    att = model.token_attention(batch).detach().numpy()
    np.testing.assert_allclose(att.sum(1), 1, atol=1e-6)
    assert att[1, 1:].max() == 0  # padding gets no attention


def test_save_load_roundtrip(model, tmp_path):
    inputs = [ClassifierInput(["the", "house", "by", "the", "river"])]
    model.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    assert type(again) is EncoderClassifier and again.labels == model.labels
    np.testing.assert_allclose(again.predict_proba(inputs), model.predict_proba(inputs), atol=1e-6)

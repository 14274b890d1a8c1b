"""The ONNX Runtime forward backend: equal probabilities in fp32, the cache, gradients left on torch, int8
labelled and measured as the different model it is."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rationalize.data import make_synthetic
from rationalize.models.windows import example_input
from tests.models._tiny import tiny_bert

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def data():
    ds = make_synthetic(seed=0, train=4, val=2, test=12)
    return ds, [example_input(ds, ex) for ex in ds["test"]]


def test_fp32_probabilities_equal_torch_and_the_export_is_cached(data, tmp_path, monkeypatch):
    from rationalize.models import onnx_backend as ob

    monkeypatch.setenv("RATIONALIZE_CACHE", str(tmp_path))
    _, inputs = data
    model = tiny_bert(window_size=24, overlap=4)  # several windows per document: batches of mixed lengths
    ref = model.predict_proba(inputs, batch_size=3)
    ob.use_onnx(model, threads=1)
    assert model.backend is not None and model.backend.name == "onnx"
    fast = model.predict_proba(inputs, batch_size=3)
    assert np.abs(fast - ref).max() <= 1e-5
    files = sorted((tmp_path / "onnx").glob("*.onnx"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    ob.use_onnx(model, threads=1)  # the same weights: the cached file, not a new export
    assert sorted((tmp_path / "onnx").glob("*.onnx")) == files and files[0].stat().st_mtime_ns == stamp
    with torch.no_grad():  # other weights: another fingerprint, another file
        model.hf.classifier.bias.add_(1.0)
    ob.use_onnx(model, threads=1)
    assert len(list((tmp_path / "onnx").glob("*.onnx"))) == 2
    ob.use_torch(model)
    assert model.backend is None


def test_gradients_and_training_stay_on_torch(data, tmp_path, monkeypatch):
    from rationalize.models import onnx_backend as ob
    from rationalize.rationalizers.posthoc import get_explainer

    monkeypatch.setenv("RATIONALIZE_CACHE", str(tmp_path))
    _, inputs = data
    model = tiny_bert(window_size=24, overlap=4)
    ref = get_explainer("integrated-gradients", model, n_steps=4).attribute(inputs[:2], target=1)
    calls = []
    ob.use_onnx(model, threads=1)
    real = model.backend
    model.backend = lambda batch: calls.append(1) or real(batch)
    got = get_explainer("integrated-gradients", model, n_steps=4).attribute(inputs[:2], target=1)
    for a, b in zip(ref, got):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    model.predict_proba(inputs[:2])
    assert calls, "the forward-only prediction did not use the backend"
    model.train()
    batch = model.collate(model.windows(inputs[:1]))
    with torch.no_grad():
        n = len(calls)
        model.window_logits(batch)
    assert len(calls) == n, "a module in train mode must run torch (dropout is part of training)"


def test_int8_is_labelled_and_its_agreement_reported(data, tmp_path, monkeypatch):
    pytest.importorskip("onnx")
    from rationalize.models import onnx_backend as ob

    monkeypatch.setenv("RATIONALIZE_CACHE", str(tmp_path))
    _, inputs = data
    model = ob.set_backend(tiny_bert(window_size=24, overlap=4), "onnx-int8", threads=1)
    assert model.backend.name == "onnx-int8" and model.backend.quantized
    report = ob.agreement(model, inputs)
    assert report["examples"] == len(inputs) and 0.0 <= report["prediction_agreement"] <= 1.0
    assert 0.0 < report["max_abs_probability_difference"] < 0.5  # a different model, but close to it
    assert model.backend.name == "onnx-int8"  # agreement() gives the backend back


def test_bad_backends_are_clear():
    from rationalize.models import onnx_backend as ob

    with pytest.raises(ValueError, match="backend must be one of torch, onnx, onnx-int8"):
        ob.set_backend(object(), "tensorrt")
    with pytest.raises(ValueError, match="Hugging Face classifiers"):
        ob.use_onnx(torch.nn.Linear(1, 1))

"""The faithfulness engine perturbs the classifier's pieces, not strings: its scores equal those of feeding
every perturbed input as plain tokens (the tokenizer run on each), in both modes, on torch and ONNX."""

from __future__ import annotations

import numpy as np
import pytest

from rationalize.data import make_synthetic
from rationalize.data.results import DocRationale, Result
from rationalize.engine import FaithfulnessEngine
from rationalize.models.base import ClassifierInput
from tests.models._tiny import tiny_bert


class PlainTokens:
    """The classifier fed copies of the inputs without their origin: it tokenises every one itself."""

    def __init__(self, model):
        self.model, self.labels = model, model.labels

    def predict_proba(self, inputs, batch_size=None):
        return self.model.predict_proba([ClassifierInput(list(i.tokens), i.query and list(i.query))
                                         for i in inputs], batch_size)


def scores(results):
    return np.array([[r.classification_scores[lab] for lab in ("NEG", "POS")]
                     + [d[lab] for d in (r.comprehensiveness_classification_scores, r.sufficiency_classification_scores)
                        for lab in ("NEG", "POS")]
                     + [d[lab] for t in r.thresholded_scores for d in (t.comprehensiveness_classification_scores,
                                                                       t.sufficiency_classification_scores)
                        for lab in ("NEG", "POS")] for r in results])


@pytest.fixture(scope="module")
def setup():
    ds = make_synthetic(seed=1, train=2, val=2, test=10, query="is this review positive or negative ?")
    rng = np.random.default_rng(0)
    results = []
    for ex in ds["test"]:
        doc = ds.docs_of(ex)[0]
        results.append(Result(ex.id, [DocRationale(doc.docid, [(ev.start_token, ev.end_token) for ev in ex.evidences[:1]],
                                                   soft=rng.random(len(doc)).tolist())]))
    return ds, results


@pytest.mark.parametrize("backend", ["torch", "onnx"])
@pytest.mark.parametrize("mode", ["delete", "mask"])
def test_engine_scores_equal_the_plain_tokenizer_path(setup, mode, backend, tmp_path, monkeypatch):
    ds, results = setup
    model = tiny_bert(window_size=24, overlap=4)  # documents of several windows, the query in each
    assert any(len(model.windows([ClassifierInput(ds.docs_of(ex)[0].tokens, ex.query_tokens)])) > 1
               for ex in ds["test"])
    if backend == "onnx":
        pytest.importorskip("onnxruntime")
        from rationalize.models.onnx_backend import use_onnx

        monkeypatch.setenv("RATIONALIZE_CACHE", str(tmp_path))
        use_onnx(model, threads=1)
    kw = {"mode": mode, "progress": False, "full": "recompute", "token_budget": 400}
    fast = FaithfulnessEngine(model, **kw).run(ds, "test", results, aopc_thresholds=(0.1, 0.5))
    slow = FaithfulnessEngine(PlainTokens(model), **kw).run(ds, "test", results, aopc_thresholds=(0.1, 0.5))
    assert np.array_equal(scores(fast), scores(slow))  # the same windows in the same batches: bit-identical

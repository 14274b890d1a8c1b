"""Every registered explainer, on both model kinds (our CNN and a tiny windowed BERT): shapes,
determinism, targets, query exclusion, hard/soft consistency and valid ERASER results."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from rationalize.data import make_synthetic
from rationalize.metrics import evaluate, validate_results
from rationalize.models.base import ClassifierInput
from rationalize.rationalizers.discretize import mask_to_spans, top_k
from rationalize.rationalizers.posthoc import METHODS, available_methods, explain_dataset, get_explainer

FAST = {"integrated-gradients": {"n_steps": 8}, "deeplift": {}, "lime": {"n_samples": 40},
        "kernel-shap": {"n_samples": 40}, "occlusion": {"perturbations_per_eval": 32}}
#: methods whose scores do not depend on the target (so they are equal, not opposite, across classes)
TARGET_FREE = {"attention", "attention-last", "attention-mean", "attention-rollout", "random", "saliency"}
#: the explainers :func:`test_conformance` runs: the issue's ten methods and the attention variants
CONFORMANCE = sorted(set(METHODS) | {"attention-last", "attention-mean"})
ROOT = Path(__file__).resolve().parents[3]


def readme_methods() -> set[str]:
    """The names in the README's quick-tour comment ``# Post-hoc rationales for any classifier (...)``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8").replace("\n# ", " ")
    (listed,) = re.findall(r"Post-hoc rationales for any classifier \(([^)]*)\)", text)
    return {name.strip() for name in listed.split(",")}


def docs_methods() -> set[str]:
    """The backticked names in the first column of the explainer table of ``docs/posthoc.md``."""
    table = (ROOT / "docs" / "posthoc.md").read_text(encoding="utf-8").split("| name | Captum class | notes |", 1)[1]
    rows = list(itertools.takewhile(lambda row: row.startswith("|"), table.strip().splitlines()))[1:]  # no "---"
    assert rows, "docs/posthoc.md has no explainer table"
    return {name for row in rows for name in re.findall(r"`([a-z-]+)`", row.split("|")[1])}


def test_every_registered_explainer_is_tested_and_documented():
    registered = set(available_methods())
    assert registered == set(CONFORMANCE)  # a new explainer joins the conformance test; a removed one leaves it
    assert len(METHODS) == len(set(METHODS)) == 10 and set(METHODS) < registered
    assert readme_methods() == registered
    assert docs_methods() == registered
    with pytest.raises(ValueError, match="unknown explanation method 'nope'; choose from attention, "):
        get_explainer("nope", None)


@pytest.fixture(scope="module")
def queried():
    return make_synthetic(seed=3, train=4, val=2, test=3, query="what is the sentiment ?")


@pytest.mark.parametrize("kind", ["cnn", "bert"])
@pytest.mark.parametrize("method", CONFORMANCE)
def test_conformance(method, kind, request, planted, queried):
    model = request.getfixturevalue(f"{kind}_model")
    exs = planted["test"][:3]
    inputs = [ClassifierInput(planted.doc(ex.docids[0]).tokens, ["what", "is", "it", "?"]) for ex in exs]
    expl = get_explainer(method, model, output="probs", seed=1, **FAST.get(method, {}))
    a = expl.attribute(inputs)
    b = get_explainer(method, model, output="probs", seed=1, **FAST.get(method, {})).attribute(inputs)
    # one finite score per document token (query tokens are never scored); deterministic for a seed
    assert [len(s) for s in a] == [len(i.tokens) for i in inputs]
    assert all(np.isfinite(s).all() for s in a)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, atol=1e-6)
    assert any(np.abs(s).max() > 0 for s in a)
    # targets: with probabilities of two classes, p0 = 1 - p1, so target 0 must give the opposite scores
    s0, s1 = expl.attribute(inputs, target=0), expl.attribute(inputs, target="POS")
    for x, y in zip(s0, s1):
        scale = max(np.abs(x).max(), 1e-8)
        if method in ("lime", "kernel-shap"):  # sampled surrogates: the fits differ by more than a sign
            assert not np.allclose(x, y)
        else:
            np.testing.assert_allclose(x if method in TARGET_FREE else -x, y, atol=2e-4 * scale + 3e-6)  # float32 noise of probabilities
    # the default target is the predicted class
    pred = model.predict_proba(inputs).argmax(1).tolist()
    for x, y in zip(a, expl.attribute(inputs, target=pred)):
        np.testing.assert_allclose(x, y, atol=1e-6)
    # a dataset with queries: results are valid ERASER, hard = top-k of soft, and evaluate() scores them
    results = explain_dataset(get_explainer(method, model, **FAST.get(method, {})), queried, "test", k=3,
                              progress=False)
    validate_results(queried, "test", results)
    for r, ex in zip(results, queried["test"]):
        doc = queried.doc(ex.docids[0])
        (rat,) = r.rationales
        assert len(rat.soft) == len(doc) and len(rat.soft_sentences) == len(doc.sentences)
        assert rat.hard == mask_to_spans(top_k(rat.soft, 3))
        assert r.classification in model.labels and abs(sum(r.classification_scores.values()) - 1) < 1e-6
    scores = evaluate(queried, "test", results)
    assert "token_prf" in scores and "token_soft_metrics" in scores

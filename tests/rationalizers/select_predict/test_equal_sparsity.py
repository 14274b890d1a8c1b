"""The equal-sparsity test-time rule ``top-k``: every method selects exactly ``k_tokens(ρ, words)`` words of
every document, the highest soft scores, and the predictor reads that selection."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rationalize.rationalizers.discretize import k_tokens
from rationalize.rationalizers.select_predict import SELECTION_RULES, make_rationalizer
from tests.rationalizers.select_predict.conftest import FAST, quick_config

METHODS = ["gumbel", "lei2016", "hardkuma", "a2r"]


def _hard_mask(result, doc_len: int) -> np.ndarray:
    mask = np.zeros(doc_len, dtype=bool)
    for s, e in result.rationales[0].hard:
        mask[s:e] = True
    return mask


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("rho", [0.1, 0.37])
def test_top_k_selects_exactly_k_per_document(method, rho, tiny_synth):
    model = make_rationalizer(method, **FAST)
    model.fit(tiny_synth, config=quick_config(epochs=1, max_steps_per_epoch=2))
    results = model.predict_results(tiny_synth, "test", rule="top-k", k=rho)
    for ex, res in zip(tiny_synth["test"], results):
        n = len(tiny_synth.doc(ex.docids[0]))
        hard = _hard_mask(res, n)
        assert hard.sum() == k_tokens(rho, n, fraction=True) == int(np.ceil(rho * n - 1e-9))
        soft = np.asarray(res.rationales[0].soft)
        # the selected words are the highest soft scores (ties broken by position)
        order = np.argsort(-soft, kind="stable")[: hard.sum()]
        assert set(np.flatnonzero(hard)) == set(order)
    # default k: the sparsity target; the predictor reads the top-k selection, not the method's own
    default = model.predict_results(tiny_synth, "test", rule="top-k")
    ex = tiny_synth["test"][0]
    n = len(tiny_synth.doc(ex.docids[0]))
    assert _hard_mask(default[0], n).sum() == k_tokens(model.sparsity_, n, fraction=True)


def test_the_predictor_reads_the_top_k_selection(tiny_synth):
    """At k = every word, the class probabilities are the predictor's on the whole document."""
    model = make_rationalizer("gumbel", **FAST)
    model.fit(tiny_synth, config=quick_config(epochs=1, max_steps_per_epoch=2))
    items = model.items(tiny_synth, "test")
    every = model._infer(items, 8, "top-k", 1.0)
    assert all(z.all() for z, _, _ in every)
    batch = model.collate(items)
    model.eval()
    with torch.no_grad():
        full = torch.softmax(model.predict_logits(batch, batch["word_mask"].float()), -1).numpy()
    np.testing.assert_allclose(np.stack([p for *_, p in every]), full, atol=1e-5)


def test_documents_cut_at_max_length_keep_at_most_their_visible_words(tiny_synth):
    model = make_rationalizer("a2r", **{**FAST, "max_length": 10})
    model.fit(tiny_synth, config=quick_config(epochs=1, max_steps_per_epoch=1))
    for ex, res in zip(tiny_synth["test"], model.predict_results(tiny_synth, "test", rule="top-k", k=0.5)):
        n = len(tiny_synth.doc(ex.docids[0]))
        hard = _hard_mask(res, n)
        assert hard.sum() == min(k_tokens(0.5, n, fraction=True), 10)
        assert not hard[10:].any()


def test_unknown_rule_is_rejected(tiny_synth):
    model = make_rationalizer("gumbel", **FAST)
    model.fit(tiny_synth, config=quick_config(epochs=1, max_steps_per_epoch=1))
    assert SELECTION_RULES == ("own", "top-k")
    with pytest.raises(ValueError, match="selection rule"):
        model.predict_results(tiny_synth, "test", rule="top-p")


def test_the_contract_adapter_passes_the_rule(tiny_synth):
    from rationalize import load_rationalizer

    r = load_rationalizer("a2r", "select-predict", rule="top-k", k=0.25, epochs=1, max_steps_per_epoch=1, **FAST)
    assert r.get_params()["rule"] == "top-k"
    for ex, res in zip(tiny_synth["test"], r.fit(tiny_synth).rationalize(tiny_synth, "test")):
        n = len(tiny_synth.doc(ex.docids[0]))
        assert _hard_mask(res, n).sum() == k_tokens(0.25, n, fraction=True)
    with pytest.raises(ValueError, match="selection rule"):
        load_rationalizer("gumbel", rule="median")

"""Noise injection (Storek et al., 2023): only selected tokens, only in training, at the configured rate,
low-tf-idf tokens first, replacements from the tf-idf-scored vocabulary distribution."""

from __future__ import annotations

import math

import pytest
import torch

from rationalize.rationalizers.select_predict import NoiseInjection, make_rationalizer
from rationalize.rationalizers.select_predict.backbones import unit_term_frequency
from rationalize.rationalizers.select_predict.framework import Selection
from tests.rationalizers.select_predict.conftest import FAST, quick_config


def _fitted(rate=0.2, **kw):
    # word 3 is in every document (idf 0), words 4.. are rarer
    docs = [[3, 3, 4, 5], [3, 6, 7, 8], [3, 4, 9, 10], [3, 11, 12, 4]]
    return NoiseInjection(rate, **kw).fit(docs, vocab_size=16, exclude=[0, 1, 2]), docs


def test_statistics_match_hand_computation():
    noise, _ = _fitted()
    assert noise.idf_[3].item() == pytest.approx(0.0)
    assert noise.idf_[4].item() == pytest.approx(math.log(4 / 3))
    assert noise.idf_[5].item() == pytest.approx(math.log(4))
    q = noise.replacement_distribution_
    assert q[[0, 1, 2, 13, 14, 15]].sum() == 0  # specials and unseen ids are never drawn
    # S(w) = sum_d tf(w, d) idf(w); q ∝ max S - S: word 3 (idf 0) is the most likely replacement
    assert int(q.argmax()) == 3
    assert q.sum().item() == pytest.approx(1.0)


def test_only_selected_tokens_are_replaced_at_the_configured_rate():
    """The ``selection`` variant (normalised over the selected units): every selection loses ``rate``."""
    noise, _ = _fitted(rate=0.25, token_probability="selection")
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(3, 13, (400, 50), generator=g)
    tf = torch.rand(400, 50, generator=g) * 0.1
    selected = torch.rand(400, 50, generator=g) < 0.3
    noisy, replaced = noise(ids, tf, selected, generator=g)
    assert not (replaced & ~selected).any()
    assert torch.equal(noisy[~replaced], ids[~replaced])
    rate = replaced.sum().item() / selected.sum().item()
    assert rate == pytest.approx(0.25, abs=0.02)
    p = noise.replace_probability(ids, tf, selected)
    assert (p[~selected] == 0).all()
    # mean probability per example over its selected tokens equals the rate
    per_example = (p.sum(1) / selected.sum(1).clamp(min=1))[selected.sum(1) > 5]
    assert torch.allclose(per_example, torch.full_like(per_example, 0.25), atol=1e-4)


def test_low_tfidf_tokens_are_replaced_more_often():
    noise, _ = _fitted(rate=0.3)
    ids = torch.tensor([[3, 5, 3, 5, 4, 6]])  # word 3 has idf 0, word 5 idf log 4
    tf = torch.full(ids.shape, 1 / 6)
    p = noise.replace_probability(ids, tf, torch.ones_like(ids, dtype=torch.bool))
    assert p[0, 0] > p[0, 4] > p[0, 1]
    uniform = NoiseInjection(0.3, token_probability="uniform").fit([[3, 4]], 16)
    assert torch.allclose(uniform.replace_probability(ids, tf, torch.ones_like(ids, dtype=torch.bool)), torch.full((1, 6), 0.3))


def test_noise_only_in_training_and_only_on_selected_words(synth):
    model = make_rationalizer("gumbel", **FAST, noise_injection=0.5)
    model.fit(synth, config=quick_config(epochs=1, max_steps_per_epoch=2))
    batch = model.collate(model.items(synth, "train")[:16])
    seen = {}
    original = model.predict_logits

    def spy(b, z, ids=None):
        seen["z"], seen["ids"] = z.detach(), ids
        return original(b, z, ids)

    model.predict_logits = spy
    model.train()
    terms = model.training_step(batch)
    ids, z = seen["ids"], seen["z"]
    assert ids is not None
    diff = ids != batch["ids"]
    assert diff.any()
    assert not (diff & ~((z > 0) & batch["selectable"])).any()
    assert 0.3 < terms["replaced"] < 0.7
    model.eval()
    with torch.no_grad():
        model.training = False
        noisy, _, _ = model.inject_noise(batch, z)
    assert noisy is None
    model.predict_logits = original
    # prediction never injects noise: two calls agree
    inputs = model.items(synth, "test")[:5]
    assert [r[2].tolist() for r in model._infer(inputs, 5)] == [r[2].tolist() for r in model._infer(inputs, 5)]


def test_bad_noise_settings():
    with pytest.raises(ValueError, match="rate"):
        NoiseInjection(1.5)
    with pytest.raises(ValueError, match="replacement"):
        NoiseInjection(0.1, replacement="zipf")
    with pytest.raises(RuntimeError, match="fit"):
        NoiseInjection(0.1)(torch.zeros(1, 2, dtype=torch.long), torch.zeros(1, 2), torch.ones(1, 2, dtype=torch.bool))


def test_document_probabilities_equal_the_reference_formula_on_a_hand_example():
    """p_i = min(1, noise_p · len · (max s − s_i) / Σ_doc (max s − s)), s = tf · idf over the whole document
    (adamstorek/noise_injection, generate_word_statistics.py, scaled by noise_p in the data loader)."""
    noise, _ = _fitted(rate=0.8)
    assert noise.token_probability == "document"
    # one query unit (id 9, never part of the document), then the document 3 3 4 5, then padding
    ids = torch.tensor([[9, 3, 3, 4, 5, 0]])
    document = torch.tensor([[False, True, True, True, True, False]])
    tf = unit_term_frequency(ids, document)
    assert tf[0].tolist() == pytest.approx([0, 0.5, 0.5, 0.25, 0.25, 0])
    s = [0.0, 0.0, 0.25 * math.log(4 / 3), 0.25 * math.log(4)]  # idf(3) = 0, idf(4) = log 4/3, idf(5) = log 4
    w = [max(s) - v for v in s]
    expected = [min(1.0, 0.8 * 4 * v / sum(w)) for v in w]
    assert expected[0] == 1.0 and 0 < expected[2] < 1 and expected[3] == 0  # the cap and the top word
    p = noise.replace_probability(ids, tf, document, document)
    assert p[0].tolist() == pytest.approx([0.0, *expected, 0.0], abs=1e-6)
    # the probability of a word does not depend on what else is selected (per document, not per selection)
    only = torch.tensor([[False, False, False, True, False, False]])
    p_only = noise.replace_probability(ids, tf, only, document)
    assert p_only[0].tolist() == pytest.approx([0, 0, 0, expected[2], 0, 0], abs=1e-6)
    # all words equally informative: the reference's uniform case, noise_p each
    flat = noise.replace_probability(torch.tensor([[3, 3]]), torch.full((1, 2), 0.5), torch.ones(1, 2, dtype=torch.bool))
    assert flat[0].tolist() == pytest.approx([0.8, 0.8])
    assert NoiseInjection(0.1, token_probability="tfidf").token_probability == "selection"  # old name


def _noisy_batch(method, synth):
    model = make_rationalizer(method, **FAST, noise_injection=1.0)  # every selected word may be replaced
    model.fit(synth, config=quick_config(epochs=1, max_steps_per_epoch=1))
    model.train()
    model.zero_grad(set_to_none=True)  # fit() leaves its last step's gradients
    return model, model.collate(model.items(synth, "train")[:8])


def test_no_gradient_reaches_the_generator_through_replaced_words(synth):
    """Straight-through methods: at a replaced word the predictor reads a word the generator never picked,
    so the predictor's loss gives z no gradient there (it still does at the words that survive)."""
    model, batch = _noisy_batch("gumbel", synth)
    seen = {}
    original_select, original_noise = model.select, model.inject_noise

    def select(b):
        sel = original_select(b)
        z = sel.z.detach().clone().requires_grad_(True)
        seen["z"] = z
        return Selection(z, sel.probs, sel.extra)

    def inject(b, z):
        out = original_noise(b, z)
        seen["replaced"] = out[2]
        return out

    model.select, model.inject_noise = select, inject
    model.sparsity_weight = model.continuity_weight = 0.0  # only the predictor's loss
    model.training_step(batch)["loss"].backward()
    grad, replaced = seen["z"].grad, seen["replaced"]
    chosen = (seen["z"] > 0) & batch["selectable"]
    assert replaced.any() and (chosen & ~replaced).any()
    assert (grad[replaced] == 0).all()
    assert grad[chosen & ~replaced].abs().sum() > 0


def test_a2r_generator_gets_no_gradient_from_the_noisy_hard_path(synth):
    """A2R: the hard predictor's loss (on the noisy top-k selection) never reaches the generator; the
    generator learns from the soft path and the JS term against the detached hard prediction."""
    model, batch = _noisy_batch("a2r", synth)
    sel = model.select(batch)
    assert not sel.z.requires_grad
    noisy, replaced, _ = model.inject_noise(batch, sel.z)
    assert replaced > 0
    hard = model.predict_logits(batch, sel.z, noisy)
    torch.nn.functional.cross_entropy(hard, batch["labels"]).backward()
    generator = list(model.generator.parameters()) + list(model.generator_head.parameters())
    assert all(p.grad is None or float(p.grad.abs().sum()) == 0 for p in generator)
    assert any(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in model.predictor.parameters())
    model.zero_grad()
    model.training_step(batch)["loss"].backward()  # the full loss does train the generator (soft path + JS)
    assert any(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in generator)

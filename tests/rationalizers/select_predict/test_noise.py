"""Noise injection (Storek et al., 2023): only selected tokens, only in training, at the configured rate,
low-tf-idf tokens first, replacements from the tf-idf-scored vocabulary distribution."""

from __future__ import annotations

import math

import pytest
import torch

from rationalize.rationalizers.select_predict import NoiseInjection, make_rationalizer
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
    noise, _ = _fitted(rate=0.25)
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
        noisy, _ = model.inject_noise(batch, z)
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

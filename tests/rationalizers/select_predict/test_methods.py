"""Each select-then-predict method recovers planted rationales; predictions depend only on the rationale;
saved models reload; training is deterministic for a seed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from rationalize.models.base import ClassifierInput, TextClassifier, load_model
from rationalize.rationalizers.select_predict import METHODS, make_rationalizer
from rationalize.data.schema import mask_to_spans as spans_of
from rationalize.rationalizers.select_predict.framework import rate_and_transitions
from tests.rationalizers.select_predict.conftest import FAST, METHOD_KW, quick_config, token_prf

_TRAINED: dict[tuple[str, int], object] = {}

#: Seeds every recovery check trains with: a learning method must recover the planted rationale for
#: most seeds, not for one lucky trajectory (float rounding differs across CPUs and library builds, and a
#: run at the edge of convergence then lands on either side of a threshold).
SEEDS = (0, 1, 2)
#: REINFORCE (lei2016) needs more epochs than the reparameterised methods: at 10 epochs its selection
#: rate is still falling towards the target (measured: token F1 0.58-0.95 over seeds 0-5 at 10 epochs,
#: 0.87-1.00 at 20).
EPOCHS = {"lei2016": 20}
#: A2R selects exactly k = ceil(target · words) words of every document while the planted evidence covers
#: 2.5-10 % of a document (10th-90th percentile), so even a perfect ranking cannot reach token F1 1;
#: measured 0.69 / 0.72 / 0.71 over seeds 0-2 (random words at the same k: about 0.06)
RECOVERY_F1 = {"a2r": 0.6, "refer": 0.6}  # refer also selects exactly k words (measured 0.77 / 0.72 / 0.64)


def trained(method: str, synth, seed: int = 0):
    """Train each (method, seed) once per session (the recovery, save/load and protocol tests share it)."""
    if (method, seed) not in _TRAINED:
        model = make_rationalizer(method, **{**FAST, "seed": seed}, **METHOD_KW[method])
        model.fit(synth, config=quick_config(epochs=EPOCHS.get(method, 10), seed=seed))
        _TRAINED[method, seed] = model
    return _TRAINED[method, seed]


@pytest.mark.parametrize("method", sorted(m for m in METHODS if METHODS[m].unit == "word"))  # sentences: test_sentences
def test_recovers_planted_rationale(method, synth):
    runs = []
    for seed in SEEDS:
        results = trained(method, synth, seed).predict_results(synth, "test")
        p, r, f1 = token_prf(synth, "test", results)
        acc = float(np.mean([res.classification == ex.label for res, ex in zip(results, synth["test"])]))
        runs.append((seed, round(p, 3), round(r, 3), round(f1, 3), acc))
    assert np.median([f1 for *_, f1, _ in runs]) >= RECOVERY_F1.get(method, 0.8), (method, runs)
    assert np.median([acc for *_, acc in runs]) >= 0.9, (method, runs)
    # soft scores: one per token, higher on the rationale than elsewhere
    results = trained(method, synth).predict_results(synth, "test")
    ex, res = synth["test"][0], results[0]
    rat = res.rationale_for(ex.docids[0])
    assert len(rat.soft) == len(synth.doc(ex.docids[0]))
    assert len(rat.soft_sentences) == len(synth.doc(ex.docids[0]).sentences)
    assert set(res.classification_scores) == set(synth.labels)
    assert abs(sum(res.classification_scores.values()) - 1) < 1e-5


@pytest.mark.parametrize("method", ["gumbel", "fresh"])
def test_save_load_round_trip(method, synth, tmp_path):
    model = trained(method, synth)
    model.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    assert type(again) is type(model)
    assert isinstance(again, TextClassifier)
    inputs = [ClassifierInput(synth.doc(ex.docids[0]).tokens) for ex in synth["test"][:8]]
    np.testing.assert_allclose(again.predict_proba(inputs), model.predict_proba(inputs), atol=1e-6)
    for ra, rb in zip(again.predict_results(synth, "test"), model.predict_results(synth, "test")):
        assert ra.classification == rb.classification
        assert ra.rationales[0].hard == rb.rationales[0].hard
        # explainer scores may differ in the last bits with batch composition (FRESH)
        np.testing.assert_allclose(ra.rationales[0].soft, rb.rationales[0].soft, atol=1e-5)


@pytest.mark.parametrize("mode", ["mask", "delete"])
@pytest.mark.parametrize("method", ["gumbel", "lei2016", "hardkuma"])
def test_predictor_cannot_see_unselected_tokens(method, mode, synth):
    """Changing every unselected word (to any other word) leaves the predictor's output unchanged."""
    model = make_rationalizer(method, **FAST, input_mode=mode)
    model.fit(synth, config=quick_config(epochs=1, max_steps_per_epoch=2))
    model.eval()
    items = model.items(synth, "test")[:6]
    batch = model.collate(items)
    with torch.no_grad():
        z = model.select(batch).z
        rng = torch.Generator().manual_seed(0)
        z = torch.where(batch["selectable"], (torch.rand(z.shape, generator=rng) < 0.3).float(), z)
        z[0, :] = torch.where(batch["selectable"][0], torch.zeros_like(z[0]), z[0])  # an empty rationale too
        changed = batch["ids"].clone()
        hidden = batch["selectable"] & (z == 0)
        changed[hidden] = torch.randint(3, len(model.vocab_), (int(hidden.sum()),), generator=rng)
        assert not torch.equal(changed, batch["ids"])
        before = model.predict_logits(batch, z)
        after = model.predict_logits(batch, z, changed)
        touched = model.predict_logits(batch, z, torch.where(batch["selectable"] & (z > 0), changed * 0 + 3, batch["ids"]))
    torch.testing.assert_close(before, after, rtol=0, atol=1e-6)
    if bool(((z > 0) & batch["selectable"]).any()):
        assert not torch.allclose(before, touched)  # selected words do matter


def test_full_model_prediction_ignores_unselected_words(synth):
    """End to end: perturb words outside the predicted rationale, keep the generator's choice fixed."""
    model = trained("gumbel", synth)
    ex = synth["test"][1]
    tokens = list(synth.doc(ex.docids[0]).tokens)
    mask = model.rationales([ClassifierInput(tokens)])[0]
    assert mask.any() and not mask.all()
    item = model.items(synth, "test")[1]
    batch = model.collate([item])
    with torch.no_grad():
        z = model.select(batch).z
        changed = batch["ids"].clone()
        changed[batch["selectable"] & (z == 0)] = 3
        torch.testing.assert_close(model.predict_logits(batch, z), model.predict_logits(batch, z, changed), rtol=0, atol=1e-6)


@pytest.mark.parametrize("method", ["gumbel", "hardkuma", "lei2016"])
def test_training_is_deterministic(method, synth, tmp_path):
    states = []
    for run in range(2):
        model = make_rationalizer(method, **FAST, noise_injection=0.2, complement_weight=0.5)
        model._prepare(synth, "train")  # the seeded initial weights, to check that fit moves them
        initial = {k: v.clone() for k, v in model.state_dict().items()}
        model.fit(synth, config=quick_config(epochs=2, max_steps_per_epoch=3), out_dir=tmp_path / str(run))
        states.append(model.state_dict())
    for k in states[0]:
        assert torch.equal(states[0][k], states[1][k]), k
    moved = [k for k in initial if k.startswith("generator") and not torch.equal(initial[k], states[0][k])]
    assert moved, "fit() left every generator weight at its initial value"


def test_sparsity_target_defaults_to_human_fraction(synth):
    model = make_rationalizer("gumbel", **FAST)
    model.fit(synth, config=quick_config(epochs=1, max_steps_per_epoch=1))
    assert model.sparsity_ == pytest.approx(synth.mean_rationale_fraction("train"))
    assert 0 < model.continuity_ < 1


def test_rate_and_transitions_hand_computed():
    z = torch.tensor([[1.0, 1.0, 0.0, 1.0, 0.0, 0.0]])
    sel = torch.tensor([[False, True, True, True, True, False]])  # word 0 is the query, word 5 padding
    rate, trans = rate_and_transitions(z, sel)
    assert rate.item() == pytest.approx(2 / 4)
    assert trans.item() == pytest.approx(3 / 4)  # 1->0, 0->1, 1->0 inside the document
    assert spans_of([False, True, True, False, True]) == [(1, 3), (4, 5)]


def test_bad_parameters_are_rejected():
    with pytest.raises(ValueError, match="input_mode"):
        make_rationalizer("gumbel", input_mode="hide")
    with pytest.raises(ValueError, match="unknown rationalizer"):
        make_rationalizer("lei2017")
    with pytest.raises(ValueError, match="sparsity"):
        make_rationalizer("gumbel", sparsity=2.0)
    with pytest.raises(RuntimeError, match="not trained"):
        make_rationalizer("gumbel").predict_proba([ClassifierInput(["a"])])


def test_fresh_trained_extractor_beats_raw_support_scores(synth):
    """The tagger (paper's step 2) generalises the support model's rationales: with several planted spans
    per document it marks the ones the support model ignored, so it recovers more of the gold evidence than
    cutting the support model's own scores does, and it no longer needs the support model at prediction."""
    tagged = trained("fresh", synth)
    raw = make_rationalizer("fresh", **FAST, **{**METHOD_KW["fresh"], "trained_extractor": False})
    raw.fit(synth, config=quick_config(epochs=10))
    f_tagged = token_prf(synth, "test", tagged.predict_results(synth, "test"))[2]
    f_raw = token_prf(synth, "test", raw.predict_results(synth, "test"))[2]
    assert f_tagged >= 0.9 and f_tagged > f_raw, (f_tagged, f_raw)
    items = tagged.items(synth, "test")[:4]
    calls = []
    tagged.explainer_.attribute = lambda *a, **k: calls.append(1)  # the support model is not consulted
    tagged._scores.clear()
    assert all(len(m) == len(it.words) for (m, _), it in zip(tagged.extract(items), items))
    assert not calls


@pytest.mark.parametrize("method", ["lei2016", "gumbel", "hardkuma"])
def test_predictor_warmup_trains_only_the_predictor_on_whole_documents(method, tiny_synth):
    """During ``predictor_warmup_steps`` the generator is untouched and the predictor reads every word."""
    model = make_rationalizer(method, encoder="cnn", embeddings=None, hidden=8, dropout=0.0,
                              predictor_warmup_steps=2)
    model._prepare(tiny_synth, "train")
    items = [it for it in model.items(tiny_synth, "train") if it.label >= 0][:8]
    batch = model.collate(items)
    generator = {k: v.clone() for k, v in model.generator.state_dict().items()}
    predictor = {k: v.clone() for k, v in model.predictor.state_dict().items()}
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    model.train()
    for _ in range(2):
        terms = model.training_step(batch)
        assert terms["selection_rate"] == 1.0
        expected = F.cross_entropy(model.predict_logits(batch, batch["word_mask"].float()), batch["labels"])
        torch.testing.assert_close(terms["loss"], expected)
        opt.zero_grad()
        terms["loss"].backward()
        opt.step()
    for k, v in model.generator.state_dict().items():
        torch.testing.assert_close(v, generator[k])
    assert any(not torch.equal(v, predictor[k]) for k, v in model.predictor.state_dict().items())
    terms = model.training_step(batch)  # step 3: the generator's selection takes over
    assert float(terms["selection_rate"]) < 1.0


def test_fresh_rejects_predictor_warmup():
    with pytest.raises(ValueError, match="rationales only"):
        make_rationalizer("fresh", predictor_warmup_steps=10)


def test_sparsity_warmup_starts_when_the_predictor_warmup_ends():
    model = make_rationalizer("gumbel", predictor_warmup_steps=4, warmup_steps=2)
    expected = {4: 0.0, 6: 0.0, 7: 0.5, 8: 1.0, 20: 1.0}
    for step, value in expected.items():
        model.steps_ = torch.tensor(step)
        assert model.ramp() == value, step


@pytest.mark.parametrize("method", [m for m in METHODS if m != "fresh"])
def test_complement_control_is_refused_exactly_where_the_class_says(method):
    # one flag on the class decides; the demo reads it to choose its parameters
    cls = METHODS.get(method)
    if cls.complement_control:
        assert make_rationalizer(method, complement_weight=0.3).complement_weight == 0.3
    else:
        for kw in ({"complement_weight": 0.3}, {"predictor_warmup_steps": 5}):
            with pytest.raises(ValueError, match=f"{method} has no complement control"):
                make_rationalizer(method, **kw)

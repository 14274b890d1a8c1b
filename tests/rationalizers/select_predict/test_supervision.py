"""Rationale supervision of select-then-predict generators: λ = 0 is today's training exactly, the loss moves
each method's selection probabilities towards the human mask, the supervised subset is the seeded one, and a
dataset without rationales is one clear error."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from rationalize.data import make_synthetic
from rationalize.errors import OptionError
from rationalize.models.supervision import NoRationalesError, supervised_examples
from rationalize.rationalizers.select_predict import METHODS, make_rationalizer
from rationalize.rationalizers.select_predict.framework import Item, Selection
from tests.cli_run import run_main
from tests.rationalizers.select_predict.conftest import METHOD_KW, quick_config

TINY = {"encoder": "cnn", "embeddings": None, "hidden": 16, "freeze_embeddings": False, "warmup_steps": 2, "seed": 0}
#: methods whose generator the selection loss trains (FRESH's extractor is fixed; see its own test)
GENERATORS = ("lei2016", "gumbel", "hardkuma", "a2r")


def _small(seed: int = 0):
    return make_synthetic(seed=seed, train=48, val=8, test=4)


def _state(method: str, ds, **kw):
    model = make_rationalizer(method, **TINY, **METHOD_KW[method], **kw)
    model.fit(ds, config=quick_config(epochs=2, max_steps_per_epoch=2))
    return model.state_dict()


def _same(a, b) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_lambda_zero_reproduces_unsupervised_training_exactly(method):
    ds = _small()
    base = _state(method, ds)
    assert _same(base, _state(method, ds, rationale_supervision=0.0, supervised_fraction=1.0))
    assert _same(base, _state(method, ds, rationale_supervision=2.0, supervised_fraction=0.0))  # nobody supervised
    # the test has teeth: a real rationale loss changes the weights
    assert not _same(base, _state(method, ds, rationale_supervision=1.0, supervised_fraction=1.0))


def _built(method: str, ds):
    model = make_rationalizer(method, **{**TINY, "dropout": 0.0}, rationale_supervision=1.0)
    model._prepare(ds, "train")
    return model


def _hand_item() -> Item:
    words = ["the", "film", "was", "great", "and", "fun", "but", "long"]
    return Item("x", [], words, 1, [("d", 0, len(words), len(words))],
                rationale=np.array([0, 0, 0, 1, 0, 1, 0, 0], dtype=np.float32))


@pytest.mark.parametrize("method", GENERATORS)
def test_rationale_loss_steps_move_selection_probabilities_to_the_mask(method):
    """Plain gradient steps on the rationale loss alone raise the selection probabilities of the mask's words
    and lower the others' (A2R: move the attention's mass onto the mask)."""
    torch.manual_seed(0)
    ds = _small()
    model = _built(method, ds)
    model.train()
    ex = ds["train"][0]
    words = ds.doc(ex.docids[0]).tokens  # words of the vocabulary (unknown words would all look alike)
    item = Item("x", [], words, 1, [("d", 0, len(words), len(words))],
                rationale=np.asarray(ex.gold_token_mask(ds.doc(ex.docids[0])), dtype=np.float32))
    batch = model.collate([item])
    mask = batch["rationale"][0].bool()
    doc = batch["selectable"][0]

    def gap() -> float:
        with torch.no_grad():
            p = model.select(batch).probs[0]
        return float(p[mask].mean() - p[doc & ~mask].mean())

    before = gap()
    opt = torch.optim.Adam([p for p in model.generator.parameters() if p.requires_grad]
                           + list(model.generator_head.parameters()), lr=0.01)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = model.rationale_loss(batch, model.select(batch))
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0]
    after = gap()
    assert after > before + 0.1, (before, after)


def test_selection_loss_is_the_binary_cross_entropy_of_the_probabilities():
    ds = _small()
    model = _built("gumbel", ds)
    batch = model.collate([_hand_item(), Item("y", [], ["a", "b"], 0, [("e", 0, 2, 2)])])
    probs = torch.zeros(batch["selectable"].shape)
    probs[0, :8] = torch.tensor([0.1, 0.2, 0.1, 0.9, 0.5, 0.6, 0.3, 0.2])
    probs[1, :2] = torch.tensor([0.99, 0.99])  # not supervised: must not count
    m = [0, 0, 0, 1, 0, 1, 0, 0]
    expect = -np.mean([math.log(p) if y else math.log(1 - p) for p, y in zip(probs[0, :8].tolist(), m)])
    got = model.rationale_loss(batch, Selection(probs, probs))
    assert batch["supervised"].tolist() == [True, False]
    assert abs(float(got) - expect) < 1e-5


def test_a2r_loss_is_the_kl_of_the_normalised_mask_to_the_attention():
    ds = _small()
    model = _built("a2r", ds)
    batch = model.collate([_hand_item()])
    alpha = torch.zeros(batch["selectable"].shape)
    alpha[0, :8] = torch.tensor([0.1, 0.1, 0.1, 0.3, 0.1, 0.1, 0.1, 0.1])
    expect = 0.5 * math.log(0.5 / 0.3) + 0.5 * math.log(0.5 / 0.1)
    assert abs(float(model.rationale_loss(batch, Selection(alpha, alpha))) - expect) < 1e-5


def test_supervised_fraction_selects_the_seeded_subset_with_its_gold_masks():
    ds = _small()
    ds["train"][0].evidence_groups = []  # an example without a rationale is never supervised
    model = make_rationalizer("gumbel", **{**TINY, "seed": 4}, rationale_supervision=1.0, supervised_fraction=0.25)
    model._prepare(ds, "train")
    items = model.training_items(ds, "train")
    got = {i for i, it in enumerate(items) if it.rationale is not None}
    assert got == supervised_examples(ds["train"], 0.25, seed=4) and 0 not in got
    assert len(got) == round(0.25 * 47)
    for i in got:
        ex = ds["train"][i]
        assert items[i].rationale.tolist() == [float(v) for v in ex.gold_token_mask(ds.doc(ex.docids[0]))]
    other = make_rationalizer("gumbel", **{**TINY, "seed": 5}, rationale_supervision=1.0, supervised_fraction=0.25)
    other._prepare(ds, "train")
    assert {i for i, it in enumerate(other.training_items(ds, "train")) if it.rationale is not None} != got
    # a batch of unsupervised items carries no rationale at all (λ = 0 batches are today's batches)
    assert "rationale" not in model.collate([it for it in items if it.rationale is None][:4])


def test_rationale_mask_follows_the_max_length_cut():
    ds = _small()
    model = make_rationalizer("gumbel", **TINY, max_length=5, rationale_supervision=1.0)
    model._prepare(ds, "train")
    for it, ex in zip(model.training_items(ds, "train"), ds["train"]):
        assert len(it.rationale) == len(it.words) == 5
        assert it.rationale.tolist() == [float(v) for v in ex.gold_token_mask(ds.doc(ex.docids[0]))[:5]]


@pytest.mark.parametrize("method", sorted(METHODS))
def test_no_rationales_is_an_error_not_a_silent_zero(method):
    ds = _small()
    for ex in ds["train"]:
        ex.evidence_groups = []
    model = make_rationalizer(method, **TINY, **METHOD_KW[method], rationale_supervision=1.0)
    with pytest.raises(NoRationalesError, match="split 'train' of dataset 'synthetic' has none"):
        model.fit(ds, config=quick_config(epochs=1, max_steps_per_epoch=1))
    assert not model._built  # found before any network is built


@pytest.mark.parametrize("kw, match", [({"rationale_supervision": -1}, "--rationale-supervision"),
                                       ({"rationale_supervision": float("nan")}, "--rationale-supervision"),
                                       ({"supervised_fraction": 1.5}, "--supervised-fraction")])
def test_bad_options(kw, match):
    with pytest.raises(OptionError, match=match):
        make_rationalizer("gumbel", **TINY, **kw)


def test_supervision_improves_agreement_with_the_human_mask():
    """End to end on the planted-evidence data: after the same short training, the supervised A2R's own
    (top-k) selection overlaps the planted evidence more than the unsupervised one's."""
    ds = make_synthetic(seed=0, train=96, val=16, test=32)

    def overlap(lam: float) -> float:
        model = make_rationalizer("a2r", **TINY, rationale_supervision=lam)
        model.fit(ds, config=quick_config(epochs=2))
        hits = []
        for res, ex in zip(model.predict_results(ds, "test"), ds["test"]):
            gold = np.array(ex.gold_token_mask(ds.doc(ex.docids[0])))
            pred = np.zeros(len(gold), dtype=bool)
            for s, e in res.rationales[0].hard:
                pred[s:e] = True
            hits.append((gold & pred).sum() / max(1, pred.sum()))
        return float(np.mean(hits))

    base, sup = overlap(0.0), overlap(3.0)
    assert sup > base + 0.1, (base, sup)


def test_fresh_supervises_its_support_model_and_tagger():
    from rationalize.models.supervision import RationaleSupervision

    ds = _small()
    kw = dict(TINY, extractor="attention", trained_extractor=True, tagger_epochs=1)
    cfg = quick_config(epochs=1, max_steps_per_epoch=2)
    plain = make_rationalizer("fresh", **kw).fit(ds, config=cfg)
    sup = make_rationalizer("fresh", **kw, rationale_supervision=1.0).fit(ds, config=cfg)
    a, b = plain.support_.state_dict(), sup.support_.state_dict()
    assert not _same(a, b)
    from rationalize.models.training import train_classifier

    twin, _ = train_classifier(ds, "cnn", None, epochs=1, lr=cfg.lr, batch_size=cfg.batch_size, seed=0,
                               patience=cfg.patience, progress=False, max_steps_per_epoch=2, vectors=None, hidden=16,
                               supervision=RationaleSupervision(1.0, 1.0, "attention", 0))
    assert _same(b, twin.state_dict())  # exactly the classifiers' supervision
    with pytest.raises(OptionError, match="--rationale-supervision"):
        make_rationalizer("fresh", **kw, rationale_supervision=1.0, support_model="nowhere").fit(ds, config=cfg)


def test_cli_trains_a_supervised_rationalizer_and_errors_in_one_line(capsys, monkeypatch, tmp_path):
    from rationalize.data import write_eraser
    from rationalize.models import load_model

    monkeypatch.chdir(tmp_path)
    ds = make_synthetic(seed=0, train=24, val=6, test=4)
    write_eraser(ds, tmp_path / "d")
    base = ["train", "rationalizer", "--method", "gumbel", "--encoder", "cnn", "--embeddings", "none", "--hidden", "8",
            "--epochs", "1", "--no-progress"]
    run = run_main([*base, "--data", "d", "--out", "m", "--rationale-supervision", "0.5", "--supervised-fraction", "0.5"],
                   capsys, monkeypatch)
    assert run.code == 0, run.err
    assert "train_rationale_loss" in (tmp_path / "m" / "history.jsonl").read_text()
    assert load_model(tmp_path / "m").rationale_supervision == 0.5
    for ex in ds["train"]:
        ex.evidence_groups = []
    write_eraser(ds, tmp_path / "bare")
    run = run_main([*base, "--data", "bare", "--out", "m2", "--rationale-supervision", "1"], capsys, monkeypatch)
    assert run.error_line.startswith("error: rationale supervision needs human rationales, but split 'train'")
    run = run_main([*base, "--data", "bare", "--out", "m2", "--supervised-fraction", "2"], capsys, monkeypatch)
    assert run.error_line == "error: --supervised-fraction must be in [0, 1], got 2.0"
    assert not (tmp_path / "m2").exists()


# -- ECHR regularizers (Chalkidis et al., 2021) ---------------------------------------------------------
def _echr_model(**kw):
    ds = _small()
    model = make_rationalizer("gumbel", **{**TINY, "dropout": 0.0}, **kw)
    model._prepare(ds, "train")
    model.train()
    items = model.training_items(ds, "train")[:6]
    return model, model.collate(items)


def test_random_selection_has_the_rationale_size_and_only_document_words():
    model, batch = _echr_model(singularity_weight=1.0)
    z = model.select(batch).z.detach()
    sel = batch["selectable"]
    a, b = model.random_selection(batch, z), model.random_selection(batch, z)
    assert torch.equal(((a > 0) & sel).sum(1), ((z > 0) & sel).sum(1))
    assert not bool(((a > 0) & ~batch["word_mask"]).any())  # never padding
    assert not torch.equal(a, b)  # random
    comp = model.complement_selection(batch, (z > 0).float())
    assert torch.equal((comp > 0) & sel, (z <= 0) & sel)


def test_echr_penalties_are_the_hinges_of_the_rationale_against_complement_and_random():
    """Comprehensiveness pays exactly when the complement predicts the label better than the rationale,
    singularity exactly when a random selection of the same size does, by the cross-entropy difference."""
    model, batch = _echr_model(comprehensiveness_weight=1.0, singularity_weight=1.0)
    y = batch["labels"]
    z = model.select(batch).z
    ce = F.cross_entropy(model.predict_logits(batch, z), y, reduction="none")
    torch.manual_seed(3)
    got = model.echr_terms(batch, z, ce)
    ce_c = F.cross_entropy(model.predict_logits(batch, model.complement_selection(batch, z)), y, reduction="none")
    torch.manual_seed(3)
    ce_r = F.cross_entropy(model.predict_logits(batch, model.random_selection(batch, z.detach())), y, reduction="none")
    assert torch.allclose(got["comprehensiveness"], (ce - ce_c).clamp(min=0))
    assert torch.allclose(got["singularity"], (ce - ce_r).clamp(min=0))
    assert bool((got["comprehensiveness"][ce <= ce_c] == 0).all())
    # the gradient of a positive comprehensiveness penalty reaches the generator through z
    if bool((got["comprehensiveness"] > 0).any()):
        got["comprehensiveness"].sum().backward()
        assert model.generator_head.weight.grad is not None and model.generator_head.weight.grad.abs().sum() > 0


def test_echr_off_is_todays_training_and_on_changes_it():
    ds = _small()
    base = _state("gumbel", ds)
    assert _same(base, _state("gumbel", ds, comprehensiveness_weight=0.0, singularity_weight=0.0))
    assert not _same(base, _state("gumbel", ds, comprehensiveness_weight=1.0))
    assert not _same(base, _state("gumbel", ds, singularity_weight=1.0))
    with pytest.raises(ValueError, match="ECHR"):
        make_rationalizer("a2r", **TINY, singularity_weight=1.0)

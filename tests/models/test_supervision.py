"""Rationale supervision of classifiers: λ = 0 is today's training exactly, the losses pull attributions
towards the human mask, the gold mask lands on the right window positions, and misuse is one clear error."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rationalize.data import make_synthetic
from rationalize.errors import OptionError
from rationalize.models.base import ClassifierInput
from rationalize.models.supervision import (
    NoRationalesError,
    RationaleSupervision,
    attach_rationales,
    attention_alignment_loss,
    collate_supervised,
    example_token_mask,
    gradient_alignment_loss,
    rationale_alignment,
    supervised_examples,
    window_rationale,
)
from rationalize.models.training import build_classifier, train_classifier
from tests.cli_run import run_main


def _small(**kw):
    return make_synthetic(seed=0, train=32, val=8, test=4, **kw)


def _train(ds, supervision, encoder="cnn", epochs=2):
    model, _ = train_classifier(ds, encoder, None, epochs=epochs, lr=5e-3, batch_size=8, seed=3, patience=5,
                                progress=False, vectors=None, hidden=16, supervision=supervision)
    return model.state_dict()


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_lambda_zero_reproduces_unsupervised_training_exactly():
    ds = _small()
    base = _train(ds, None)
    assert _same(base, _train(ds, RationaleSupervision(0.0, 1.0, "attention")))
    assert _same(base, _train(ds, RationaleSupervision(2.0, 0.0, "gradient")))  # nobody supervised
    # the test has teeth: a real rationale loss changes the weights
    assert not _same(base, _train(ds, RationaleSupervision(1.0, 1.0, "attention")))


def test_lambda_zero_reproduces_bigru_training():
    ds = _small()
    assert _same(_train(ds, None, "bigru", epochs=1), _train(ds, RationaleSupervision(0.0, 1.0, "gradient"), "bigru", epochs=1))


def test_attention_loss_gradient_raises_attention_on_the_rationale():
    scores = torch.tensor([[0.3, -0.2, 0.5, 0.1, 0.0, 9.0]], requires_grad=True)  # last: padding-like
    rationale = torch.tensor([[0.0, 1.0, 1.0, 0.0, 0.0, 0.0]])
    valid = torch.tensor([[True, True, True, True, True, False]])
    loss = attention_alignment_loss(torch.softmax(scores, -1), rationale, valid, torch.tensor([True]))
    loss.backward()
    g = scores.grad[0]
    assert (g[1:3] < 0).all() and (g[[0, 3, 4]] > 0).all()  # descent raises rationale scores, lowers the rest
    assert abs(float(g[5])) < 1e-6  # invalid positions are not targets
    perfect = torch.tensor([[0.0, 0.5, 0.5, 0.0]])
    assert float(attention_alignment_loss(perfect, rationale[:, :4], valid[:, :4], torch.tensor([True]))) < 1e-6


def _hand_model_and_batch(target):
    """A tiny CNN classifier and one hand-made document whose rationale is 'excellent superb'."""
    ds = _small()
    model = build_classifier("cnn", ds, vectors=None, hidden=8, seed=0, word_dropout=0.0, dropout=0.0)
    tokens = ["the", "house", "excellent", "superb", "near", "the", "river"]
    mask = np.array([0, 0, 1, 1, 0, 0, 0], dtype=bool)
    (win,) = model.windows([ClassifierInput(tokens, None)])
    items = [(win, 1, window_rationale(win, mask))]
    return model, collate_supervised(model, items, RationaleSupervision(1.0, 1.0, target)), mask


def test_attention_supervision_steps_move_the_pooling_weights_to_the_mask():
    model, batch, mask = _hand_model_and_batch("attention")
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    with torch.no_grad():
        before = float(model.token_attention(batch[0])[0, mask].sum())
    for _ in range(20):
        _, align = rationale_alignment(model, batch[0], batch[2])  # the rationale term alone
        opt.zero_grad()
        align.backward()
        opt.step()
    with torch.no_grad():
        after = float(model.token_attention(batch[0])[0, mask].sum())
    assert after > before + 0.2, (before, after)


def test_gradient_supervision_steps_shrink_input_gradients_outside_the_mask():
    model, batch, mask = _hand_model_and_batch("gradient")
    feats = batch[0]

    def outside_share() -> float:
        emb = model.input_embeddings()(feats["input_ids"]).detach().requires_grad_(True)
        logp = torch.log_softmax(model.window_logits(feats, inputs_embeds=emb), -1)
        (g,) = torch.autograd.grad(logp.sum(), emb)
        mass = g.pow(2).sum(-1)[0]
        return float(mass[torch.from_numpy(~mask)].sum() / mass.sum())

    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    before, first = outside_share(), float(rationale_alignment(model, feats, batch[2])[1].detach())
    for _ in range(20):
        _, align = rationale_alignment(model, feats, batch[2])
        opt.zero_grad()
        align.backward()
        opt.step()
    assert float(rationale_alignment(model, feats, batch[2])[1].detach()) < 0.5 * first
    assert outside_share() < before - 0.1, (before, outside_share())


def test_gradient_loss_matches_the_right_reasons_formula():
    torch.manual_seed(0)
    w = torch.randn(3, 2)
    x = torch.randn(1, 4, 3, requires_grad=True)
    logits = (x.sum(1) @ w)  # d logp / dx is the same at every position
    rationale = torch.tensor([[1.0, 0.0, 0.0, 0.0]])
    valid = torch.tensor([[True, True, True, False]])
    loss = gradient_alignment_loss(logits, x, rationale, valid, torch.tensor([True]))
    p = torch.softmax(logits, -1)[0]
    g = (w * (1 - 2 * p)).sum(1)  # d/dx of log p0 + log p1 = sum_k w[:, k] (1 - 2 p_k)
    assert torch.allclose(loss, 2 * g.pow(2).sum(), atol=1e-5)  # positions 1 and 2: outside and valid


def test_gold_mask_maps_onto_window_positions_with_query_excluded():
    ds = make_synthetic(seed=1, train=6, val=2, test=2, query="what is the sentiment")
    model = build_classifier("cnn", ds, vectors=None, hidden=8, seed=0)
    items = model.training_windows(ds, "train")
    out = attach_rationales(ds, "train", items, RationaleSupervision(1.0, 1.0))
    for (w, _, m), ex in zip(out, ds["train"]):
        gold = example_token_mask(ds, ex)
        assert m is not None and len(m) == len(w.ids)
        assert (m[w.token_index < 0] == 0).all()  # query positions are never targets
        assert np.array_equal(m[w.token_index >= 0].astype(bool), gold)


def test_hf_windows_get_the_pieces_of_rationale_tokens():
    from tests.models._tiny import tiny_bert

    bert = tiny_bert(window_size=12, overlap=3)
    tokens = ["a", "wonderful", "and", "superb", "film", "about", "nothing", "at", "all", "in", "the", "end"]
    mask = np.zeros(len(tokens), dtype=bool)
    mask[[1, 3]] = True
    wins = bert.windows([ClassifierInput(tokens, None)])
    assert len(wins) > 1  # a long document: several overlapping windows
    for w in wins:
        m = window_rationale(w, mask)
        assert np.array_equal(m.astype(bool), np.isin(w.token_index, [1, 3]))
    feats = bert.collate(wins)
    _logits, att = bert.logits_and_attention(feats)
    assert att.shape == feats["input_ids"].shape and torch.allclose(att.sum(1), torch.ones(len(att)), atol=1e-4)
    assert torch.allclose(att, bert.token_attention(feats, "last"), atol=1e-5)


def test_supervised_fraction_is_seeded_and_counts_examples_with_rationales():
    ds = _small()
    exs = ds["train"]
    exs[0].evidence_groups = []
    a = supervised_examples(exs, 0.25, seed=4)
    assert a == supervised_examples(exs, 0.25, seed=4) and a != supervised_examples(exs, 0.25, seed=5)
    assert len(a) == round(0.25 * 31) and 0 not in a
    assert supervised_examples(exs, 0.0, 0) == set() and len(supervised_examples(exs, 1.0, 0)) == 31


def test_no_rationales_is_an_error_not_a_silent_zero():
    ds = _small()
    for ex in ds["train"]:
        ex.evidence_groups = []
    with pytest.raises(NoRationalesError, match="split 'train' of dataset 'synthetic' has none"):
        train_classifier(ds, "cnn", None, epochs=1, vectors=None, hidden=8, progress=False,
                         supervision=RationaleSupervision(1.0))
    train_classifier(ds, "cnn", None, epochs=1, vectors=None, hidden=8, progress=False,
                     supervision=RationaleSupervision(0.0))  # λ = 0 needs no rationales


@pytest.mark.parametrize("kw, match", [({"weight": -1}, "--rationale-supervision"),
                                       ({"fraction": 1.5}, "--supervised-fraction"),
                                       ({"target": "lime"}, "--supervision-target")])
def test_bad_options(kw, match):
    with pytest.raises(OptionError, match=match):
        RationaleSupervision(**kw)


def test_cli_errors_are_one_line(capsys, monkeypatch, tmp_path):
    from rationalize.data import write_eraser

    monkeypatch.chdir(tmp_path)
    ds = make_synthetic(seed=0, train=10, val=4, test=4)
    for ex in ds["train"]:
        ex.evidence_groups = []
    write_eraser(ds, tmp_path / "bare")
    base = ["train", "classifier", "--data", "bare", "--encoder", "cnn", "--vectors", "none", "--out", "m",
            "--epochs", "1", "--no-progress"]
    run = run_main([*base, "--rationale-supervision", "1"], capsys, monkeypatch)
    assert run.error_line.startswith("error: rationale supervision needs human rationales, but split 'train'")
    run = run_main([*base, "--rationale-supervision", "1", "--supervision-target", "lime"], capsys, monkeypatch)
    assert run.error_line == "error: --supervision-target must be one of attention, gradient, got 'lime'"
    assert not (tmp_path / "m").exists()


def test_cli_trains_with_supervision(capsys, monkeypatch, tmp_path):
    from rationalize.data import write_eraser
    from rationalize.models import load_model

    monkeypatch.chdir(tmp_path)
    write_eraser(make_synthetic(seed=0, train=24, val=6, test=4), tmp_path / "d")
    run = run_main(["train", "classifier", "--data", "d", "--encoder", "cnn", "--vectors", "none", "--out", "m",
                    "--epochs", "1", "--hidden", "8", "--no-progress", "--rationale-supervision", "0.5",
                    "--supervised-fraction", "0.5", "--supervision-target", "gradient"], capsys, monkeypatch)
    assert run.code == 0, run.err
    assert "saved m" in run.out
    assert "train_rationale_loss" in (tmp_path / "m" / "history.jsonl").read_text()
    assert load_model(tmp_path / "m").labels == ["NEG", "POS"]


@pytest.mark.parametrize("target", ["attention", "gradient"])
def test_hf_classifier_supervised_step_reaches_its_weights(target):
    from tests.models._tiny import tiny_bert

    bert = tiny_bert(window_size=12, overlap=3)
    bert.train()
    tokens = ["a", "wonderful", "and", "superb", "film", "about", "nothing", "at", "all", "in", "the", "end"]
    mask = np.isin(np.arange(len(tokens)), [1, 3])
    wins = bert.windows([ClassifierInput(tokens, None)])
    items = [(w, 1, window_rationale(w, mask)) for w in wins]
    batch = collate_supervised(bert, items, RationaleSupervision(1.0, 1.0, target))
    step = bert.training_step(batch)
    assert float(step["rationale_loss"]) > 0
    bert.zero_grad()
    _, align = rationale_alignment(bert, batch[0], batch[2])
    align.backward()
    grads = [p.grad for p in bert.parameters() if p.grad is not None]
    assert grads and any(float(g.abs().sum()) > 0 for g in grads)

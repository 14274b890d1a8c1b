"""Sentence-level selection (issue 15, FEVER setting): whole sentences, k per document, one decision per
sentence, rates counted in sentences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rationalize.rationalizers.discretize import k_tokens
from rationalize.rationalizers.select_predict.sentences import (
    SentenceA2R,
    SentenceGumbel,
    sentence_mean,
    split_sentences,
)
from tests.rationalizers.select_predict.conftest import FAST, quick_config


def _sentence_masks(ds, ex, res):
    doc = ds.doc(ex.docids[0])
    hard = np.zeros(len(doc), dtype=bool)
    for s, e in res.rationale_for(doc.docid).hard:
        hard[s:e] = True
    whole = [hard[a:b].all() for a, b in doc.sentences if b > a]
    part = [hard[a:b].any() and not hard[a:b].all() for a, b in doc.sentences if b > a]
    return doc, whole, part


def test_split_and_mean_helpers():
    assert split_sentences(["a", "b", ".", "c", "!", "d"]) == [0, 0, 0, 1, 1, 2]
    values = torch.tensor([[1.0, 3.0, 5.0, 0.0]])
    sent = torch.tensor([[0, 0, 1, -1]])
    assert sentence_mean(values, sent, 2).tolist() == [[2.0, 5.0]]


@pytest.mark.parametrize("cls", [SentenceA2R, SentenceGumbel])
def test_top_k_keeps_exactly_k_whole_sentences_and_decisions_are_per_sentence(synth, cls):
    model = cls(**FAST, sparsity=0.3, continuity=1.0)
    model.fit(synth, config=quick_config(epochs=1))
    for ex, res in zip(synth["test"], model.predict_results(synth, "test", rule="top-k")):
        doc, whole, part = _sentence_masks(synth, ex, res)
        assert not any(part)
        assert sum(whole) == k_tokens(0.3, len(whole), fraction=True)
        soft = np.array(res.rationale_for(doc.docid).soft)
        for a, b in doc.sentences:  # one soft score per sentence
            assert np.allclose(soft[a:b], soft[a])
    # training samples: one draw per sentence (Gumbel), rate = fraction of sentences
    batch = model.collate(model.items(synth, "train")[:4])
    model.train()
    sel = model.select(batch)
    sent = batch["sent"]
    for i in range(sent.shape[0]):
        for s in sent[i][sent[i] >= 0].unique():
            assert sel.z[i][sent[i] == s].unique().numel() == 1
    rate = model.sentence_rate(batch, (sel.z > 0).float())
    for i, it in enumerate(batch["items"]):
        chosen = {s for s, z in zip(it.sentence_of, sel.z[i, len(it.query):len(it.query) + len(it.words)].tolist()) if z > 0}
        assert rate[i].item() == pytest.approx(len(chosen) / (max(it.sentence_of) + 1))


def test_sentence_a2r_finds_the_evidence_sentences(synth):
    """On the planted benchmark the evidence sits in a few sentences; sentence-level A2R ranks them above
    the others far better than chance (sentence AUPRC of the soft sentence scores)."""
    from rationalize.metrics import evaluate

    model = SentenceA2R(**FAST, sparsity=0.3)
    model.fit(synth, config=quick_config(epochs=8))
    scores = evaluate(synth, "test", model.predict_results(synth, "test", rule="top-k"))
    gold = []
    for ex in synth["test"]:
        doc = synth.doc(ex.docids[0])
        marked = {i for ev in ex.evidences for i in range(ev.start_sentence, ev.end_sentence)}
        gold.append(len(marked) / len(doc.sentences))
    assert scores["sentence_soft_metrics"]["auprc"] > float(np.mean(gold)) + 0.3, scores["sentence_soft_metrics"]


def test_singularity_random_selection_is_whole_sentences_as_many_as_selected(synth):
    # ECHR singularity at sentence level: the random rival rationale has the rationale's number of sentences
    model = SentenceGumbel(**FAST, sparsity=0.3, continuity=1.0, comprehensiveness_weight=1.0, singularity_weight=1.0)
    model.fit(synth, config=quick_config(epochs=1, max_steps_per_epoch=2))
    batch = model.collate(model.items(synth, "train")[:6])
    torch.manual_seed(0)
    z = model.top_k_selection(batch, torch.rand(batch["word_mask"].shape))  # 30% of each document's sentences
    draws = [model.random_selection(batch, z) for _ in range(5)]
    sent, sel = batch["sent"], batch["selectable"]
    assert not torch.equal(draws[0], draws[1])  # random, not the rationale again
    for r in draws:
        assert torch.equal(r[~sel], (batch["word_mask"] & ~sel).float()[~sel])  # query 1, padding 0
        for i in range(sent.shape[0]):
            ids = sent[i][sent[i] >= 0].unique()
            picked = [s for s in ids if r[i][sent[i] == s].unique().tolist() == [1.0]]
            assert all(r[i][sent[i] == s].unique().numel() == 1 for s in ids)  # whole sentences only
            wanted = sum(bool(z[i][sent[i] == s].max() > 0) for s in ids)
            assert len(picked) == wanted

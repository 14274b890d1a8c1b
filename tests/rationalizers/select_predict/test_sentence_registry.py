"""The sentence-level methods are first-class: in the registry and the contract, trained by ``train rationalizer
--method sentence-a2r`` into rationales that are unions of whole sentences, reloaded as their own class with
the same predictions, and refused with one clear line on data without sentence bounds."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from rationalize.data import load_dataset, make_synthetic, write_eraser
from rationalize.data.results import read_results
from rationalize.data.schema import Document
from rationalize.models.base import ClassifierInput, load_model
from rationalize.rationalizers.base import rationalizer_class
from rationalize.rationalizers.select_predict import A2R, METHODS, make_rationalizer
from rationalize.rationalizers.select_predict.sentences import (
    NoSentencesError,
    SentenceA2R,
    SentenceGumbel,
    SentenceUnits,
    sentence_rationale_fraction,
)
from rationalize.rationalizers.select_predict.training import train_rationalizer
from tests.cli_run import run_main
from tests.rationalizers.select_predict.conftest import FAST

DATA = "synthetic:seed=1,train=60,val=20,test=20"
TINY_RUN = ["--encoder", "cnn", "--embeddings", "none", "--hidden", "16", "--epochs", "1", "--max-steps-per-epoch", "3",
            "--batch-size", "8", "--no-progress", "--threads", "1"]


def _partial_sentences(ds, results) -> tuple[int, int]:
    """(sentences partly selected, sentences wholly selected) over every document of ``results``."""
    partial = whole = 0
    for r in results:
        for rat in r.rationales:
            doc = ds.doc(rat.docid)
            hard = np.zeros(len(doc), dtype=bool)
            for s, e in rat.hard:
                hard[s:e] = True
            for a, b in doc.sentences:
                if b > a and hard[a:b].any():
                    partial += not hard[a:b].all()
                    whole += bool(hard[a:b].all())
    return partial, whole


def test_registry_and_contract_return_the_sentence_classes():
    assert METHODS.get("sentence-a2r") is SentenceA2R and METHODS.get("sentence-gumbel") is SentenceGumbel
    assert type(make_rationalizer("sentence-a2r", **FAST)) is SentenceA2R
    assert {m for m in METHODS if METHODS[m].unit == "sentence"} == {"sentence-a2r", "sentence-gumbel"}
    assert all(METHODS[m].method == m for m in METHODS)  # the saved ``method`` names the registry entry
    assert rationalizer_class("select-predict/sentence-gumbel").wraps == "SentenceGumbel"


def test_the_mixin_must_come_first():
    with pytest.raises(TypeError, match="put SentenceUnits first"):
        type("Wrong", (A2R, SentenceUnits), {})


def test_cli_trains_whole_sentence_rationales_and_predict_reloads_them(tmp_path, capsys, monkeypatch):
    """Every selected token's sentence is selected whole (a token-level model trained the same way is not),
    with ``k_tokens(ρ, sentences)`` sentences per document; ``predict --model`` writes what the reloaded
    class predicts."""
    from rationalize.rationalizers.discretize import k_tokens

    ds = load_dataset(DATA)
    out = tmp_path / "sa2r"
    run = run_main(["train", "rationalizer", "--data", DATA, "--method", "sentence-a2r", *TINY_RUN, "--out", str(out)],
                   capsys, monkeypatch)
    assert run.code == 0, run.err
    assert "val sentence rate" in run.out
    cfg = json.loads((out / "rationalize.json").read_text())
    assert cfg["method"] == "sentence-a2r" and cfg["class"].endswith("sentences.SentenceA2R")
    # no --sparsity: the target is the human rationales' fraction of sentences, not of words
    assert cfg["sparsity_"] == pytest.approx(sentence_rationale_fraction(ds, "train"))
    assert abs(cfg["sparsity_"] - ds.mean_rationale_fraction("train")) > 0.05
    model = load_model(out)
    assert type(model) is SentenceA2R
    results = model.predict_results(ds, "test")
    partial, whole = _partial_sentences(ds, results)
    assert partial == 0 and whole > 0
    for r in results:
        doc = ds.doc(r.rationales[0].docid)
        n = sum(1 for a, b in doc.sentences if b > a)
        assert _partial_sentences(ds, [r])[1] == k_tokens(cfg["sparsity_"], n, fraction=True)
    run = run_main(["predict", "--model", str(out), "--data", DATA, "--split", "test", "--out", str(tmp_path / "r.jsonl")],
                   capsys, monkeypatch)
    assert run.code == 0, run.err
    assert [r.rationales[0].hard for r in read_results(tmp_path / "r.jsonl")] == [r.rationales[0].hard for r in results]
    # the property has teeth: the token-level method, trained the same way, cuts through sentences
    token = tmp_path / "a2r"
    run = run_main(["train", "rationalizer", "--data", DATA, "--method", "a2r", *TINY_RUN, "--out", str(token)],
                   capsys, monkeypatch)
    assert run.code == 0, run.err
    assert _partial_sentences(ds, load_model(token).predict_results(ds, "test"))[0] > 0


@pytest.mark.parametrize("method", ["sentence-gumbel", "sentence-a2r"])
def test_save_load_round_trip_keeps_the_class_and_the_predictions(method, tmp_path):
    ds = make_synthetic(seed=0, train=48, val=8, test=12)
    model = train_rationalizer(ds, method, tmp_path / "m", epochs=1, batch_size=16, lr=5e-3, patience=1, progress=False,
                               max_steps_per_epoch=3, **{k: v for k, v in FAST.items() if k != "seed"})
    again = load_model(tmp_path / "m")
    assert type(again) is type(model) and again.method == method and again.sparsity_ == pytest.approx(model.sparsity_)
    for ra, rb in zip(again.predict_results(ds, "test"), model.predict_results(ds, "test"), strict=True):
        assert ra.classification == rb.classification and ra.rationales[0].hard == rb.rationales[0].hard
        np.testing.assert_allclose(ra.rationales[0].soft, rb.rationales[0].soft, atol=1e-6)
        np.testing.assert_allclose(list(ra.classification_scores.values()), list(rb.classification_scores.values()),
                                   atol=1e-6)
    inputs = [ClassifierInput(ds.doc(ex.docids[0]).tokens) for ex in ds["test"]]  # raw tokens: split after . ! ?
    np.testing.assert_allclose(again.predict_proba(inputs), model.predict_proba(inputs), atol=1e-6)


def _one_sentence_documents(folder):
    """The synthetic data written as ERASER with every document one sentence (no sentence bounds)."""
    ds = make_synthetic(seed=0, train=20, val=10, test=10)
    for k, d in ds.documents.items():
        ds.documents[k] = Document(d.docid, d.tokens, [(0, len(d.tokens))])
    for exs in ds.splits.values():
        for ex in exs:
            ex.evidence_groups = [[dataclasses.replace(ev, start_sentence=-1, end_sentence=-1) for ev in g]
                                  for g in ex.evidence_groups]
    return write_eraser(ds, folder)


def test_data_without_sentences_is_one_line_before_any_network(tmp_path, capsys, monkeypatch):
    data = _one_sentence_documents(tmp_path / "flat")
    out = tmp_path / "m"
    run = run_main(["train", "rationalizer", "--data", str(data), "--method", "sentence-a2r", *TINY_RUN, "--out", str(out)],
                   capsys, monkeypatch)
    assert run.error_line == ("error: sentence-a2r selects whole sentences, but no document of split 'train' of dataset "
                              "'flat' has more than one sentence (ERASER documents: one sentence per line); use a "
                              "token-level method")
    assert not out.exists()
    # the same data trains a token-level method
    run = run_main(["train", "rationalizer", "--data", str(data), "--method", "gumbel", *TINY_RUN, "--out", str(out)],
                   capsys, monkeypatch)
    assert run.code == 0, run.err


def test_continuity_with_a_sentence_method_is_refused(tmp_path, capsys, monkeypatch):
    run = run_main(["train", "rationalizer", "--data", DATA, "--method", "sentence-gumbel", "--continuity", "0.1",
                    *TINY_RUN, "--out", str(tmp_path / "m")], capsys, monkeypatch)
    assert "--continuity" in run.error_line and "no continuity term" in run.error_line
    assert not (tmp_path / "m").exists()


def test_sentence_bounds_that_leave_tokens_out_are_an_error():
    ds = make_synthetic(seed=0, train=20, val=6, test=4)
    doc = ds.doc(ds["train"][3].docids[0])
    (a, b), rest = doc.sentences[0], doc.sentences[1:]
    ds.documents[doc.docid] = Document(doc.docid, doc.tokens, [(a, b - 1), *rest])  # token b-1 is in no sentence
    model = make_rationalizer("sentence-gumbel", **FAST, sparsity=0.3)
    with pytest.raises(NoSentencesError, match=rf"document '{doc.docid}' of dataset 'synthetic': token {b - 1} is in no sentence"):
        model.fit(ds)


def test_sentence_rationale_fraction_by_hand():
    ds = make_synthetic(seed=0, train=10, val=2, test=2)
    fracs = []
    for ex in ds["train"]:
        doc = ds.doc(ex.docids[0])
        gold = {i for ev in ex.evidences for i in range(ev.start_sentence, ev.end_sentence)}  # planted: whole sentences
        fracs.append(len(gold) / sum(1 for a, b in doc.sentences if b > a))
    assert sentence_rationale_fraction(ds, "train") == pytest.approx(np.mean(fracs))

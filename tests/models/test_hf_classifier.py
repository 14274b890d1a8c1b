"""HFClassifier: exact piece-to-token map, overlapping windows without truncation, pooled predictions,
queries, MASK, save/load."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rationalize.models.base import MASK, ClassifierInput, load_model
from tests.models._tiny import tiny_bert

TEXT = ("an unbelievably gripping , well-acted thriller ; its screenplay is n't flawless but "
        "the denouement feels earned and the cinematography dazzles throughout . ") * 6


@pytest.fixture(scope="module")
def bert():
    return tiny_bert(window_size=20, overlap=5)


def test_piece_to_token_map_is_exact(bert):
    tokens = TEXT.split()
    ids, tok = bert.pieces(tokens)
    pieces = bert.tokenizer.convert_ids_to_tokens(ids.tolist())
    assert (np.diff(tok) >= 0).all() and set(tok.tolist()) == set(range(len(tokens)))
    for t, word in enumerate(tokens):
        rebuilt = "".join(p.removeprefix("##") for p, k in zip(pieces, tok) if k == t)
        assert rebuilt == word.lower()
    assert (np.bincount(tok) > 1).any()  # some tokens really are split into several pieces


def test_windows_cover_every_piece_with_overlap_and_no_truncation(bert):
    tokens = TEXT.split()
    n_pieces = len(bert.pieces(tokens)[0])
    wins = bert.windows([ClassifierInput(tokens)])
    assert len(wins) > 3 and all(w.n_windows == len(wins) for w in wins)
    assert all(len(w.ids) <= bert.window_size for w in wins)
    covered = np.concatenate([w.piece_index[w.piece_index >= 0] for w in wins])
    assert set(covered.tolist()) == set(range(n_pieces))  # the last piece is included: nothing truncated
    for a, b in zip(wins, wins[1:]):
        shared = set(a.piece_index[a.piece_index >= 0]) & set(b.piece_index[b.piece_index >= 0])
        assert len(shared) == bert.overlap


def test_long_document_prediction_is_the_mean_of_window_logits(bert):
    tokens = TEXT.split()
    ids, _ = bert.pieces(tokens)
    budget = bert.window_size - 2
    step = budget - bert.overlap
    cls, sep = bert.tokenizer.cls_token_id, bert.tokenizer.sep_token_id
    logits, s = [], 0
    while True:  # rebuild the windows by hand: [CLS] pieces[s:s+budget] [SEP]
        chunk = [cls, *ids[s : s + budget].tolist(), sep]
        with torch.no_grad():
            logits.append(bert.hf(input_ids=torch.tensor([chunk])).logits[0].double())
        if s + budget >= len(ids):
            break
        s += step
    expected = torch.softmax(torch.stack(logits).mean(0), -1).numpy()
    got = bert.predict_proba([ClassifierInput(tokens), ClassifierInput(tokens[:5])])
    np.testing.assert_allclose(got[0], expected, atol=1e-5)
    assert got.shape == (2, 2) and np.allclose(got.sum(1), 1)


def test_query_pairs_and_mask(bert):
    wins = bert.windows([ClassifierInput(["a", "gripping", "film"], query=["is", "it", "good", "?"])])
    (w,) = wins
    q_ids = bert.pieces(["is", "it", "good", "?"])[0]
    assert w.ids[0] == bert.tokenizer.cls_token_id and w.ids[1 : 1 + len(q_ids)].tolist() == q_ids.tolist()
    assert (w.token_index[: 2 + len(q_ids)] == -1).all()  # query and specials map to no dataset token
    assert w.segments[-1] == 1 and w.segments[0] == 0
    ids, tok = bert.pieces(["unbelievably", MASK, "good"])
    assert ids.tolist().count(bert.mask_id) == 1 and tok.tolist().count(1) == 1


def test_save_and_load_roundtrip(bert, tmp_path):
    inp = [ClassifierInput(TEXT.split()[:40])]
    bert.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    assert again.labels == bert.labels and again.window_size == bert.window_size and again.overlap == bert.overlap
    np.testing.assert_allclose(again.predict_proba(inp), bert.predict_proba(inp), atol=1e-6)


def test_errors(bert):
    from rationalize.models.hf_classifier import HFClassifier

    with pytest.raises(ValueError, match="exceeds the model limit"):
        HFClassifier("minilm", ["A", "B"], window_size=4096, hf_model=bert.hf, tokenizer=bert.tokenizer)
    with pytest.raises(ValueError, match="query takes"):
        bert.windows([ClassifierInput(["x"], query=["word"] * 30)])

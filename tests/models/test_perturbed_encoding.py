"""Perturbed inputs take their pieces from their source's (ClassifierInput.perturbed): the windows, and so
the predictions, equal those of tokenising the perturbed tokens from scratch, and the tokenizer runs once
per source."""

from __future__ import annotations

import numpy as np
import pytest

from rationalize.models.base import MASK, ClassifierInput
from tests.models._tiny import planted_data, tiny_bert, trained_encoder

#: awkward words: punctuation, accents, CJK, a token holding a space, an empty token, a dataset MASK, a
#: long word split into many pieces, unknown symbols
WORDS = ["the", "film", ",", "isn't", "Café", "naïve", "東京", "New York", "", MASK, "antidisestablishmentarianism",
         "well-acted", "!!", "🙂", "x", "dazzles", "U.S.", "'s", "über", "--"]


def mixed_inputs(seed: int = 0, n: int = 6) -> list[ClassifierInput]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        length = [0, 1, 7, 40, 90, 130][i % 6]  # empty, tiny, one window, several windows (window_size 32)
        toks = [WORDS[j] for j in rng.integers(0, len(WORDS), length)]
        query = None if i % 3 == 0 else ["what", "is", "the", "sentiment", "?"][: 1 + i % 5]
        out.append(ClassifierInput(toks, query))
    return out


def removals(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Nothing, everything, one token, random subsets, a contiguous span."""
    out = [np.zeros(n, bool), np.ones(n, bool)]
    if n:
        one = np.zeros(n, bool)
        one[rng.integers(n)] = True
        span = np.zeros(n, bool)
        span[n // 3: n // 3 + max(1, n // 4)] = True
        out += [one, span, rng.random(n) < 0.2, rng.random(n) < 0.7]
    return out


def plain(inp: ClassifierInput) -> ClassifierInput:
    """The same tokens and query without the origin: the classifier tokenises them itself."""
    return ClassifierInput(list(inp.tokens), None if inp.query is None else list(inp.query))


def same_windows(model, a: ClassifierInput, b: ClassifierInput) -> None:
    wa, wb = model.windows([a]), model.windows([b])
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        assert x.n_windows == y.n_windows
        for field in ("ids", "token_index", "segments", "piece_index"):
            u, v = getattr(x, field), getattr(y, field)
            assert (u is None) == (v is None)
            if u is not None:
                assert u.dtype == v.dtype and np.array_equal(u, v), field


@pytest.fixture(scope="module")
def bert():
    return tiny_bert(window_size=32, overlap=8)


@pytest.mark.parametrize("mode", ["delete", "mask"])
@pytest.mark.parametrize("query", ["include", "drop"])
def test_hf_perturbed_windows_equal_the_plain_tokenizer_path(bert, mode, query):
    bert.query_mode = query
    try:
        rng = np.random.default_rng(1)
        for src in mixed_inputs():
            for removed in removals(len(src.tokens), rng):
                child = src.perturbed(removed, mode)
                assert child.origin is not None and child.origin.source is src
                same_windows(bert, child, plain(child))
                # a perturbation of a perturbation (chained origins)
                grand = child.perturbed(rng.random(len(child.tokens)) < 0.5, "mask" if mode == "delete" else "delete")
                same_windows(bert, grand, plain(grand))
    finally:
        bert.query_mode = "include"


def test_predictions_are_bit_identical_and_the_tokenizer_runs_once_per_source(bert, monkeypatch):
    rng = np.random.default_rng(2)
    sources = mixed_inputs(seed=3)
    kids = [s.perturbed(r, mode) for s in sources for mode in ("delete", "mask") for r in removals(len(s.tokens), rng)]
    want = bert.predict_proba([plain(k) for k in kids])
    calls = []
    real = bert.pieces
    monkeypatch.setattr(bert, "pieces", lambda tokens: calls.append(len(tokens)) or real(tokens))
    got = bert.predict_proba(kids)
    assert np.array_equal(got, want)
    # each source: its document once and its query once; no perturbed input is tokenised, except a masked
    # empty token (it has no piece to turn into the mask piece, so that input takes the plain path)
    expected = sum(1 + bool(s.query) for s in sources)
    fallbacks = sum((1 + bool(k.query)) for k in kids if k.origin.mode == "mask"
                    and any(r and t == "" for t, r in zip(k.origin.source.tokens, k.origin.removed)))
    assert len(calls) == expected + fallbacks
    calls.clear()
    again = bert.predict_proba(kids)  # encodings are cached on the inputs
    assert np.array_equal(again, want) and not calls


def test_masking_a_token_without_pieces_falls_back_to_the_plain_path(bert):
    src = ClassifierInput(["good", "", "film"])
    assert len(bert.pieces([""])[0]) == 0  # the empty token has no piece
    child = src.perturbed(np.array([False, True, False]), "mask")
    same_windows(bert, child, plain(child))
    assert int((bert.windows([child])[0].ids == bert.mask_id).sum()) == 1


def test_a_pickled_input_drops_the_cache_and_still_encodes_the_same(bert):
    import pickle

    src = mixed_inputs()[3]
    child = src.perturbed(np.arange(len(src.tokens)) % 3 == 0, "delete")
    before = bert.windows([child])[0].ids
    assert child._encodings
    back = pickle.loads(pickle.dumps(child))
    assert not back._encodings and not back.origin.source._encodings
    assert np.array_equal(bert.windows([back])[0].ids, before)


def test_wrong_perturbations_are_refused():
    src = ClassifierInput(["a", "b"])
    with pytest.raises(ValueError, match="shape"):
        src.perturbed(np.array([True]), "delete")
    with pytest.raises(ValueError, match="mode"):
        src.perturbed(np.array([True, False]), "blank")


@pytest.mark.parametrize("mode", ["delete", "mask"])
def test_encoder_classifier_perturbed_ids_equal_the_vocabulary_lookup(mode):
    ds = planted_data(train=40, test=6)
    model = trained_encoder(ds, "cnn")
    vocab_words = model.vocab.itos[3:8]
    rng = np.random.default_rng(4)
    sources = [ClassifierInput(list(vocab_words) + ["never-seen", MASK] * 3, q) for q in (None, ["query", "words"])]
    sources += [ClassifierInput([])]
    for src in sources:
        for removed in removals(len(src.tokens), rng):
            child = src.perturbed(removed, mode)
            same_windows(model, child, plain(child))
            assert np.array_equal(model.predict_proba([child]), model.predict_proba([plain(child)]))


@pytest.mark.parametrize("kind", ["bpe", "unigram"])
def test_pre_split_words_are_tokenised_independently(kind):
    """What makes the selection exact for other tokenizer families: a fast tokenizer fed pre-split words
    encodes each word on its own (byte-level BPE with prefix spaces, SentencePiece-style Unigram with
    Metaspace), so the pieces of any subset of words are the selected pieces of all of them."""
    tokenizers = pytest.importorskip("tokenizers")
    from transformers import PreTrainedTokenizerFast

    corpus = ["the film is well-acted and the cinematography dazzles", "isn't it a naïve café in New York ?",
              "antidisestablishmentarianism is a long word", "über 東京 U.S. 's --"] * 20
    if kind == "bpe":
        tok = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="<unk>"))
        tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=True)
        tok.decoder = tokenizers.decoders.ByteLevel()
        trainer = tokenizers.trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>", "<pad>", "<mask>"],
                                                 initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet())
    else:
        tok = tokenizers.Tokenizer(tokenizers.models.Unigram())
        tok.normalizer = tokenizers.normalizers.NFKC()
        tok.pre_tokenizer = tokenizers.pre_tokenizers.Metaspace(prepend_scheme="first")
        trainer = tokenizers.trainers.UnigramTrainer(vocab_size=120, special_tokens=["<unk>", "<pad>", "<mask>"],
                                                     unk_token="<unk>")
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", mask_token="<mask>")
    words = [w for w in WORDS if w != MASK]
    rng = np.random.default_rng(5)

    def enc(ws):
        e = fast(ws, is_split_into_words=True, add_special_tokens=False)
        return np.asarray(e["input_ids"]), np.asarray([-1 if w is None else w for w in e.word_ids()])

    ids, word = enc(words)
    for _ in range(20):
        keep = rng.random(len(words)) < 0.5
        got_ids, got_word = enc([w for w, k in zip(words, keep) if k])
        assert np.array_equal(got_ids, ids[keep[word]])
        assert np.array_equal(got_word, (np.cumsum(keep) - 1)[word[keep[word]]])

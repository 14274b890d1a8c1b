"""Word vocabularies and pretrained word vectors for our small encoders (GloVe 50-d, spaCy 300-d).

Dataset tokens are lower-cased for lookup. Id 0 is padding, 1 unknown, 2 the mask token
(:data:`rationalize.models.base.MASK`); words come after, most frequent first.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from rationalize.models.base import MASK
from rationalize.models.hub import resolve

PAD, UNK, MASK_ID = 0, 1, 2
SPECIALS = ["<pad>", "<unk>", MASK]


class Vocab:
    """A word-to-id mapping with the three special ids above."""

    def __init__(self, words: Sequence[str]):
        self.itos = list(SPECIALS) + [w for w in words if w not in SPECIALS]
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], min_count: int = 1, max_size: int | None = None) -> Vocab:
        """A vocabulary of the lower-cased tokens seen at least ``min_count`` times, most frequent first,
        capped at ``max_size`` words."""
        counts = Counter(t.lower() for toks in token_lists for t in toks)
        words = [w for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count]
        return cls(words[:max_size] if max_size else words)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids of ``tokens`` (lower-cased; unknown words -> ``UNK``, the mask token -> ``MASK_ID``)."""
        return [MASK_ID if t == MASK else self.stoi.get(t.lower(), UNK) for t in tokens]

    def __len__(self) -> int:
        return len(self.itos)

    def save(self, path: str | Path) -> None:
        """Write the words (specials excluded) as a JSON list."""
        Path(path).write_text(json.dumps(self.itos[len(SPECIALS):]), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        """Read a vocabulary written by :meth:`save`."""
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))


def load_word_vectors(name: str) -> tuple[list[str], np.ndarray]:
    """Return ``(words, matrix)`` for ``glove50`` or ``spacy-md`` (resolved offline via the alias registry)."""
    loc = resolve(name)
    if name == "glove50":
        import pyarrow.parquet as pq

        vectors = np.load(loc["vectors"], mmap_mode="r")
        words = pq.read_table(loc["vocab"])["index"].to_pylist()
        return [str(w) for w in words], vectors
    if name == "spacy-md":
        import importlib

        nlp = importlib.import_module(loc["module"]).load()
        table = nlp.vocab.vectors
        words, rows = [], []
        for key, row in table.key2row.items():
            words.append(nlp.vocab.strings[key])
            rows.append(row)
        return words, np.asarray(table.data)[rows]
    raise ValueError(f"unknown word vectors {name!r}; use 'glove50' or 'spacy-md'")


def embedding_matrix(vocab: Vocab, vectors: str | None, dim: int = 50, seed: int = 0) -> tuple[np.ndarray, float]:
    """An embedding matrix for ``vocab``: pretrained rows where the word is known, small random rows
    elsewhere, zeros for padding. Returns the matrix and the fraction of vocabulary words covered."""
    rng = np.random.default_rng(seed)
    if vectors is None:
        mat = rng.normal(0, 0.1, size=(len(vocab), dim)).astype(np.float32)
        mat[PAD] = 0
        return mat, 0.0
    words, table = load_word_vectors(vectors)
    index = {w: i for i, w in enumerate(words)}
    dim = table.shape[1]
    mat = rng.normal(0, 0.1, size=(len(vocab), dim)).astype(np.float32)
    hit = 0
    for i, w in enumerate(vocab.itos[len(SPECIALS):], start=len(SPECIALS)):
        j = index.get(w)
        if j is not None:
            mat[i] = table[j]
            hit += 1
    mat[PAD] = 0
    return mat, hit / max(1, len(vocab) - len(SPECIALS))

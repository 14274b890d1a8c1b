"""Sentence embeddings: mean-pooled MiniLM (all-MiniLM-L6-v2, the ``minilm`` alias) vectors, cached per text.

One encoder serves every part that compares texts by meaning: the MiniLM LAS simulator
(:mod:`rationalize.metrics.freetext`) and the dialogue's intent classifier and ``similar`` operation
(:mod:`rationalize.dialogue`). The vectors are the mean of the last hidden states over the text's pieces,
as sentence-transformers computes them for this model, optionally L2-normalised.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class SentenceEncoder:
    """``encode(texts)`` -> ``(n, dim)`` float32 vectors; each distinct text is embedded once (cache).

    ``model`` is an alias, folder or hub name of a Hugging Face encoder; ``max_length`` pieces per text;
    ``normalize`` L2-normalises each vector (cosine similarity = dot product). The model loads on first
    use, so building the object is free."""

    def __init__(self, model: str = "minilm", batch_size: int = 32, max_length: int = 128, normalize: bool = False):
        self.model = model
        self.batch_size = batch_size
        self.max_length = max_length
        self.normalize = normalize
        self._cache: dict[str, np.ndarray] = {}

    def _load(self) -> None:
        from transformers import AutoModel, AutoTokenizer

        from rationalize.models.hub import hf_load

        if not hasattr(self, "_enc"):
            self._tok = hf_load(AutoTokenizer, self.model)
            self._enc = hf_load(AutoModel, self.model).eval()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of ``texts`` in order (computed for the texts not seen before, in batches)."""
        import torch

        self._load()
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        for i in range(0, len(todo), self.batch_size):
            chunk = todo[i : i + self.batch_size]
            enc = self._tok(chunk, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
            with torch.no_grad():
                h = self._enc(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(-1).float()
            vecs = ((h * m).sum(1) / m.sum(1).clamp(min=1)).numpy().astype(np.float32)
            if self.normalize:
                vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
            for t, v in zip(chunk, vecs):
                self._cache[t] = v
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])

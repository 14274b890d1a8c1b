"""Our small CPU document classifier: word vectors + BiGRU or CNN + additive attention pooling.

The attention pooling (Bahdanau et al., 2015; as in the ERASER "BERT+LSTM / GloVe+LSTM" baselines,
DeYoung et al., 2020, and Jain & Wallace, 2019) gives one weight per token, so the attention explainers
apply to this model too. Embeddings come from GloVe 50-d (``glove50``) or spaCy 300-d (``spacy-md``)
vectors, frozen by default. A query (if any) is prepended to the document; its positions are never
explained (``token_index`` -1). Documents are not windowed: the encoders handle any length.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rationalize.models.base import ClassifierInput, read_config, save_config
from rationalize.models.embeddings import MASK_ID, PAD, Vocab, embedding_matrix
from rationalize.models.encoders import make_encoder
from rationalize.models.windows import Window, WindowedClassifierMixin, example_input, pad_stack, perturb_pieces


class AttentionPooling(nn.Module):
    """Additive attention: ``a = softmax(v . tanh(W h))`` over unmasked positions; returns the pooled
    vector and the weights."""

    def __init__(self, dim: int, hidden: int = 64):
        super().__init__()
        self.proj = nn.Linear(dim, hidden)
        self.v = nn.Linear(hidden, 1, bias=False)

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pool token states ``h`` (B, L, D) over positions where ``mask`` is 1; returns ``(pooled (B, D),
        weights (B, L))``."""
        scores = self.v(torch.tanh(self.proj(h))).squeeze(-1)
        scores = scores.masked_fill(mask == 0, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return torch.bmm(weights.unsqueeze(1), h).squeeze(1), weights


class EncoderClassifier(WindowedClassifierMixin, nn.Module):
    """Embeddings -> ``bigru``/``cnn`` encoder -> attention pooling -> linear layer over ``labels``."""

    default_batch_size = 32

    def __init__(self, vocab: Vocab, labels: Sequence[str], embeddings: np.ndarray, encoder: str = "bigru",
                 hidden: int = 128, attention_hidden: int = 64, dropout: float = 0.1, freeze_embeddings: bool = True,
                 vectors: str | None = None, word_dropout: float = 0.1):
        super().__init__()
        self.vocab = vocab
        self.labels = [str(lab) for lab in labels]
        self.encoder_name = encoder
        self.vectors = vectors
        self.hparams = {"hidden": hidden, "attention_hidden": attention_hidden, "dropout": dropout,
                        "freeze_embeddings": freeze_embeddings, "word_dropout": word_dropout}
        self.word_dropout = word_dropout
        kw: dict[str, Any] = {"hidden": hidden} if encoder == "bigru" else {"channels": hidden}
        self.encoder = make_encoder(encoder, embeddings, freeze_embeddings=freeze_embeddings, dropout=dropout, **kw)
        self.pool = AttentionPooling(self.encoder.out_dim, attention_hidden)
        self.out = nn.Linear(self.encoder.out_dim, len(self.labels))
        self.mask_id = MASK_ID
        self.pad_id = PAD
        self._cache_key = object()  # this model's encodings in the inputs' caches (see encoding)

    @classmethod
    def build(cls, dataset: Any, encoder: str = "bigru", vectors: str | None = "glove50", split: str = "train",
              hidden: int = 128, seed: int = 0, min_count: int = 1, max_vocab: int | None = 50000, **kw: Any) -> EncoderClassifier:
        """A fresh model whose vocabulary comes from ``split`` of ``dataset`` (documents and queries)."""
        token_lists = []
        for ex in dataset[split]:
            inp = example_input(dataset, ex)
            token_lists.append(inp.tokens)
            if inp.query:
                token_lists.append(inp.query)
        vocab = Vocab.build(token_lists, min_count=min_count, max_size=max_vocab)
        emb, _ = embedding_matrix(vocab, vectors, seed=seed)
        emb[MASK_ID] = 0.0  # a masked token carries no information (explainers and faithfulness mask with it)
        kw.setdefault("freeze_embeddings", vectors is not None)  # random vectors must be learned
        return cls(vocab, dataset.labels, emb, encoder=encoder, hidden=hidden, vectors=vectors, **kw)

    # -- windowed interface ----------------------------------------------------------------------------
    def encoding(self, inp: ClassifierInput) -> tuple[np.ndarray, np.ndarray]:
        """Vocabulary ids of the document and of the query (empty without one), looked up once per input
        and kept in its cache; a perturbed input's come from its source's ids (one id per token: deleted
        ids dropped, masked ones set to the mask id), exactly what looking its tokens up would give."""
        return inp.cached(self._cache_key, lambda: self._encode(inp))

    def _encode(self, inp: ClassifierInput) -> tuple[np.ndarray, np.ndarray]:
        origin = inp.origin
        if origin is not None and len(origin.removed) == len(origin.source.tokens):
            s_doc, s_q = self.encoding(origin.source)
            derived = perturb_pieces(s_doc, np.arange(len(s_doc)), origin, MASK_ID)
            if derived is not None and (origin.source.query is inp.query or origin.source.query == inp.query):
                return derived[0], s_q
        doc = np.asarray(self.vocab.encode(inp.tokens), dtype=np.int64)
        q = np.asarray(self.vocab.encode(inp.query), dtype=np.int64) if inp.query else np.zeros(0, dtype=np.int64)
        return doc, q

    def windows(self, inputs: Sequence[ClassifierInput]) -> list[Window]:
        """One window per input (no splitting: the encoders take any length); query ids come first, with
        ``token_index`` -1."""
        out = []
        for i, inp in enumerate(inputs):
            doc, q = self.encoding(inp)
            ids = np.concatenate([q, doc])
            if len(ids) == 0:
                ids = np.array([PAD])  # an empty input is a single pad position (all-zero embedding)
                tix = np.array([-1])
            else:
                tix = np.concatenate([np.full(len(q), -1), np.arange(len(doc))]).astype(np.int64)
            out.append(Window(i, ids, tix, piece_index=tix.copy()))
        return out

    def collate(self, windows: Sequence[Window]) -> dict[str, torch.Tensor]:
        """Pad a batch of windows into ``input_ids`` and ``attention_mask`` tensors."""
        return {"input_ids": pad_stack([w.ids for w in windows], PAD),
                "attention_mask": pad_stack([np.ones(len(w.ids), dtype=np.int64) for w in windows], 0)}

    def _forward(self, batch: dict[str, torch.Tensor], inputs_embeds: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        mask = batch["attention_mask"]
        h = self.encoder(batch["input_ids"], mask, embedded=inputs_embeds)
        pooled, weights = self.pool(h, mask)
        return self.out(pooled), weights

    def window_logits(self, batch: dict[str, torch.Tensor], inputs_embeds: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(B, n_labels)`` of a collated batch, or of ``inputs_embeds`` in its place (gradient explainers)."""
        return self._forward(batch, inputs_embeds)[0]

    def input_embeddings(self) -> nn.Module:
        """The word-embedding layer (where gradient explainers attach)."""
        return self.encoder.embed

    def logits_and_attention(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``(B, n_labels)`` and attention pooling weights ``(B, L)`` from one forward pass (what
        attention supervision aligns with the human rationale)."""
        return self._forward(batch)

    def training_step(self, batch: tuple[Any, ...]) -> dict[str, torch.Tensor]:
        """Cross-entropy with word dropout: each token is replaced by the mask id with probability
        ``word_dropout``, so masked inputs (used by perturbation explainers and faithfulness metrics)
        are in-distribution and the model does not lean on one word alone (Iyyer et al., 2015). A batch
        with rationales (third element) also gets the rationale loss."""
        feats, y, *rest = batch
        if self.word_dropout > 0:
            ids = feats["input_ids"]
            drop = (torch.rand(ids.shape) < self.word_dropout) & (feats["attention_mask"] > 0)
            feats = {**feats, "input_ids": ids.masked_fill(drop, MASK_ID)}
        return super().training_step((feats, y, *rest))

    def token_attention(self, batch: dict[str, torch.Tensor], mode: str = "last") -> torch.Tensor:
        """The pooling weights. The model has one attention layer, so last layer, mean of layers and
        rollout coincide; ``mode`` is accepted for a common interface."""
        if mode not in ("last", "mean", "rollout"):
            raise ValueError(f"unknown attention mode {mode!r}; use last, mean or rollout")
        return self._forward(batch)[1]

    # -- persistence -----------------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        """Write vocabulary, weights and config to ``folder`` (reload with :meth:`load`); returns the folder."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.vocab.save(folder / "vocab.json")
        torch.save(self.state_dict(), folder / "model.pt")
        emb = self.encoder.embed.weight
        save_config(folder, type(self), labels=self.labels, encoder=self.encoder_name, vectors=self.vectors,
                    vocab_size=int(emb.shape[0]), embedding_dim=int(emb.shape[1]), **self.hparams)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> EncoderClassifier:
        """Reload a model written by :meth:`save`, in eval mode."""
        cfg = read_config(folder)
        folder = Path(folder)
        vocab = Vocab.load(folder / "vocab.json")
        emb = np.zeros((cfg["vocab_size"], cfg["embedding_dim"]), dtype=np.float32)
        model = cls(vocab, cfg["labels"], emb, encoder=cfg["encoder"], hidden=cfg["hidden"],
                    attention_hidden=cfg["attention_hidden"], dropout=cfg["dropout"],
                    freeze_embeddings=cfg["freeze_embeddings"], vectors=cfg.get("vectors"),
                    word_dropout=cfg.get("word_dropout", 0.0))
        model.load_state_dict(torch.load(folder / "model.pt", weights_only=True))
        model.eval()
        return model

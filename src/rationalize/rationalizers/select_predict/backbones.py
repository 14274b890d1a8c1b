"""Token encoders for generators and predictors, over the dataset's own words.

A select-then-predict model selects *dataset words* (the unit of ERASER rationales) but its encoders may
work on other units: a BiGRU/CNN reads one id per word, a Hugging Face encoder reads word pieces. A
backbone hides that difference behind two calls:

* :meth:`word_states` — one state per dataset word (what the generator scores);
* :meth:`pooled` — one vector per example computed from a *selection* ``z`` over words (what the
  predictor classifies). Unselected units are replaced by the mask embedding (``mode="mask"``) or
  removed from the sequence (``mode="delete"``), so their identity cannot reach the prediction.

Batches are dicts made by :meth:`collate` from ``(query_words, doc_words)`` pairs; query words come
first and are always visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from rationalize.models.base import MASK
from rationalize.models.embeddings import MASK_ID, PAD, Vocab
from rationalize.models.encoders import make_encoder

Batch = dict[str, Any]


def masked_max(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max-pool ``(B, L, H)`` states over positions where ``mask`` is true (zeros for an empty row)."""
    filled = states.masked_fill(~mask.bool().unsqueeze(-1), float("-inf"))
    pooled = filled.max(1).values
    return torch.where(torch.isfinite(pooled), pooled, torch.zeros_like(pooled))


def _pad(rows: Sequence[Sequence[int]], value: int = 0) -> torch.Tensor:
    width = max(1, max((len(r) for r in rows), default=1))
    out = torch.full((len(rows), width), value, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.as_tensor(list(r), dtype=torch.long)
    return out


def _word_fields(pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> Batch:
    """Word-level fields shared by all backbones: word mask and which words are selectable (document)."""
    lengths = [len(q) + len(d) for q, d in pairs]
    width = max(1, max(lengths, default=1))
    word_mask = torch.zeros(len(pairs), width, dtype=torch.bool)
    selectable = torch.zeros(len(pairs), width, dtype=torch.bool)
    for i, (q, d) in enumerate(pairs):
        word_mask[i, : len(q) + len(d)] = True
        selectable[i, len(q) : len(q) + len(d)] = True
    return {"word_mask": word_mask, "selectable": selectable, "query_lengths": [len(q) for q, _ in pairs]}


def unit_term_frequency(ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Relative frequency of each unit's id among the units ``mask`` marks in its row (the "tf" of tf-idf;
    0 outside ``mask``)."""
    tf = torch.zeros(ids.shape, dtype=torch.float32)
    for i in range(ids.shape[0]):
        row = ids[i][mask[i]]
        if row.numel() == 0:
            continue
        _, inverse, counts = torch.unique(row, return_inverse=True, return_counts=True)
        tf[i, mask[i]] = counts[inverse].float() / row.numel()
    return tf


class Backbone(nn.Module):
    """Interface; see the module docstring."""

    out_dim: int
    vocab_size: int

    def collate(self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> Batch:
        """A padded batch from ``(query_words, doc_words)`` pairs; query words come first and are always visible."""
        raise NotImplementedError

    def word_states(self, batch: Batch) -> torch.Tensor:
        """``(B, W, H)`` states, one per dataset word (what the generator scores)."""
        raise NotImplementedError

    def pooled(self, batch: Batch, z: torch.Tensor, ids: torch.Tensor | None = None, mode: str = "mask") -> torch.Tensor:
        """One vector per example from the selection ``z`` over words (what the predictor classifies): unselected
        units are replaced by the mask embedding (``mode="mask"``) or removed (``"delete"``); ``ids``, when
        given, replaces the batch's input ids (e.g. noise-injected ones)."""
        raise NotImplementedError

    @staticmethod
    def units_of(batch: Batch, z_words: torch.Tensor, fill: float = 1.0) -> torch.Tensor:
        """Broadcast a per-word tensor to units (identity for word backbones); units that belong to no
        word (special tokens) get ``fill``."""
        unit_word = batch.get("unit_word")
        if unit_word is None:
            return z_words
        idx = unit_word.clamp(min=0)
        out = torch.gather(z_words, 1, idx)
        return torch.where(unit_word >= 0, out, torch.full_like(out, fill))

    @classmethod
    def document_units(cls, batch: Batch) -> torch.Tensor:
        """``(B, U)`` true for the units of document words (not the query, special pieces or padding)."""
        return (cls.units_of(batch, batch["selectable"].float(), fill=0.0) > 0) & batch["mask"]

    @staticmethod
    def words_of(batch: Batch, units: torch.Tensor) -> torch.Tensor:
        """``(B, W)`` true for the words with at least one unit marked in ``units`` (the inverse of
        :meth:`units_of` for boolean masks; identity for word backbones)."""
        unit_word = batch.get("unit_word")
        if unit_word is None:
            return units
        out = torch.zeros(batch["word_mask"].shape, dtype=torch.float32)
        hit = (units & (unit_word >= 0)).float()
        return out.scatter_reduce(1, unit_word.clamp(min=0), hit, "amax") > 0

    def unit_id_lists(self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> list[list[int]]:
        """The unit ids of the *document* part of each pair (for noise-injection statistics)."""
        batch = self.collate(pairs)
        doc_units = self.document_units(batch)
        return [batch["ids"][i][doc_units[i]].tolist() for i in range(len(pairs))]


class WordBackbone(Backbone):
    """Pretrained word vectors + BiGRU or CNN (:mod:`rationalize.models.encoders`); one unit per word."""

    def __init__(self, vocab: Vocab, embeddings: np.ndarray, encoder: str = "bigru", hidden: int = 100,
                 freeze_embeddings: bool = True, dropout: float = 0.1):
        super().__init__()
        self.vocab = vocab
        kw: dict[str, Any] = {"freeze_embeddings": freeze_embeddings, "dropout": dropout}
        kw.update({"hidden": hidden} if encoder == "bigru" else {"channels": hidden})
        self.enc = make_encoder(encoder, embeddings, **kw)
        self.out_dim = self.enc.out_dim
        self.vocab_size = len(vocab)
        self.special_ids = [PAD, 1, MASK_ID]

    def collate(self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> Batch:
        """Word ids of the query then the document, one unit per word (see :meth:`Backbone.collate`)."""
        batch = _word_fields(pairs)
        batch["ids"] = _pad([self.vocab.encode(list(q) + list(d)) for q, d in pairs], PAD)
        batch["mask"] = batch["word_mask"]
        return batch

    def word_states(self, batch: Batch) -> torch.Tensor:
        """The encoder state of each word."""
        return self.enc(batch["ids"], batch["mask"])

    def pooled(self, batch: Batch, z: torch.Tensor, ids: torch.Tensor | None = None, mode: str = "mask") -> torch.Tensor:
        """Encode the selected words, the others masked or deleted, and pool (see :meth:`Backbone.pooled`)."""
        ids = batch["ids"] if ids is None else ids
        mask = batch["mask"]
        x = self.enc.embed_ids(ids) * z.unsqueeze(-1)
        if mode == "mask":
            x = x + (1 - z).unsqueeze(-1) * self.enc.embed_ids(torch.full_like(ids, MASK_ID))
        elif mode == "delete":
            # Move kept units to the front (order preserved); the rest becomes padding.
            keep = (z > 0) & mask
            order = torch.sort((~keep).to(torch.int8), dim=1, stable=True).indices
            x = torch.gather(x, 1, order.unsqueeze(-1).expand_as(x))
            n = keep.sum(1, keepdim=True)
            mask = torch.arange(ids.shape[1]).unsqueeze(0) < n
            x = x * mask.unsqueeze(-1)
            ids = torch.where(mask, torch.gather(ids, 1, order), torch.zeros_like(ids))
        else:
            raise ValueError(f"unknown input mode {mode!r}; use 'mask' or 'delete'")
        return masked_max(self.enc(ids, mask, embedded=x), mask)


class HFBackbone(Backbone):
    """A Hugging Face encoder (e.g. the ``minilm`` alias) over word pieces of the dataset words.

    A word's state is the state of its first piece. The predictor replaces the input embeddings of
    unselected pieces by the ``[MASK]`` embedding (``mode="mask"``) or removes them from the sequence
    (``mode="delete"``: kept pieces move to the front, in order, with fresh positions, as if the text
    had been rewritten without the other words); the ``[CLS]`` state is classified. Sequences are cut
    at ``max_pieces`` word pieces; words beyond are never selected. With ``long_inputs=True`` (FRESH:
    the selection is known before the encoder runs) the cut happens *after* deletion instead, so a
    rationale anywhere in a long document reaches the predictor as long as the rationale itself fits.
    """

    def __init__(self, name: str = "minilm", max_pieces: int = 512, long_inputs: bool = False,
                 _config_only: bool = False):
        super().__init__()
        self.long_inputs = long_inputs
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        from rationalize.models.hub import hf_load

        self.name = name
        self.tokenizer = hf_load(AutoTokenizer, name)
        if _config_only:  # weights come from a saved state dict
            self.model = AutoModel.from_config(hf_load(AutoConfig, name))
        else:
            self.model = hf_load(AutoModel, name)
        self.max_pieces = max_pieces
        self.out_dim = self.model.config.hidden_size
        self.vocab_size = self.model.config.vocab_size
        self.special_ids = list(self.tokenizer.all_special_ids)

    def collate(self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> Batch:
        """Word pieces of the query then the document words, between ``[CLS]`` and ``[SEP]``, with the first piece
        of each word; words past ``max_pieces`` are dropped unless ``long_inputs`` (see :meth:`Backbone.collate`)."""
        batch = _word_fields(pairs)
        tok = self.tokenizer
        id_rows, word_rows = [], []
        first = torch.zeros(batch["word_mask"].shape, dtype=torch.long)
        for i, (q, d) in enumerate(pairs):
            words = list(q) + list(d)
            ids, unit_word = [tok.cls_token_id], [-1]
            for w, word in enumerate(words):
                if word == MASK:  # the dataset-level mask token is the model's own [MASK]
                    pieces = [tok.mask_token_id]
                else:
                    pieces = tok.encode(word, add_special_tokens=False) or [tok.unk_token_id]
                if not self.long_inputs and len(ids) + len(pieces) >= self.max_pieces:
                    batch["word_mask"][i, w:] = False
                    batch["selectable"][i, w:] = False
                    break
                first[i, w] = len(ids)
                ids.extend(pieces)
                unit_word.extend([w] * len(pieces))
            ids.append(tok.sep_token_id)
            unit_word.append(-1)
            id_rows.append(ids)
            word_rows.append(unit_word)
        batch["ids"] = _pad(id_rows, tok.pad_token_id or 0)
        batch["mask"] = _pad([[1] * len(r) for r in id_rows], 0).bool()
        batch["unit_word"] = _pad(word_rows, -1)
        batch["first_unit"] = first
        return batch

    def word_states(self, batch: Batch) -> torch.Tensor:
        """The encoder state of each word's first piece."""
        out = self.model(input_ids=batch["ids"], attention_mask=batch["mask"].long()).last_hidden_state
        idx = batch["first_unit"].unsqueeze(-1).expand(-1, -1, out.shape[-1])
        return torch.gather(out, 1, idx) * batch["word_mask"].unsqueeze(-1)

    def pooled(self, batch: Batch, z: torch.Tensor, ids: torch.Tensor | None = None, mode: str = "mask") -> torch.Tensor:
        """The ``[CLS]`` state with the selected pieces (special pieces always kept), the others masked or
        deleted (see :meth:`Backbone.pooled`); ``mode="mask"`` needs inputs within ``max_pieces``."""
        ids = batch["ids"] if ids is None else ids
        zu = self.units_of(batch, z)  # special pieces ([CLS], [SEP]) count as selected
        mask = batch["mask"]
        if mode == "delete":
            keep = (zu > 0) & mask
            order = torch.sort((~keep).to(torch.int8), dim=1, stable=True).indices
            n = keep.sum(1)
            width = max(1, min(self.max_pieces, int(n.max())))
            order = order[:, :width]
            ids, zu = torch.gather(ids, 1, order), torch.gather(zu, 1, order)
            mask = torch.arange(width).unsqueeze(0) < n.clamp(max=width).unsqueeze(1)
        elif mode != "mask":
            raise ValueError(f"unknown input mode {mode!r}; use 'mask' or 'delete'")
        elif ids.shape[1] > self.max_pieces:
            raise ValueError(f"{ids.shape[1]} word pieces exceed max_pieces={self.max_pieces}; inputs longer than the "
                             "encoder only work with input_mode='delete' (long_inputs)")
        table = self.model.get_input_embeddings()
        zu = zu.unsqueeze(-1)
        x = table(ids) * zu + (1 - zu) * table(torch.full_like(ids, self.tokenizer.mask_token_id))
        return self.model(inputs_embeds=x, attention_mask=mask.long()).last_hidden_state[:, 0]

"""Small, fast token encoders for CPU work: embeddings followed by a BiGRU or a CNN.

Both map ``(batch, length)`` ids and a padding mask to ``(batch, length, out_dim)`` token states, so
classifiers and select-then-predict generators/predictors can use either interchangeably.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class TokenEncoder(nn.Module):
    """Base: an embedding layer (optionally pretrained and frozen) plus a contextual layer."""

    out_dim: int

    def __init__(self, embeddings: np.ndarray, freeze_embeddings: bool = True, dropout: float = 0.1):
        super().__init__()
        self.embed = nn.Embedding.from_pretrained(torch.as_tensor(embeddings), freeze=freeze_embeddings, padding_idx=0)
        self.dropout = nn.Dropout(dropout)

    def embed_ids(self, ids: torch.Tensor) -> torch.Tensor:
        """Embed token ids ``(B, L)`` -> ``(B, L, dim)``."""
        return self.embed(ids)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, embedded: torch.Tensor | None = None) -> torch.Tensor:
        """Encode ``ids`` (or already ``embedded`` inputs, used by gradient attribution)."""
        x = self.embed_ids(ids) if embedded is None else embedded
        return self.contextualize(self.dropout(x), mask)

    def contextualize(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Map embedded inputs ``(B, L, dim)`` and the padding mask to token states ``(B, L, out_dim)``;
        subclasses implement it."""
        raise NotImplementedError


class BiGRUEncoder(TokenEncoder):
    """Bidirectional GRU over packed sequences (padding never leaks into the states)."""

    def __init__(self, embeddings: np.ndarray, hidden: int = 128, layers: int = 1, **kw):
        super().__init__(embeddings, **kw)
        self.rnn = nn.GRU(embeddings.shape[1], hidden, num_layers=layers, batch_first=True, bidirectional=True)
        self.out_dim = 2 * hidden

    def contextualize(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Run the BiGRU over the unpadded lengths; padded positions come out as zeros."""
        lengths = mask.sum(1).clamp(min=1).cpu()
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return out * mask.unsqueeze(-1)


class CNNEncoder(TokenEncoder):
    """Same-length 1-D convolutions with several widths, ReLU, concatenated per token."""

    def __init__(self, embeddings: np.ndarray, channels: int = 100, widths: tuple[int, ...] = (3, 5), **kw):
        super().__init__(embeddings, **kw)
        dim = embeddings.shape[1]
        self.convs = nn.ModuleList(nn.Conv1d(dim, channels, w, padding=w // 2) for w in widths)
        self.out_dim = channels * len(widths)

    def contextualize(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Apply every convolution width and concatenate the ReLU outputs per token; padded positions are zeroed."""
        x = (x * mask.unsqueeze(-1)).transpose(1, 2)
        outs = [torch.relu(conv(x))[:, :, : mask.shape[1]] for conv in self.convs]
        return torch.cat(outs, 1).transpose(1, 2) * mask.unsqueeze(-1)


ENCODERS = {"bigru": BiGRUEncoder, "cnn": CNNEncoder}


def make_encoder(name: str, embeddings: np.ndarray, **kw: Any) -> TokenEncoder:
    """Build the encoder named ``bigru`` or ``cnn`` over ``embeddings`` (keyword arguments go to its constructor)."""
    try:
        return ENCODERS[name](embeddings, **kw)
    except KeyError:
        raise ValueError(f"unknown encoder {name!r}; choose from {sorted(ENCODERS)} (or 'minilm' for a transformer)") from None

"""Small, fast token encoders for CPU work: embeddings followed by a BiGRU or a CNN.

Both map ``(batch, length)`` ids and a padding mask to ``(batch, length, out_dim)`` token states, so
classifiers and select-then-predict generators/predictors can use either interchangeably.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn


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
    """Bidirectional GRU; padding never leaks into the states of real positions.

    Each direction runs over the padded batch as one dense sequence: forward as it is (padding comes after
    every real word, so it cannot reach them), backward over each example reversed within its own length
    and reversed back. The outputs equal those over packed sequences (``pack_padded_sequence``) up to float
    rounding, but the backward pass is linear in the length: on CPU the packed path's backward pass costs a
    full-size zero-fill and add per time step, quadratic in the longest document (a training step on batches of
    ERASER movies reviews was 3.9x slower at 1,024 words, 4.3x on whole reviews; ``benchmarks/bigru_speed.py``)."""

    def __init__(self, embeddings: np.ndarray, hidden: int = 128, layers: int = 1, **kw):
        super().__init__(embeddings, **kw)
        self.rnn = nn.GRU(embeddings.shape[1], hidden, num_layers=layers, batch_first=True, bidirectional=True)
        self.out_dim = 2 * hidden

    def _direction(self, x: torch.Tensor, layer: int, suffix: str) -> torch.Tensor:
        """One direction of one layer over the dense batch ``x`` ``(B, L, dim)``, with the module's weights."""
        weights = [getattr(self.rnn, f"{name}_l{layer}{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        h0 = x.new_zeros(1, x.shape[0], self.rnn.hidden_size)
        # the kernel nn.GRU.forward itself calls, for a single direction and layer (torch is pinned)
        return torch._VF.gru(x, h0, weights, True, 1, 0.0, self.training, False, True)[0]

    def contextualize(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Run the BiGRU over the unpadded lengths; padded positions come out as zeros."""
        length = x.shape[1]
        lengths = mask.sum(1).clamp(min=1).long()
        t = torch.arange(length, device=x.device)
        # position t of the reversed example is position len - 1 - t of the example (padding stays put)
        rev = torch.where(t[None] < lengths[:, None], lengths[:, None] - 1 - t[None], t[None])
        keep = mask.unsqueeze(-1).to(x.dtype)
        out = x
        for layer in range(self.rnn.num_layers):
            if layer > 0 and self.rnn.dropout and self.training:
                out = nn.functional.dropout(out, self.rnn.dropout)
            fw = self._direction(out, layer, "")
            back = out.gather(1, rev.unsqueeze(-1).expand(-1, -1, out.shape[2]))
            bw = self._direction(back, layer, "_reverse")
            bw = bw.gather(1, rev.unsqueeze(-1).expand(-1, -1, bw.shape[2]))
            out = torch.cat([fw, bw], -1) * keep
        return out

    def contextualize_packed(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """:meth:`contextualize` the textbook way, over packed sequences: the reference the dense passes are
        checked and timed against (tests, ``benchmarks/bigru_speed.py``)."""
        from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

        lengths = mask.sum(1).clamp(min=1).cpu()
        out, _ = self.rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
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

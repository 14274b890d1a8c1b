"""The BiGRU encoder's dense two-pass implementation equals a bidirectional GRU over packed sequences (the
textbook way to keep padding out of the states), in its outputs and in every gradient."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rationalize.models.encoders import BiGRUEncoder


@pytest.mark.parametrize("layers", [1, 2])
def test_dense_bigru_equals_packed_sequences(layers):
    torch.manual_seed(0)
    enc = BiGRUEncoder(np.random.default_rng(0).normal(size=(30, 6)).astype(np.float32), hidden=5, layers=layers)
    lengths = torch.tensor([9, 1, 4, 9, 6, 0])  # one full row, a one-word row, an empty row
    mask = (torch.arange(9)[None] < lengths[:, None]).float()
    x = torch.randn(6, 9, 6)
    x[mask == 0] = 100.0  # padding with large values: any leak shows
    x.requires_grad_(True)
    got = enc.contextualize(x, mask)
    want = enc.contextualize_packed(x, mask)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
    assert got[mask == 0].abs().max() == 0
    weights = torch.randn_like(got)
    g_got = torch.autograd.grad((got * weights).sum(), [x, *enc.rnn.parameters()])
    g_want = torch.autograd.grad((want * weights).sum(), [x, *enc.rnn.parameters()])
    for a, b in zip(g_got, g_want):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    # the reversed pass reads right to left: the first state depends on the last real word, not on padding
    assert not torch.equal(got[0, 0, 5:], enc.contextualize(x.detach().index_fill(1, torch.tensor([8]), 0.0),
                                                             mask)[0, 0, 5:])

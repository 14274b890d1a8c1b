"""Window batching by a padded-piece budget (:func:`rationalize.models.windows.length_batches`, which uses
the engine's one packer, :func:`rationalize.engine.batching.pack`)."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from rationalize.models.windows import length_batches


@given(st.lists(st.integers(0, 600), max_size=60), st.integers(1, 5000))
def test_budget_batches_cover_every_window_once_and_keep_to_the_budget(lengths, budget):
    batches = length_batches(lengths, None, budget)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(flat, reverse=True)  # by length: least padding
    for b in batches:
        longest = max(max(lengths[i] for i in b), 1)
        assert len(b) == 1 or len(b) * longest <= budget
    # greedy: a batch ends only when the next window would not have fitted in it
    for a, b in pairwise(batches):
        assert (len(a) + 1) * max(max(lengths[i] for i in a), 1) > budget


def test_a_batch_size_wins_over_the_budget():
    assert length_batches([5, 1, 3, 2], 2, 4096) == [[1, 3], [2, 0]]
    assert [len(b) for b in length_batches([256] * 40, None, 4096)] == [16, 16, 8]
    assert [len(b) for b in length_batches([512] * 10, None, 4096)] == [8, 2]


def test_hf_classifier_batches_by_its_backend_budget():
    """Without a batch size, PyTorch passes hold at most ``piece_budget`` padded pieces and ONNX Runtime
    passes at most ``onnx_piece_budget``; a batch size wins over both."""
    import torch

    from rationalize.models.base import ClassifierInput
    from tests.models._tiny import tiny_bert

    model = tiny_bert(window_size=32, overlap=8)
    model.piece_budget, model.onnx_piece_budget = 128, 64
    inputs = [ClassifierInput(["good", "film"] * n) for n in range(1, 30)]
    shapes: list[tuple[int, int]] = []
    real = model.window_logits

    def spy(batch, inputs_embeds=None):
        shapes.append(tuple(batch["input_ids"].shape))
        return real(batch, inputs_embeds)

    model.window_logits = spy
    model.predict_proba(inputs)
    assert max(b * n for b, n in shapes) <= 128 and max(b * n for b, n in shapes) > 64
    shapes.clear()
    model.backend = lambda batch: torch.zeros(batch["input_ids"].shape[0], 2)  # stands for an ONNX session
    assert model.forward_budget == 64
    model.predict_proba(inputs)
    assert max(b * n for b, n in shapes) <= 64
    shapes.clear()
    model.predict_proba(inputs, batch_size=5)
    assert max(b for b, _ in shapes) == 5

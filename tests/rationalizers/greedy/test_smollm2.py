"""Integration with the real SmolLM2-135M (GGUF, dequantised on load): slow, runs in CI."""

from __future__ import annotations

import pytest
import torch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smol():
    from rationalize.errors import ModelNotAvailableError
    from rationalize.models.lm import load_lm

    try:
        return load_lm("smollm2")
    except ModelNotAvailableError as exc:
        pytest.skip(str(exc))


def test_smollm2_greedy_rationale_recovers_the_prediction(smol):
    from rationalize.rationalizers.greedy import GreedyRationalizer, NaiveGreedyRationalizer

    torch.set_num_threads(2)
    ids = smol.encode("Monday, Tuesday, Wednesday, Thursday,")  # short: a few seconds of compute
    nxt = smol.predict_next(ids)
    (r,) = GreedyRationalizer().rationalize(smol, [ids], [[len(ids)]], [[nxt]])
    assert r.recovered and r.order[0] == len(ids) - 1 and 1 <= r.length < len(ids)
    pos = torch.tensor([r.rationale_positions])
    sub = torch.tensor([[ids[p] for p in r.rationale_positions]])
    with torch.no_grad():
        logits = smol.model(input_ids=sub, position_ids=pos, attention_mask=torch.ones_like(sub)).logits[0, -1]
    assert int(logits.argmax()) == nxt
    # the batched search and the one-candidate-per-pass reference agree on the first two steps
    (n,) = NaiveGreedyRationalizer(max_steps=2).rationalize(smol, [ids], [[len(ids)]], [[nxt]])
    assert n.order == r.order[:2]

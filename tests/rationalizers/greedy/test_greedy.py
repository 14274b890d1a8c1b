"""Greedy, naive and exhaustive sequential rationales on a tiny LM with a planted dependency."""

from __future__ import annotations

import pytest
import torch

from rationalize.models.lm import CausalLMAdapter
from rationalize.rationalizers.greedy import (
    ExhaustiveRationalizer,
    GreedyRationalizer,
    NaiveGreedyRationalizer,
    get_sequential_rationalizer,
)
from rationalize.rationalizers.greedy.metrics import summarize


def _last(seqs):
    return [[len(s) - 1] for s in seqs]


def _recovers(model, seq, r) -> bool:
    """Feed the rationale back to the model itself (not through the adapter), original positions."""
    pos = torch.tensor([r.rationale_positions])
    ids = torch.tensor([[seq[p] for p in r.rationale_positions]])
    with torch.no_grad():
        logits = model(input_ids=ids, position_ids=pos, attention_mask=torch.ones_like(ids)).logits[0, -1]
    return int(logits.argmax()) == r.target_id


def test_greedy_finds_the_planted_antecedent(planted, planted_data):
    model, task = planted
    seqs, ante = planted_data
    res = GreedyRationalizer().rationalize(CausalLMAdapter(model), seqs, _last(seqs))
    assert all(r.recovered for r in res)
    found = [r.rationale_positions == sorted([a, len(s) - 2]) for r, s, a in zip(res, seqs, ante)]
    assert sum(found) / len(found) >= 0.95
    for r, s, a in zip(res, seqs, ante):
        assert r.order[0] == len(s) - 2  # the query token comes first
        assert len(r.probabilities) == len(r.order)
        assert r.target_id == task.value_of(s[a])


def test_every_rationale_recovers_the_prediction_when_fed_back(planted, planted_data):
    model, _ = planted
    seqs, _ = planted_data
    adapter = CausalLMAdapter(model)
    # all positions, explaining the model's own predictions (what the full context makes it predict)
    tids = [[adapter.predict_next(s[:p]) for p in range(1, len(s))] for s in seqs[:8]]
    for name in ("greedy", "gradient_norm", "attention_all", "occlusion"):
        res = get_sequential_rationalizer(name).rationalize(adapter, seqs[:8], target_ids=tids)
        assert res and all(r.recovered for r in res), name
        for r in res:
            assert _recovers(model, seqs[r.sequence], r), (name, r)


def test_greedy_is_as_short_as_exhaustive_on_short_contexts(planted, planted_data):
    model, _ = planted
    seqs, _ = planted_data
    adapter = CausalLMAdapter(model)
    g = GreedyRationalizer().rationalize(adapter, seqs[:10], _last(seqs[:10]))
    e = ExhaustiveRationalizer(max_size=3).rationalize(adapter, seqs[:10], _last(seqs[:10]))
    assert [r.length for r in g] == [r.length for r in e] == [2] * 10
    # harder targets: every position, the model's own prediction
    tids = [[adapter.predict_next(s[:p]) for p in range(1, len(s))] for s in seqs[:4]]
    g = GreedyRationalizer().rationalize(adapter, seqs[:4], target_ids=tids)
    e = ExhaustiveRationalizer(max_size=7).rationalize(adapter, seqs[:4], target_ids=tids)
    m = summarize(g, e)
    assert m["n_compared"] == len(g)
    assert m["ratio_to_optimum"] <= 1.2
    assert all(a.length >= b.length for a, b in zip(g, e))  # exhaustive is a true optimum
    for r in e:
        assert _recovers(model, seqs[r.sequence], r)


def test_batched_equals_naive_and_uses_fewer_forward_passes(planted, planted_data):
    model, _ = planted
    seqs, _ = planted_data
    a1, a2 = CausalLMAdapter(model), CausalLMAdapter(model)
    b = GreedyRationalizer().rationalize(a1, seqs[:6])  # every position of 6 sequences at once
    n = NaiveGreedyRationalizer().rationalize(a2, seqs[:6])
    assert [(r.target_position, r.order, r.recovered) for r in b] == [(r.target_position, r.order, r.recovered) for r in n]
    for x, y in zip(b, n):
        assert x.probabilities == pytest.approx(y.probabilities, abs=1e-5)
    assert all(rows == 1 for rows, _ in a2.forward_log)
    assert len(a1.forward_log) * 5 < len(a2.forward_log)


def test_token_budget_splits_forward_passes_without_changing_results(planted, planted_data):
    model, _ = planted
    seqs, _ = planted_data
    big, small = CausalLMAdapter(model), CausalLMAdapter(model, max_tokens=12)
    r1 = GreedyRationalizer().rationalize(big, seqs[:5])
    r2 = GreedyRationalizer().rationalize(small, seqs[:5])
    assert [r.order for r in r1] == [r.order for r in r2]
    assert all(rows * length <= 12 for rows, length in small.forward_log)
    assert len(small.forward_log) > len(big.forward_log)


def test_max_steps_caps_the_rationale(planted, planted_data):
    model, _ = planted
    seqs, _ = planted_data
    res = GreedyRationalizer(max_steps=1).rationalize(CausalLMAdapter(model), seqs[:5], _last(seqs[:5]))
    assert all(r.length == 1 and not r.recovered for r in res)


def test_bad_target_position_is_a_clear_error(planted):
    from rationalize.errors import RationalizeError

    model, _ = planted
    with pytest.raises(RationalizeError, match="outside"):
        CausalLMAdapter(model).targets([1, 2, 3], [0])

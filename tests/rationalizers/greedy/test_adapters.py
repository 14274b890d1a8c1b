"""Adapters: the plain-module adapter, encoder-decoder masking, word-dropout batches, metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rationalize.models.lm import CausalLMAdapter, Seq2SeqAdapter, TorchLMAdapter
from rationalize.rationalizers.greedy import GreedyRationalizer, NaiveGreedyRationalizer, get_sequential_rationalizer
from rationalize.rationalizers.greedy.compatibility import word_dropout_batch
from rationalize.rationalizers.greedy.metrics import iou, length_ratios, summarize, token_f1


def test_plain_torch_adapter_matches_the_hf_adapter(planted, planted_data):
    model, _ = planted
    seqs, _ = planted_data

    def fwd(ids, pos):
        return model(input_ids=ids, position_ids=pos, attention_mask=torch.ones_like(ids)).logits

    def fwd_e(e, pos):
        return model(inputs_embeds=e, position_ids=pos, attention_mask=torch.ones(e.shape[:2], dtype=torch.long)).logits

    plain = TorchLMAdapter(fwd, embed=model.get_input_embeddings(), forward_embeds=fwd_e)
    hf = CausalLMAdapter(model)
    for name in ("greedy", "input_x_gradient"):
        a = get_sequential_rationalizer(name).rationalize(plain, seqs[:5])
        b = get_sequential_rationalizer(name).rationalize(hf, seqs[:5])
        assert [r.order for r in a] == [r.order for r in b]
    assert not plain.supports_attention


def test_subset_keeps_original_positions(planted, planted_data):
    """Position ids matter: shifting a sparse subset to 0..k-1 changes the prediction's distribution."""
    model, _ = planted
    seqs, ante = planted_data
    ad = CausalLMAdapter(model)
    t = ad.targets(seqs[0], [len(seqs[0]) - 1])[0]
    lp = ad.log_probs([t], [[ante[0], t.query]])[0]
    ids = torch.tensor([[seqs[0][ante[0]], seqs[0][t.query]]])
    direct = torch.log_softmax(model(input_ids=ids, position_ids=torch.tensor([[ante[0], t.query]]),
                                     attention_mask=torch.ones_like(ids)).logits[0, -1], -1)
    shifted = torch.log_softmax(model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0, -1], -1)
    assert torch.allclose(lp, direct, atol=1e-5)
    assert not torch.allclose(lp, shifted, atol=1e-3)


@pytest.fixture(scope="module")
def tiny_bart():
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(0)
    cfg = BartConfig(vocab_size=30, d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                     decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=32,
                     pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2)
    cfg._attn_implementation = "eager"
    return BartForConditionalGeneration(cfg).eval()


def test_seq2seq_masked_tokens_have_no_influence(tiny_bart):
    ad = Seq2SeqAdapter(tiny_bart)
    src, tgt = [5, 6, 7, 8, 9, 10], [11, 12, 13, 14]
    t = ad.targets((src, tgt), [3])[0]
    subset = [1, 4, t.source_length + 1, t.query]
    lp = ad.log_probs([t], [subset])[0]
    other = t.context.clone()
    for p in range(len(other)):
        if p not in subset:
            other[p] = 20 + p % 5
    t2 = ad.targets((other[: t.source_length].tolist(), [int(other[t.source_length + 1]), int(other[t.source_length + 2]), int(other[t.source_length + 3]), 14]), [3])[0]
    assert torch.allclose(lp, ad.log_probs([t2], [subset])[0], atol=1e-5)
    assert not torch.allclose(lp, ad.log_probs([t], [[t.query]])[0], atol=1e-4)


def test_seq2seq_greedy_batched_equals_naive_and_recovers(tiny_bart):
    ad = Seq2SeqAdapter(tiny_bart)
    src = [[5, 6, 7, 8, 9, 10, 11], [12, 13, 14, 15, 16]]
    tgt = [[17, 18, 19], [20, 21, 22, 23]]
    # explain the model's own predictions under the full context
    tids = []
    for s, y in zip(src, tgt):
        ts = ad.targets((s, y))
        lp = ad.log_probs(ts, [list(t.candidates) for t in ts])
        tids.append(lp.argmax(-1).tolist())
    pairs = list(zip(src, tgt))
    b = GreedyRationalizer().rationalize(ad, pairs, target_ids=tids)
    n = NaiveGreedyRationalizer().rationalize(Seq2SeqAdapter(tiny_bart), pairs, target_ids=tids)
    assert [r.order for r in b] == [r.order for r in n]
    assert all(r.recovered for r in b)
    ts = [t for i, (s, y) in enumerate(pairs) for t in ad.targets((s, y), None, tids[i], index=i)]
    _, arg = ad.target_log_probs(ts, [r.rationale_positions for r in b])
    assert arg.tolist() == [r.target_id for r in b]
    assert b[0].source_length == 7


def test_word_dropout_batch_keeps_positions_and_next_tokens():
    rng = np.random.default_rng(0)
    seqs = [list(range(10, 22)), list(range(30, 37))]
    for _ in range(20):
        b = word_dropout_batch(seqs, rng, full_context_prob=0.3)
        for i, s in enumerate(seqs):
            m = b["attention_mask"][i].bool()
            pos = b["position_ids"][i][m].tolist()
            assert pos == sorted(pos) and len(pos) >= 1
            assert b["input_ids"][i][m].tolist() == [s[p] for p in pos]
            assert b["labels"][i][m].tolist() == [s[p + 1] if p + 1 < len(s) else -100 for p in pos]


def test_metrics_match_hand_computation():
    assert iou([1, 2, 3], [2, 3, 4, 5]) == pytest.approx(2 / 5)
    assert token_f1([1, 2, 3], [2, 3, 4, 5]) == pytest.approx(2 * (2 / 3) * (2 / 4) / (2 / 3 + 2 / 4))
    assert token_f1([1], [2]) == 0.0 and iou([], []) == 1.0
    assert length_ratios([3, 4], [3, 2]).tolist() == [1.0, 2.0]

    class R:
        def __init__(self, pos, rec=True, p=0.5):
            self.rationale_positions, self.recovered, self.probabilities = pos, rec, [p]
            self.length, self.probability = len(pos), p

    s = summarize([R([0, 1, 2]), R([1, 3])], [R([0, 2]), R([3])], annotations=[[1, 2], None])
    assert s["mean_length"] == 2.5 and s["ratio_to_optimum"] == pytest.approx((1.5 + 2) / 2)
    assert s["iou"] == pytest.approx(2 / 3) and s["f1"] == pytest.approx(0.8)

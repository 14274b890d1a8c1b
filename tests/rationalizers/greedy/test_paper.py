"""Issue 19: the paper's metrics, the full-context pass, early stopping, safe corpus runs, the word-level view."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from rationalize.errors import DataError
from rationalize.models.lm import CausalLMAdapter
from rationalize.rationalizers.greedy import GreedyRationalizer, get_sequential_rationalizer
from rationalize.rationalizers.greedy.base import SequentialRationale
from rationalize.rationalizers.greedy.metrics import pooled_f1, summarize, token_f1, word_rationale
from rationalize.rationalizers.greedy.words import (
    last_word_positions,
    merge_spans,
    positions_of_spans,
    rationale_words,
    token_words,
    word_spans,
)


def _rat(pos, n, full=True, rec=True, target=None):
    return SequentialRationale("greedy", 0, target if target is not None else n, 7, sorted(pos), list(pos),
                               [0.5] * len(pos), rec, n, full_context_predicts=full, seconds=0.25)


def test_pooled_f1_equals_a_hand_computation():
    # passage 1 (10 context positions): predicted {1, 2, 3}, gold {2, 3, 4, 5}: tp 2, fp 1, fn 2
    # passage 2 (4 positions): predicted {0, 3, 9 (outside the context: ignored)}, gold {0}: tp 1, fp 1, fn 0
    pred, gold, n = [[1, 2, 3], [0, 3, 9]], [[2, 3, 4, 5], [0]], [10, 4]
    tp, fp, fn = 3, 2, 2
    assert pooled_f1(pred, gold, n) == pytest.approx(2 * tp / (2 * tp + fp + fn))
    per_passage = (token_f1([1, 2, 3], [2, 3, 4, 5]) + token_f1([0, 3], [0])) / 2
    s = summarize([_rat([1, 2, 3], 10), _rat([0, 3], 4, full=False, rec=False)], annotations=[[2, 3, 4, 5], [0]])
    assert s["pooled_f1"] == pytest.approx(6 / 10) and s["f1"] == pytest.approx(per_passage)
    assert s["pooled_f1"] != pytest.approx(s["f1"])
    assert s["iou"] == pytest.approx((2 / 5 + 1 / 2) / 2) and s["mean_length"] == 2.5
    assert s["full_context_predicts_rate"] == 0.5 and s["mean_seconds"] == 0.25
    pred_only, miss = s["by_full_context"]["predicts"], s["by_full_context"]["misses"]
    assert pred_only["n"] == 1 and pred_only["recovered_rate"] == 1.0 and pred_only["pooled_f1"] == pytest.approx(4 / 7)
    assert miss["n"] == 1 and miss["recovered_rate"] == 0.0 and miss["mean_length"] == 2
    assert pooled_f1([[]], [[]], [3]) == 0.0
    # a target word of two tokens (positions 5 and 6): the union of both rationales, up to position 5
    assert word_rationale([_rat([1, 4], 5, target=5), _rat([2, 5], 6, target=6)]) == [1, 2, 4, 5]


def test_word_view_maps_tokens_to_words_by_character_offsets():
    text = "The cat sat, happily."
    words = word_spans(text)
    assert [text[s:e] for s, e in words] == ["The", "cat", "sat,", "happily."]
    # <s>, "The", " cat", " sat", ",", " happ", "ily", "."  (leading spaces inside the token spans)
    offsets = [(0, 0), (0, 3), (3, 7), (7, 11), (11, 12), (12, 17), (17, 20), (20, 21)]
    assert token_words(offsets, words) == [None, 0, 1, 2, 2, 3, 3, 3]
    assert rationale_words([4, 6], offsets, words) == [2, 3]
    assert positions_of_spans([(8, 12)], offsets) == [3, 4]  # the human word "sat," -> its two tokens
    assert last_word_positions(offsets, text) == [5, 6, 7]
    assert merge_spans([words[2], words[1]], text) == [(4, 12)]


def test_full_context_pass_and_explaining_the_models_own_prediction(planted, planted_data):
    model, _ = planted
    seqs, _ = planted_data
    ad = CausalLMAdapter(model)
    res = GreedyRationalizer().rationalize(ad, seqs[:4])  # every position: many targets the model misses
    assert {r.full_context_predicts for r in res} == {True, False}
    for r in res:
        ids = seqs[r.sequence][: r.target_position]
        assert r.full_context_predicts == (ad.predict_next(ids) == r.target_id)
        assert r.seconds is not None and r.seconds > 0 and r.searched
    own = GreedyRationalizer(explain="predicted").rationalize(ad, seqs[:4])
    assert all(r.full_context_predicts and r.recovered for r in own)
    assert [r.target_id for r in own] == [ad.predict_next(seqs[r.sequence][: r.target_position]) for r in own]
    # skipping unpredicted targets: no search for them, the same rationales for the others
    ad.reset_log()
    skip = GreedyRationalizer(unpredicted="skip").rationalize(ad, seqs[:4])
    skipped_rows = sum(rows for rows, _ in ad.forward_log)
    ad.reset_log()
    GreedyRationalizer().rationalize(ad, seqs[:4])
    assert skipped_rows < sum(rows for rows, _ in ad.forward_log)
    for a, b in zip(res, skip):
        if a.full_context_predicts:
            assert (a.order, a.recovered, b.searched) == (b.order, b.recovered, True)
        else:
            assert not b.searched and not b.recovered and b.length == a.context_length and b.order[0] == a.order[0]


def test_early_stop_gives_the_same_result_where_the_search_was_not_cut(planted, planted_data):
    model, _ = planted
    seqs, _ = planted_data
    ad = CausalLMAdapter(model)
    for name in ("greedy", "occlusion"):
        full = get_sequential_rationalizer(name).rationalize(ad, seqs[:4])
        cut = get_sequential_rationalizer(name, max_steps=3).rationalize(ad, seqs[:4])
        assert any(r.length > 3 for r in full)  # the limit does cut some searches
        for a, b in zip(full, cut):
            if a.length <= 3:
                assert (a.order, a.recovered) == (b.order, b.recovered), name
                assert a.probabilities == pytest.approx(b.probabilities, abs=1e-6)
            else:
                assert b.length == 3 and not b.recovered and b.order == a.order[:3]


def test_a_bad_record_fails_before_any_model_call(planted, planted_data, tmp_path):
    from rationalize.rationalizers.greedy.corpus import read_corpus, run_corpus
    from rationalize.rationalizers.greedy.synthetic import planted_text, planted_tokenizer

    model, task = planted
    seqs, _ = planted_data
    tok = planted_tokenizer(task)
    ad = CausalLMAdapter(model, tok)
    calls: list[int] = []
    hook = model.register_forward_pre_hook(lambda *a: calls.append(1))
    request_cleanup = hook.remove
    inp = tmp_path / "in.jsonl"
    good = [{"id": f"s{i}", "text": planted_text(task, s)} for i, s in enumerate(seqs[:2])]
    bad = {"id": "s2", "text": planted_text(task, seqs[2]), "target_positions": [3, 99]}
    inp.write_text("".join(json.dumps(r) + "\n" for r in [*good, bad]))
    out = tmp_path / "out.jsonl"
    try:
        with pytest.raises(DataError, match=r"in\.jsonl:3: target_positions \[99\] must lie in 1\.\.9"):
            run_corpus(ad, GreedyRationalizer(), read_corpus(inp), inp, out, model="planted", progress=False)
    finally:
        request_cleanup()
    assert not calls and not out.exists()
    # every shape problem is reported at once, before the model is even needed
    inp.write_text('{"id": "a", "text": 1}\n[1]\n{"id": "a", "text": "k1", "rationale": [[3, 1]]}\n')
    with pytest.raises(DataError) as err:
        read_corpus(inp)
    msg = str(err.value)
    assert all(f"in.jsonl:{k}" in msg for k in (1, 2, 3)) and "rationale" in msg


def test_perplexity_matches_a_hand_computation_and_long_texts_are_chunked(planted, planted_data):
    from rationalize.rationalizers.greedy.compatibility import chunk_sequences, perplexity

    model, _ = planted
    seqs = [s[: 5 + i] for i, s in enumerate(planted_data[0][:4])]  # unequal lengths: padding must not count
    nll, n = 0.0, 0
    with torch.no_grad():
        for s in seqs:
            logits = model(input_ids=torch.tensor([s])).logits[0, :-1]
            nll += float(torch.nn.functional.cross_entropy(logits, torch.tensor(s[1:]), reduction="sum"))
            n += len(s) - 1
    assert perplexity(model, seqs, batch_size=3) == pytest.approx(float(np.exp(nll / n)), rel=1e-4)
    assert chunk_sequences([list(range(10)), [5]], 4) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_incomplete_context_perplexity_scores_the_original_next_token_of_each_kept_token():
    from rationalize.rationalizers.greedy.compatibility import incomplete_context_perplexity, perplexity

    vocab = 12

    def successor(batch):  # a bigram model that knows the sequences count up: token t is followed by t + 1
        return 30.0 * torch.nn.functional.one_hot((batch["input_ids"] + 1) % vocab, vocab).float()

    def uniform(batch):
        return torch.zeros(*batch["input_ids"].shape, vocab)

    seqs = [list(range(i, i + 8)) for i in range(4)]
    # labels are the token that originally followed each kept token, not the next kept one: the successor model
    # is (almost) certain of every one of them, however many tokens were dropped
    assert incomplete_context_perplexity(None, seqs, batch_size=3, logits_fn=successor) == pytest.approx(1.0, abs=1e-6)
    assert incomplete_context_perplexity(None, seqs, logits_fn=uniform) == pytest.approx(vocab, rel=1e-6)
    assert perplexity(None, seqs, logits_fn=successor) == pytest.approx(1.0, abs=1e-6)

    def position(batch):  # predicts from the position id: right only where no token before it was dropped
        return 30.0 * torch.nn.functional.one_hot((batch["position_ids"] + 1) % vocab, vocab).float()

    zero_start = [list(range(8))] * 6
    assert perplexity(None, zero_start, logits_fn=position) == pytest.approx(1.0, abs=1e-6)  # positions kept
    a = incomplete_context_perplexity(None, zero_start, logits_fn=position, seed=1)
    assert a == pytest.approx(1.0, abs=1e-6)  # original positions are kept, so thinning cannot hurt this model
    with pytest.raises(ValueError, match="2 or more"):
        incomplete_context_perplexity(None, [[3]], logits_fn=uniform)


def test_bf16_fine_tuning_follows_the_float32_run_and_keeps_float32_weights(planted, planted_data):
    import copy

    from rationalize.rationalizers.greedy.compatibility import finetune_compatible

    model, _ = planted
    seqs = planted_data[0][:16]
    runs = {}
    for bf16 in (False, True):
        m = copy.deepcopy(model)  # the session fixture must stay untouched
        runs[bf16] = (finetune_compatible(m, seqs, steps=4, batch_size=4, lr=1e-3, seed=3, progress=False, bf16=bf16), m)
    (l32, m32), (l16, m16) = runs[False], runs[True]
    assert all(p.dtype == torch.float32 for p in m16.parameters())
    # the same batches (same seed), losses equal to bfloat16 precision; the weights moved from the start
    assert np.allclose(l16, l32, rtol=0.03), (l16, l32)
    assert any(not torch.equal(a, b) for a, b in zip(m16.parameters(), model.parameters()))


def test_baselines_are_the_posthoc_explainers_on_the_next_token_prediction(planted, planted_data):
    from rationalize.rationalizers.greedy import GradientNormRationalizer, OcclusionRationalizer
    from rationalize.rationalizers.greedy.attribution import target_scores

    model, _ = planted
    seq = planted_data[0][0]
    ad = CausalLMAdapter(model)
    (t,) = ad.targets(seq, [len(seq) - 1])
    # by hand: d log p(y_t) / d embeddings at the original positions, and leave-one-out drops
    emb = model.get_input_embeddings()(t.context[None]).detach().requires_grad_(True)
    logits = model(inputs_embeds=emb, position_ids=torch.arange(len(t.context))[None],
                   attention_mask=torch.ones(1, len(t.context), dtype=torch.long)).logits[0, -1]
    (grad,) = torch.autograd.grad(torch.log_softmax(logits, -1)[t.token_id], emb)
    assert torch.allclose(GradientNormRationalizer().scores(ad, t).float(), grad[0].norm(dim=-1), atol=1e-5)
    n = len(t.context)
    subsets = [[p for p in range(n) if p != i or i == t.query] for i in range(n)]
    lp, _ = ad.target_log_probs([t] * (n + 1), [list(range(n)), *subsets])
    assert torch.allclose(OcclusionRationalizer().scores(ad, t).float(), lp[0] - lp[1:], atol=1e-5)
    assert float(OcclusionRationalizer().scores(ad, t)[t.query]) == 0.0  # the query is never removed
    # any post-hoc explainer runs on the prediction, e.g. LIME (seeded)
    lime = target_scores("lime", ad, t, n_samples=30, seed=0)
    assert lime.shape == (n,) and torch.equal(lime, target_scores("lime", ad, t, n_samples=30, seed=0))

"""Benchmark of sequential rationales (Vafa et al., EMNLP 2021). Prints one JSON object.

1. Synthetic planted language (tiny Llama trained with word dropout, seed 0): antecedent found rate of
   greedy on planted targets, and greedy's length ratio to the exhaustive optimum on short contexts (every
   position, explaining the model's own prediction).
2. SmolLM2-135M (alias ``smollm2``): batched greedy vs the naive one-candidate-per-pass reference on a
   64-token context (same ``max_steps``, same rationale checked), and batched greedy vs the floor set by
   its forward passes (the same forward calls replayed on prepared tensors, nothing else). Timings are
   best-of-``--repeats``, measured side by side in this run.
3. SmolLM2 on a few real sentences: mean rationale length of greedy vs the baselines (model not
   compatibility fine-tuned; the paper fine-tunes GPT-2 first).
4. ``--compat`` (issue 19): compatibility fine-tuning of SmolLM2 on English text under ``../shared/data`` (movie
   reviews, FEVER's Wikipedia pages, e-SNLI premises; 2,000 pieces of up to 64 tokens from each), three arms on
   the same pieces, seed and evaluation: the pretrained model, a control fine-tuned for the same steps on full
   contexts only, and word dropout (``full_context_prob`` 0.5). Each arm: full-context perplexity per held-out
   source (the cost check), perplexity on word-dropped contexts, and greedy (``--max-steps``) on the last
   position of every held-out 80-token passage (movies validation reviews, held-out FEVER pages), explaining
   the model's own prediction and the observed token (searched only where the full context predicts it):
   recovery, length and seconds per target with bootstrap 95% intervals, and lengths paired across arms on
   the passages both recovered, and the recovery rate within every smaller cap (one search gives them all).
   Arms are written to ``--out-dir`` as they finish, keyed by ``--max-steps``; the fine-tuned weights are kept
   there too, so a rerun with another cap evaluates without retraining.
   Only this section runs with ``--compat``.

    nice -n 10 python benchmarks/greedy.py [--skip-smollm2 | --skip-synthetic] [--steps 4] [--threads 2]
    python benchmarks/greedy.py --compat [--ft-steps 300] [--batch-size 8] [--passages 80] [--max-steps 16]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

PASSAGE = (
    "The old lighthouse keeper climbed the narrow stairs every evening at dusk. He carried a small brass lamp, "
    "a notebook and a flask of tea. From the top of the tower he could see the whole bay: the fishing boats "
    "returning to the harbour, the gulls circling above the cliffs, and the lights of the village coming on one "
    "by one. He wrote down the weather, the wind and the ships he saw, as his father had done before him."
)

SENTENCES = [
    "The capital of France is Paris. The capital of Germany is",
    "Alice gave the book to Bob. Then Bob gave the book back to",
    "I put the milk in the fridge, so the milk is in the",
    "Monday, Tuesday, Wednesday,",
    "The cat chased the mouse. The mouse ran away from the",
]


def synthetic(seed: int = 0) -> dict:
    from rationalize.models.lm import CausalLMAdapter
    from rationalize.rationalizers.greedy import (
        BASELINES,
        ExhaustiveRationalizer,
        GreedyRationalizer,
        get_sequential_rationalizer,
    )
    from rationalize.rationalizers.greedy.metrics import summarize
    from rationalize.rationalizers.greedy.synthetic import train_planted_lm

    t0 = time.perf_counter()
    model, task = train_planted_lm(seed=seed)
    train_s = time.perf_counter() - t0
    ad = CausalLMAdapter(model)
    seqs, ante = task.sample(200, seed=seed + 1000, none_rate=0.0)
    last = [[len(s) - 1] for s in seqs]
    g = GreedyRationalizer().rationalize(ad, seqs, last)
    found = float(np.mean([a in r.rationale_positions for r, a in zip(g, ante)]))
    exact = float(np.mean([r.rationale_positions == sorted([a, len(s) - 2]) for r, s, a in zip(g, seqs, ante)]))
    # short contexts, every position, the model's own predictions
    few = seqs[:30]
    tids = [[ad.predict_next(s[:p]) for p in range(1, len(s))] for s in few]
    ga = GreedyRationalizer().rationalize(ad, few, target_ids=tids)
    ea = ExhaustiveRationalizer(max_size=8).rationalize(ad, few, target_ids=tids)
    ep = ExhaustiveRationalizer(max_size=3).rationalize(ad, seqs[:50], last[:50])
    base = {}
    for name in BASELINES:
        r = get_sequential_rationalizer(name).rationalize(ad, seqs[:50], last[:50])
        base[name] = {"mean_length": summarize(r)["mean_length"],
                      "antecedent_found_rate": float(np.mean([a in x.rationale_positions for x, a in zip(r, ante)]))}
    return {
        "train_seconds": round(train_s, 1),
        "planted_targets": len(seqs),
        "antecedent_found_rate": found,
        "rationale_is_query_plus_antecedent_rate": exact,
        "planted": {"greedy": summarize(g[:50], ep)},
        "all_positions_short_contexts": {"max_context_tokens": max(len(s) - 1 for s in few),
                                         "greedy": summarize(ga, ea)},
        "baselines_on_planted_targets": base,
    }


def _time(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def smollm2(steps: int, repeats: int, sentences: bool = True) -> dict:
    from rationalize.models.lm import load_lm
    from rationalize.rationalizers.greedy import (
        BASELINES,
        GreedyRationalizer,
        NaiveGreedyRationalizer,
        get_sequential_rationalizer,
    )
    from rationalize.rationalizers.greedy.metrics import summarize

    t0 = time.perf_counter()
    ad = load_lm("smollm2")
    load_s = time.perf_counter() - t0
    # the passage's own 65th token, explained from the 64 before it (observed targets need more steps than
    # the model's own prediction, so the timing covers several greedy steps)
    full = ad.encode(PASSAGE)
    ids = full[:64]
    args = ([full[:65]], [[64]], None)

    def batched():
        ad.reset_log()
        return GreedyRationalizer(max_steps=steps).rationalize(ad, *args)[0]

    tb, rb = _time(batched, repeats)
    shapes = list(ad.forward_log)
    prepared = [(torch.randint(0, 1000, s), torch.arange(s[1]).expand(s[0], -1).contiguous()) for s in shapes]

    def floor():
        with torch.no_grad():
            for x, p in prepared:
                ad.model(input_ids=x, position_ids=p, attention_mask=torch.ones_like(x), use_cache=False,
                         logits_to_keep=1)

    tf, _ = _time(floor, repeats)
    ad.reset_log()
    tn, rn = _time(lambda: NaiveGreedyRationalizer(max_steps=steps).rationalize(ad, *args)[0], 1)
    naive_passes = len(ad.forward_log)
    speed = {
        "context_tokens": len(ids), "max_greedy_steps": steps, "rationale_length": rb.length,
        "recovered": rb.recovered, "same_rationale": rb.order == rn.order,
        "batched_seconds": round(tb, 3), "naive_seconds": round(tn, 3), "floor_seconds": round(tf, 3),
        "speedup_vs_naive": round(tn / tb, 2), "batched_over_floor": round(tb / tf, 3),
        "batched_forward_passes": len(shapes), "naive_forward_passes": naive_passes,
    }
    if not sentences:
        return {"load_seconds": round(load_s, 1), "speed_64_tokens": speed}
    # real sentences: greedy vs baselines (full search, capped at 24 tokens)
    seqs = [ad.encode(s) for s in SENTENCES]
    tids = [[ad.predict_next(s)] for s in seqs]
    pos = [[len(s)] for s in seqs]
    lengths = {}
    for name in ("greedy", *BASELINES):
        res = get_sequential_rationalizer(name, max_steps=24).rationalize(ad, seqs, pos, tids)
        s = summarize(res)
        lengths[name] = {"mean_length": s["mean_length"], "recovered_rate": s["recovered_rate"]}
    return {"load_seconds": round(load_s, 1), "speed_64_tokens": speed,
            "real_sentences": {"n": len(seqs), "mean_context_tokens": float(np.mean([len(s) for s in seqs])),
                               "methods": lengths}}


def _ci(values: list[float], seed: int = 0, n_boot: int = 2000) -> list[float] | None:
    """Bootstrap 95% interval of the mean (``None`` for fewer than 2 values)."""
    if len(values) < 2:
        return None
    rng = np.random.default_rng(seed)
    v = np.asarray(values, dtype=float)
    means = v[rng.integers(0, len(v), size=(n_boot, len(v)))].mean(1)
    return [round(float(np.percentile(means, 2.5)), 3), round(float(np.percentile(means, 97.5)), 3)]


_PTB = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}"}


def _text(tokens: list[str]) -> str:
    """An ERASER document's tokens as text (Penn Treebank brackets restored)."""
    return " ".join(_PTB.get(t, t) for t in tokens)


def _corpus(ad, context: int, n_passages: int, pieces_per_source: int, seed: int) -> dict:
    """Training pieces and held-out text from three sources under ``../shared/data``: movie reviews (train
    documents / validation documents), FEVER's Wikipedia pages (a seeded 90% / 10% split of the pages) and
    e-SNLI premises (dev premises / test premises). Each source gives the same number of 64-token training
    pieces, so no domain dominates; held-out passages are the first ``context`` + 1 tokens of held-out
    documents (movies and FEVER), half from each."""
    import json as _json
    from pathlib import Path

    from rationalize.data.eraser import read_documents
    from rationalize.rationalizers.greedy.compatibility import chunk_sequences

    data = Path(__file__).resolve().parents[2] / "shared" / "data"
    rng = np.random.default_rng(seed)

    def movie_docids(split: str) -> list[str]:
        ids = set()
        for line in Path(data, "movies", f"{split}.jsonl").read_text().splitlines():
            ids.update(e["docid"] for ev in _json.loads(line)["evidences"] for e in ev)
        return sorted(ids)

    def premises(split: str) -> list[str]:
        return sorted({x.strip() for x in Path(data, "esnli", f"s1.{split}").read_text().splitlines() if x.strip()})

    def enc(texts) -> list[list[int]]:
        return [s for s in (ad.encode(t) for t in texts) if len(s) >= 2]

    movies_train = enc(_text(d.tokens) for d in read_documents(data / "movies", movie_docids("train")).values())
    movies_val = enc(_text(d.tokens) for d in read_documents(data / "movies", movie_docids("val")).values())
    pages = sorted(read_documents(data / "fever").items())
    perm = rng.permutation(len(pages))
    held_pages = {int(i) for i in perm[: len(pages) // 10]}
    fever_train = enc(_text(d.tokens) for i, (_, d) in enumerate(pages) if i not in held_pages)
    fever_held = enc(_text(d.tokens) for i, (_, d) in enumerate(pages) if i in held_pages)
    esnli_train, esnli_test = enc(premises("dev")), enc(premises("test"))

    def sample(pieces: list[list[int]], n: int) -> list[list[int]]:
        return [pieces[i] for i in sorted(rng.permutation(len(pieces))[: min(n, len(pieces))])]

    train = {"movies": sample(chunk_sequences(movies_train, 64), pieces_per_source),
             "fever": sample(chunk_sequences(fever_train, 64), pieces_per_source),
             "esnli": sample(esnli_train, pieces_per_source)}
    heldout = {"movies": sample([s[:64] for s in movies_val], 150), "fever": sample([s[:64] for s in fever_held], 150),
               "esnli": sample(esnli_test, 300)}
    half = n_passages // 2
    passages = ([s[: context + 1] for s in movies_val if len(s) > context][:half]
                + [s[: context + 1] for s in fever_held if len(s) > context][: n_passages - half])
    return {"train": train, "heldout": heldout, "passages": passages}


def _summary(res: list, ids: list[int]) -> dict:
    """Recovery, length and seconds (bootstrap 95% intervals) over the rationales ``res[i]``, ``i in ids``."""
    sel = [res[i] for i in ids]
    if not sel:
        return {"n": 0}
    return {"n": len(sel),
            "recovered_rate": round(float(np.mean([r.recovered for r in sel])), 3),
            "recovered_ci": _ci([float(r.recovered) for r in sel]),
            "mean_length": round(float(np.mean([r.length for r in sel])), 2),
            "mean_length_ci": _ci([float(r.length) for r in sel]),
            "median_length": float(np.median([r.length for r in sel])),
            "mean_seconds": round(float(np.mean([r.seconds for r in sel])), 2),
            "mean_seconds_ci": _ci([float(r.seconds) for r in sel]),
            "max_seconds": round(float(max(r.seconds for r in sel)), 2)}


def _within_caps(rec: dict, max_steps: int) -> dict:
    """Recovery rate within each cap up to ``max_steps``, from one search capped at ``max_steps``. Greedy is
    deterministic and adds one token per step, so a search capped at ``c`` recovers a target exactly when the
    longer search recovered it with a rationale of at most ``c`` tokens: one run gives the whole curve."""
    ids = list(rec["lengths"])
    if not ids:
        return {}
    caps = sorted({c for c in (4, 8, 16, 24, 32, 48, 64) if c <= max_steps} | {max_steps})
    return {str(c): round(float(np.mean([rec["recovered"][i] and rec["lengths"][i] <= c for i in ids])), 3)
            for c in caps}


def _evaluate(ad, corpus: dict, max_steps: int) -> dict:
    """Cost check and greedy search of one model: full-context perplexity per held-out source, perplexity on
    word-dropped contexts (what compatibility is about), then greedy on every held-out passage's last position,
    for the model's own prediction and for the observed token (searched only where the full context predicts
    it). Per-passage lengths are kept, so arms can be paired."""
    from rationalize.rationalizers.greedy import GreedyRationalizer
    from rationalize.rationalizers.greedy.compatibility import incomplete_context_perplexity, perplexity

    pad = ad.tokenizer.pad_token_id or 0
    t0 = time.perf_counter()
    ppl = {k: round(perplexity(ad.model, v, batch_size=8, pad_id=pad), 3) for k, v in corpus["heldout"].items()}
    ppl_dropped = {k: round(incomplete_context_perplexity(ad.model, v, batch_size=8, pad_id=pad), 3)
                   for k, v in corpus["heldout"].items()}
    ppl_s = time.perf_counter() - t0
    passages = corpus["passages"]
    last = [[len(p) - 1] for p in passages]
    out: dict = {"perplexity": ppl, "perplexity_word_dropout": ppl_dropped, "perplexity_seconds": round(ppl_s, 1)}
    for explain in ("predicted", "observed"):
        t0 = time.perf_counter()
        res = GreedyRationalizer(max_steps=max_steps, explain=explain, unpredicted="skip").rationalize(ad, passages, last)
        searched = [i for i, r in enumerate(res) if r.searched]
        out[explain] = {
            "passages": len(passages), "full_context_predicts": sum(r.full_context_predicts for r in res),
            "searched": _summary(res, searched),
            "lengths": {str(i): res[i].length for i in searched},
            "recovered": {str(i): bool(res[i].recovered) for i in searched},
            "seconds": {str(i): round(res[i].seconds, 3) for i in searched},
            "search_seconds_total": round(time.perf_counter() - t0, 1),
        }
        print(json.dumps({explain: out[explain]["searched"]}), flush=True)
    return out


def _paired(a: dict, b: dict, key: str) -> dict:
    """Mean length of arm ``b`` against arm ``a`` on the passages both searched and both recovered (lengths of
    cut searches are caps, not rationales), with a bootstrap 95% interval of the relative change."""
    ids = sorted(set(a[key]["lengths"]) & set(b[key]["lengths"]), key=int)
    ids = [i for i in ids if a[key]["recovered"][i] and b[key]["recovered"][i]]
    if len(ids) < 2:
        return {"n": len(ids)}
    la = np.array([a[key]["lengths"][i] for i in ids], float)
    lb = np.array([b[key]["lengths"][i] for i in ids], float)
    rng = np.random.default_rng(0)
    boot = rng.integers(0, len(ids), size=(2000, len(ids)))
    rel = lb[boot].mean(1) / la[boot].mean(1) - 1
    return {"n": len(ids), "mean_length": [round(float(la.mean()), 2), round(float(lb.mean()), 2)],
            "relative_change": round(float(lb.mean() / la.mean() - 1), 3),
            "relative_change_ci": [round(float(np.percentile(rel, 2.5)), 3), round(float(np.percentile(rel, 97.5)), 3)],
            "shorter_longer_equal": [int((lb < la).sum()), int((lb > la).sum()), int((lb == la).sum())]}


ARMS = ("pretrained", "full_context_finetune", "compatible")


def compat(ft_steps: int, batch_size: int, n_passages: int, max_steps: int, context: int, lr: float,
           pieces_per_source: int, out_dir: str, seed: int = 0, bf16: bool = False,
           arms_run: tuple[str, ...] = ARMS) -> dict:
    """Three arms on the same data, seed and evaluation: the pretrained model, a control fine-tuned on the same
    pieces for the same steps with full contexts only, and compatibility fine-tuning (word dropout). The
    control separates what word dropout does from what in-domain fine-tuning does (the held-out text is the
    training domains' own). Each arm's result is written to ``out_dir`` when it finishes and reused on a rerun
    with the same evaluation (cap, passages, context). ``arms_run`` picks a subset (the paired comparisons need
    both of their arms; the others are left out of the summary)."""
    from pathlib import Path

    from rationalize.models.lm import load_lm
    from rationalize.rationalizers.greedy.compatibility import finetune_compatible

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ad = load_lm("smollm2")
    pad = ad.tokenizer.pad_token_id or 0
    corpus = _corpus(ad, context, n_passages, pieces_per_source, seed)
    train = [s for k in sorted(corpus["train"]) for s in corpus["train"][k]]
    init = {k: v.detach().clone() for k, v in ad.model.state_dict().items()}
    arms: dict = {}
    for arm, full_prob in (("pretrained", None), ("full_context_finetune", 1.0), ("compatible", 0.5)):
        if arm not in arms_run:
            continue
        suffix = "" if (n_passages, context) == (80, 80) else f"_p{n_passages}_c{context}"
        path = out / f"{arm}_cap{max_steps}{suffix}.json"
        if path.exists():
            arms[arm] = json.loads(path.read_text())
            continue
        ad.model.load_state_dict(init)
        rec: dict = {"arm": arm, "uptime_start": _uptime()}
        weights, trained = out / f"{arm}.pt", out / f"{arm}_train.json"
        same = {"full_context_prob": full_prob, "steps": ft_steps, "batch_size": batch_size, "lr": lr,
                "bf16_autocast": bf16}
        if (full_prob is not None and weights.exists() and trained.exists()
                and all(json.loads(trained.read_text()).get(k) == v for k, v in same.items())):
            # weights fine-tuned with these settings by a run with other evaluation settings: no retraining
            ad.model.load_state_dict(torch.load(weights, map_location="cpu"))
            rec["train"] = json.loads(trained.read_text())
        elif full_prob is not None:
            t0 = time.perf_counter()
            losses = finetune_compatible(ad.model, train, steps=ft_steps, batch_size=batch_size, lr=lr,
                                         full_context_prob=full_prob, seed=seed, pad_id=pad, max_length=64,
                                         progress=False, bf16=bf16)
            rec["train"] = {"full_context_prob": full_prob, "steps": ft_steps, "batch_size": batch_size, "lr": lr,
                            "bf16_autocast": bf16,
                            "pieces": {k: len(v) for k, v in corpus["train"].items()},
                            "seconds": round(time.perf_counter() - t0, 1),
                            "seconds_per_step": round((time.perf_counter() - t0) / ft_steps, 3),
                            "first_10_mean_loss": round(float(np.mean(losses[:10])), 3),
                            "last_10_mean_loss": round(float(np.mean(losses[-10:])), 3)}
            torch.save(ad.model.state_dict(), weights)
            trained.write_text(json.dumps(rec["train"]))
            print(json.dumps({arm: rec["train"]}), flush=True)
        rec.update(_evaluate(ad, corpus, max_steps))
        rec["uptime_end"] = _uptime()
        path.write_text(json.dumps(rec))
        arms[arm] = rec
    pairs = [(b, c) for b, c in (("pretrained", "compatible"), ("full_context_finetune", "compatible"),
                                 ("pretrained", "full_context_finetune")) if b in arms and c in arms]
    summary: dict = {}
    for key in ("predicted", "observed"):
        summary[key] = {
            "recovered_rate_among_predicted": {a: arms[a][key]["searched"].get("recovered_rate") for a in arms},
            "recovered_within_cap": {a: _within_caps(arms[a][key], max_steps) for a in arms},
        } | {f"{c}_vs_{b}": _paired(arms[b], arms[c], key) for b, c in pairs}
    summary["perplexity_change"] = {
        f"{c}_vs_{b}": {k: round(arms[c]["perplexity"][k] / arms[b]["perplexity"][k] - 1, 4)
                        for k in arms[b]["perplexity"]}
        for b, c in pairs if c == "compatible"}
    return {"model": "smollm2", "context_tokens": context, "max_steps": max_steps, "passages": len(corpus["passages"]),
            "summary": summary, "arms": {a: {k: v for k, v in r.items() if k not in ("predicted", "observed")}
                                         | {key: r[key]["searched"] for key in ("predicted", "observed")}
                                         for a, r in arms.items()}}


def _uptime() -> str:
    import subprocess

    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-smollm2", action="store_true")
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument("--skip-sentences", action="store_true", help="SmolLM2 timing only")
    ap.add_argument("--steps", type=int, default=4, help="greedy steps timed on the 64-token context")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--compat", action="store_true", help="only the before/after compatibility fine-tuning section")
    ap.add_argument("--ft-steps", type=int, default=300)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--pieces-per-source", type=int, default=2000)
    ap.add_argument("--passages", type=int, default=80)
    ap.add_argument("--max-steps", type=int, default=16)
    ap.add_argument("--context", type=int, default=80)
    ap.add_argument("--bf16", action="store_true", help="fine-tune under bfloat16 autocast (evaluation stays float32)")
    ap.add_argument("--out-dir", default=str(Path(__file__).resolve().parents[1] / "runs" / "greedy_compat"),
                    help="per-arm results, reused on a rerun")
    ap.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS), help="which arms of --compat to run")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.compat:
        print(json.dumps({"compat": compat(a.ft_steps, a.batch_size, a.passages, a.max_steps, a.context, a.lr,
                                           a.pieces_per_source, a.out_dir, bf16=a.bf16,
                                           arms_run=tuple(a.arms))}, indent=2))
        return
    out = {} if a.skip_synthetic else {"synthetic": synthetic()}
    if not a.skip_smollm2:
        out["smollm2"] = smollm2(a.steps, a.repeats, not a.skip_sentences)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

"""Free-text rationales with SmolLM2-135M-Instruct (alias ``smollm2``) on an e-SNLI dev subset. Prints JSON.

1. Generation throughput, measured side by side in this run on the same prompts: batched generation
   (``--batch-size``, left-padded) versus one prompt at a time. Tokens are counted per sequence up to and
   including its EOS (the padding a finished sequence carries while its batch goes on is not counted).
2. LAS (Hase et al. 2020) of the model's explanations on the first ``--las-examples`` dev pairs
   (``--format``, default predict-then-explain: SmolLM2-135M rarely reaches the answer of a chain of
   thought within the token budget; CoT-style prompt in the chat template, greedy), with its 95 % bootstrap
   interval. e-SNLI here has no train split, so the TF-IDF simulator is trained by k-fold
   cross-validation over the results (the output says so). For reference, the LAS of the *human*
   explanations against the gold labels on the first ``--human-examples`` dev pairs.

    nice -n 10 python benchmarks/freetext.py [--data ../shared/data/esnli] [--throughput-examples 8]
        [--las-examples 48] [--max-new-tokens 48] [--batch-size 8] [--threads 1] [--format ...]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("RATIONALIZE_ESNLI",
                                                     str(Path(__file__).resolve().parents[2] / "shared/data/esnli")))
    ap.add_argument("--throughput-examples", type=int, default=8)
    ap.add_argument("--throughput-tokens", type=int, default=32)
    ap.add_argument("--las-examples", type=int, default=48)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1, help="1 is fastest on a shared, busy machine")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--human-examples", type=int, default=500,
                    help="Dev pairs for the reference LAS of the human explanations (no generation needed).")
    ap.add_argument("--format", default="predict-then-explain",
                    help="Format of the LAS run (a 135M model rarely finishes a chain of thought in 48 tokens).")
    ap.add_argument("--out", default=None, help="Also keep the generated results JSONL here.")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from rationalize.data import load_dataset
    from rationalize.metrics.freetext import evaluate_freetext, input_text, simulate_las
    from rationalize.rationalizers.freetext import GenerationConfig, HFGenerator, PromptTemplate, task_for
    from rationalize.rationalizers.freetext.pipeline import generate_rationales

    ds = load_dataset(f"esnli:{args.data}")
    dev = ds["val"]
    template = PromptTemplate(task_for(ds), args.format, "cot")
    t0 = time.perf_counter()
    gen = HFGenerator.from_pretrained("smollm2", chat=True)
    load_s = time.perf_counter() - t0
    out: dict = {"format": args.format, "model": "smollm2 (SmolLM2-135M-Instruct, GGUF Q4_1 dequantised to fp32)", "load_s": round(load_s, 1),
                 "device": f"cpu, {args.threads} torch threads", "data": f"e-SNLI dev ({args.data})"}

    # 1. throughput, batched vs one by one (same prompts, greedy, same max_new_tokens)
    prompts = [template.prompt(ex, ds) for ex in dev[: args.throughput_examples]]
    gen.generate(prompts[:1], GenerationConfig(max_new_tokens=4))  # warm-up
    runs = {}
    for name, bs in (("one_by_one", 1), ("batched", args.batch_size)):
        cfg = GenerationConfig(max_new_tokens=args.throughput_tokens, batch_size=bs)
        t = time.perf_counter()
        outs = gen.generate(prompts, cfg)
        dt = time.perf_counter() - t
        toks = sum(o[0].n_tokens for o in outs)
        runs[name] = {"batch_size": bs, "seconds": round(dt, 2), "tokens": toks, "tokens_per_s": round(toks / dt, 2),
                      "texts": [o[0].text for o in outs]}
    same = runs["batched"].pop("texts") == runs["one_by_one"].pop("texts")
    out["throughput"] = {"examples": len(prompts), "max_new_tokens": args.throughput_tokens, **runs,
                         "speedup": round(runs["batched"]["tokens_per_s"] / runs["one_by_one"]["tokens_per_s"], 2),
                         "identical_outputs": same}

    # 2. LAS of the model's explanations
    results = Path(args.out) if args.out else Path(os.environ.get("TMPDIR", "/tmp")) / f"freetext_bench_{os.getpid()}.jsonl"
    if not args.out:
        results.unlink(missing_ok=True)
    reused = results.exists()  # --out of an earlier run: generation resumes (its time is then not comparable)
    exs = dev[: args.las_examples]
    t = time.perf_counter()
    generate_rationales(gen, ds, exs, template, results,
                        GenerationConfig(max_new_tokens=args.max_new_tokens, batch_size=args.batch_size), progress=False)
    gen_s = time.perf_counter() - t
    from rationalize.rationalizers.freetext.pipeline import read_freetext_results

    records = read_freetext_results(results, ds, "val")
    scores, _ = evaluate_freetext(records, ds, "val", folds=args.folds, n_boot=1000)
    out["generation"] = {"examples": len(exs), "seconds": None if reused else round(gen_s, 1), "resumed": reused, "max_new_tokens": args.max_new_tokens,
                         "parse_rate": scores["parse_rate"], "status_counts": scores["status_counts"],
                         "accuracy": scores.get("accuracy"),
                         "example": {"prompt": records[0]["prompt"], "output": records[0]["outputs"][0]["text"]}}
    out["las"] = scores["las"]
    out["similarity_to_human"] = scores.get("similarity")
    out["length_and_readability"] = scores["length_and_readability"]
    hum = dev[: args.human_examples]
    human = simulate_las([input_text(template.task.fields(ex, ds)) for ex in hum], [ex.explanations[0] for ex in hum],
                         [ex.label for ex in hum], k=args.folds, n_boot=1000,
                         groups=[" ".join(ds.doc(ex.docids[0]).tokens) for ex in hum])  # one premise, one fold
    out["las_human_explanations_vs_gold"] = {k: human[k] for k in ("las", "ci_low", "ci_high", "n", "acc_x", "acc_e",
                                                                   "acc_xe", "simulator_training")}
    if not args.out:
        results.unlink(missing_ok=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

"""Faithfulness engine speed: comprehensiveness + sufficiency + 5 AOPC bins on ERASER movies test.

Classifier: MiniLM-L6 (alias ``minilm``) with an untrained 2-label head, 512-piece overlapping windows
for long reviews (:class:`rationalize.models.hf_classifier.HFClassifier`); speed does not depend on the
head's weights. Rationales: the gold spans as hard rationales and seeded random soft scores; the
unperturbed prediction is given (the engine never recomputes it), so every method computes the same
12 perturbed predictions per example (comp, suff, and comp/suff for bins 1/5/10/20/50 %).

Measured side by side in one run, on the first ``--examples`` test reviews (the ``summary`` block puts
the numbers the targets are about next to each other, with the load average at start and end):

* ``floor``: only the forward passes the computation needs: every window of every perturbed input,
  pre-tokenised and collated, run with each candidate batching -- ``--batch-sizes`` windows a pass over
  the windows sorted by length, and :func:`~rationalize.models.windows.length_batches` with each of
  ``--budgets`` padded pieces a pass -- and the floor is the fastest of them in CPU seconds.
  Tokenisation and perturbation are excluded, so ``engine / floor`` is the engine's whole overhead,
  batching rule included.
* ``engine``: :class:`~rationalize.engine.FaithfulnessEngine` with the floor's batching;
* ``engine_cli_defaults``: the engine as ``rationalize faithfulness`` runs it (every default, the model's
  own window batching rule);
* ``one_at_a_time``: the same computation one example at a time, one perturbed input per forward call
  (the plain loop), on the first ``--naive-examples`` reviews; ``per_example_batched``: one call per
  example with its 12 perturbed inputs;
* ``building_windows_seconds``: CPU seconds to turn every perturbed input into windows, tokenising each
  input on its own vs selecting its pieces from the example's (what the engine does now);
* with ``--onnx``: the floor sweep and the CLI-default engine again on the ONNX Runtime backend
  (:mod:`rationalize.models.onnx_backend`), and the largest probability difference from torch.

    nice -n 10 python benchmarks/faithfulness.py [--examples 12] [--naive-examples 3] [--threads 2] [--words 190] [--onnx]
        [--batch-sizes 1,4,8,16] [--budgets 512,1024,2048,4096]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from _machine import machine  # benchmarks/_machine.py (this folder is on sys.path when run as a script)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("RATIONALIZE_MOVIES", "../shared/data/movies"))
    ap.add_argument("--examples", type=int, default=12)
    ap.add_argument("--naive-examples", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-sizes", default="1,4,8,16", help="fixed window batch sizes tried for the floor")
    ap.add_argument("--budgets", default="512,1024,2048,4096", help="padded-piece budgets tried for the floor")
    ap.add_argument("--words", type=int, default=None, help="cut every review to its first N words (a 256-piece "
                    "set: --words 190)")
    ap.add_argument("--onnx", action="store_true", help="also the ONNX Runtime backend: its floor and the engine on it")
    args = ap.parse_args()
    load0 = [round(x, 2) for x in os.getloadavg()]

    import torch

    torch.set_num_threads(args.threads)
    from rationalize.data.eraser import load_eraser
    from rationalize.data.results import DocRationale, Result
    from rationalize.engine import FaithfulnessEngine
    from rationalize.models.base import ClassifierInput
    from rationalize.models.hf_classifier import HFClassifier
    from rationalize.models.windows import example_input, length_batches

    ds = load_eraser(args.data, splits=["test"])
    examples = ds["test"][: args.examples]
    if args.words:  # shorter reviews: the documents cut, the human spans clipped to what is left
        from dataclasses import replace

        from rationalize.data.schema import Document

        for ex in examples:
            doc = ds.doc(ex.docids[0])
            ds.documents[doc.docid] = Document(doc.docid, doc.tokens[: args.words],
                                               [(a, min(b, args.words)) for a, b in doc.sentences if a < args.words])
            ex.evidence_groups = [[replace(ev, end_token=min(ev.end_token, args.words)) for ev in g
                                   if ev.start_token < args.words] for g in ex.evidence_groups]
    rng = np.random.default_rng(0)
    clf = HFClassifier("minilm", ds.labels)
    bins = (0.01, 0.05, 0.1, 0.2, 0.5)

    results = []
    for ex in examples:
        doc = ds.doc(ex.docids[0])
        spans, last = [], -1
        for s, e in sorted({(ev.start_token, ev.end_token) for ev in ex.evidences}):
            if s >= last:
                spans.append((s, e))
                last = e
        results.append(Result(ex.id, [DocRationale(doc.docid, spans, soft=rng.random(len(doc)).tolist())]))
    # the unperturbed prediction, as a results file from elsewhere would carry it (not timed)
    full = clf.predict_proba([example_input(ds, ex) for ex in examples])
    results = [Result(r.annotation_id, r.rationales, clf.labels[int(p.argmax())], dict(zip(clf.labels, map(float, p))))
               for r, p in zip(results, full)]

    # every perturbed input the metrics need (built by the engine itself, not timed here)
    jobs = FaithfulnessEngine(clf, progress=False).perturbed_inputs(ds, "test", results, bins)
    per_example = len(jobs) // len(results)
    windows = clf.windows([inp for _, _, inp in jobs])
    order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids))
    lengths = [len(w.ids) for w in windows]

    clf.eval()  # predict_proba restores the module's mode afterwards; the floor must run without dropout too

    def clock() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    def since(t0: tuple[float, float]) -> dict[str, float]:
        w, c = clock()
        return {"wall": w - t0[0], "cpu": c - t0[1]}

    def run_batches(batches: list[list[int]]) -> dict[str, float]:
        collated = [clf.collate([windows[i] for i in b]) for b in batches]
        clf.eval()
        t = clock()
        with torch.no_grad():
            for batch in collated:
                clf.window_logits(batch)
        return since(t)

    sizes = [int(x) for x in args.batch_sizes.split(",")]
    budgets = [int(x) for x in args.budgets.split(",")]
    candidates = {**{f"batch {b}": [order[k: k + b] for k in range(0, len(order), b)] for b in sizes},
                  **{f"budget {p}": length_batches(lengths, None, p) for p in budgets}}

    def floor_sweep() -> tuple[dict[str, dict[str, float]], str]:
        """Every candidate batching of all the windows (a short warm-up first); the floor is the best."""
        run_batches([order[:8]])
        got = {name: run_batches(b) for name, b in candidates.items()}
        return got, min(got, key=lambda n: got[n]["cpu"])

    def tokenisation() -> dict[str, float]:
        """CPU seconds to build every window of every perturbed input: each input tokenised on its own (the
        plain path) vs perturbations selected from the example's pieces (what the engine does)."""
        fresh = FaithfulnessEngine(clf, progress=False).perturbed_inputs(ds, "test", results, bins)
        t = time.process_time()
        clf.windows([ClassifierInput(list(inp.tokens), inp.query) for _, _, inp in fresh])
        plain = time.process_time() - t
        fresh = FaithfulnessEngine(clf, progress=False).perturbed_inputs(ds, "test", results, bins)
        t = time.process_time()
        clf.windows([inp for _, _, inp in fresh])
        return {"plain_tokenizer_cpu": round(plain, 4), "perturbed_pieces_cpu": round(time.process_time() - t, 4)}

    torch_sweep, torch_best = floor_sweep()
    floor = torch_sweep[torch_best]
    best_b = int(torch_best.split()[1]) if torch_best.startswith("batch") else None

    engine = FaithfulnessEngine(clf, token_budget=10**9, batch_size=best_b, progress=False)
    if best_b is None:  # the best was a piece budget: the engine with that budget
        clf.piece_budget, saved_budget = int(torch_best.split()[1]), clf.piece_budget
    t = clock()
    out = engine.run(ds, "test", results, aopc_thresholds=bins)
    t_engine = since(t)
    if best_b is None:
        clf.piece_budget = saved_budget
    assert engine.n_forward_inputs_ == len(jobs) and all(len(r.thresholded_scores) == 5 for r in out)
    # what `rationalize faithfulness` runs: every default (token budget, the model's own window batch)
    t = clock()
    out_cli = FaithfulnessEngine(clf, progress=False).run(ds, "test", results, aopc_thresholds=bins)
    t_cli = since(t)

    def probs(rs):
        return [v for r in rs for d in [r.comprehensiveness_classification_scores, r.sufficiency_classification_scores]
                + [x for ts in r.thresholded_scores for x in (ts.comprehensiveness_classification_scores,
                                                               ts.sufficiency_classification_scores)]
                for v in d.values()]

    onnx_report = None
    if args.onnx:
        from rationalize.models.onnx_backend import use_onnx, use_torch

        use_onnx(clf, threads=args.threads)
        onnx_sweep, onnx_best = floor_sweep()
        onnx_floor = onnx_sweep[onnx_best]
        t = clock()
        out_onnx = FaithfulnessEngine(clf, progress=False).run(ds, "test", results, aopc_thresholds=bins)
        t_onnx = since(t)
        use_torch(clf)
        diff = max(abs(a - b) for a, b in zip(probs(out_cli), probs(out_onnx)))
        onnx_report = {
            "onnx_floor_seconds": {k: round(v, 3) for k, v in onnx_floor.items()},
            "onnx_floor_batching": onnx_best,
            "onnx_floor_sweep_seconds": {n: {k: round(v, 3) for k, v in x.items()} for n, x in onnx_sweep.items()},
            "engine_cli_defaults_onnx_seconds": {k: round(v, 3) for k, v in t_onnx.items()},
            "speedup_onnx_engine_vs_torch_floor": {k: floor[k] / t_onnx[k] for k in ("cpu", "wall")},
            "speedup_onnx_floor_vs_torch_floor": {k: floor[k] / onnx_floor[k] for k in ("cpu", "wall")},
            "onnx_engine_over_onnx_floor": {k: t_onnx[k] / onnx_floor[k] for k in ("cpu", "wall")},
            "max_abs_probability_diff_onnx_vs_torch": diff,
            "targets": {"speedup_onnx_engine_vs_torch_floor": ">= 1.5 (256-piece set), >= 1.25 (full reviews)"},
        }
    tok = tokenisation()

    naive_rows = {r: [(slot, inp) for aid, slot, inp in jobs if aid == results[r].annotation_id]
                  for r in range(args.naive_examples)}
    t = clock()
    one = [clf.predict_proba([inp], batch_size=1)[0] for rows in naive_rows.values() for _, inp in rows]
    t_one = since(t)
    t = clock()
    for rows in naive_rows.values():
        clf.predict_proba([inp for _, inp in rows], batch_size=len(rows))
    t_per_ex = since(t)

    # the engine's numbers equal the one-at-a-time loop's
    got = {}
    for r in range(args.naive_examples):
        res = out[r]
        got[r] = [res.comprehensiveness_classification_scores, res.sufficiency_classification_scores] + [
            d for ts in res.thresholded_scores for d in (ts.comprehensiveness_classification_scores,
                                                         ts.sufficiency_classification_scores)]
    ref = iter(one)
    max_diff = 0.0
    for r, rows in naive_rows.items():
        slots = {slot: next(ref) for slot, _ in rows}
        want = [slots[("comp",)], slots[("suff",)]] + [slots[(k, t)] for t in bins for k in ("comp", "suff")]
        for a, b in zip(got[r], want):
            max_diff = max(max_diff, max(abs(a[lab] - float(v)) for lab, v in zip(clf.labels, b)))

    n, m = len(results), args.naive_examples
    rate = {k: {"engine": n / t_engine[k], "one_at_a_time": m / t_one[k], "per_example_batched": m / t_per_ex[k],
                "floor": n / floor[k]} for k in ("cpu", "wall")}
    report = {
        "data": f"ERASER movies test, first {n} of {len(ds['test'])} reviews "
                f"(one-at-a-time baselines on the first {m})",
        "model": "MiniLM-L6 (minilm), untrained 2-label head, 512-piece windows",
        "threads": args.threads,
        "machine": machine(),
        "timing_note": "cpu = process CPU seconds (robust on a shared machine), wall = elapsed seconds",
        "perturbed_inputs_per_example": per_example,
        "windows_per_example": len(windows) / n,
        "torch_floor_batching": torch_best,
        "torch_floor_sweep_seconds": {n: {k: round(v, 3) for k, v in x.items()} for n, x in torch_sweep.items()},
        "cli_default_piece_budget": {"torch": clf.piece_budget, "onnx": clf.onnx_piece_budget},
        "building_windows_seconds": tok,
        "examples_per_s": rate,
        "speedup_vs_one_at_a_time": {k: rate[k]["engine"] / rate[k]["one_at_a_time"] for k in rate},
        "speedup_vs_per_example_batched": {k: rate[k]["engine"] / rate[k]["per_example_batched"] for k in rate},
        "engine_over_floor": {k: t_engine[k] / floor[k] for k in rate},
        "engine_cli_defaults_over_floor": {k: t_cli[k] / floor[k] for k in rate},
        "words_per_review": args.words or "full",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "load_average_at_start": load0,
        "max_abs_diff_engine_vs_one_at_a_time": max_diff,
        "targets": {"speedup_vs_one_at_a_time": ">= 5", "engine_over_floor": "<= 1.3",
                    "engine_cli_defaults_over_floor": "<= 1.1"},
    }
    summary = {
        "torch_floor_cpu_s": round(floor["cpu"], 3),
        "engine_cli_defaults_torch_cpu_s": round(t_cli["cpu"], 3),
        "engine_cli_defaults_torch_over_torch_floor": round(t_cli["cpu"] / floor["cpu"], 3),
    }
    if onnx_report is not None:
        report["onnx"] = onnx_report
        summary.update({
            "onnx_floor_cpu_s": round(onnx_report["onnx_floor_seconds"]["cpu"], 3),
            "engine_cli_defaults_onnx_cpu_s": round(onnx_report["engine_cli_defaults_onnx_seconds"]["cpu"], 3),
            "onnx_floor_speedup_vs_torch_floor": round(onnx_report["speedup_onnx_floor_vs_torch_floor"]["cpu"], 3),
            "onnx_engine_speedup_vs_torch_floor": round(onnx_report["speedup_onnx_engine_vs_torch_floor"]["cpu"], 3),
            "onnx_engine_over_onnx_floor": round(onnx_report["onnx_engine_over_onnx_floor"]["cpu"], 3),
            "max_abs_probability_diff_onnx_vs_torch": onnx_report["max_abs_probability_diff_onnx_vs_torch"],
        })
    summary["load_average_start_end"] = [load0, [round(x, 2) for x in os.getloadavg()]]
    report = {"summary": summary, **report}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Select-then-predict rationalizers: planted-rationale recovery, shortcut ablation of noise injection,
ERASER movies table. Prints JSON; every run is appended to ``--log`` (JSONL) as soon as it finishes and
skipped when the script is re-run (resume).

    nice -n 10 python benchmarks/select_predict.py --part synthetic
    nice -n 10 python benchmarks/select_predict.py --part shortcut --seeds 0 1 2
    nice -n 10 python benchmarks/select_predict.py --part movies --methods gumbel --noise 0 0.1

Every run is also scored under the equal-sparsity rule ``top-k`` (``token_f1_top_k``, ``accuracy_top_k`` at
``k`` = the sparsity target); ``benchmarks/select_predict_ni.py`` is the paired noise-injection experiment
with random and select-all rows at the same k.

Metrics come from :func:`rationalize.metrics.evaluate` (ERASER scorer): token F1 and IOU F1 are the
instance-macro / macro averages of the official score file; comprehensiveness and sufficiency are
computed by :class:`rationalize.engine.faithfulness.FaithfulnessEngine` on the hard rationales.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

import torch

from rationalize.data import load_dataset, make_synthetic
from rationalize.data.jsonl import JsonlAppender, iter_jsonl
from rationalize.engine.faithfulness import FaithfulnessEngine
from rationalize.metrics import evaluate
from rationalize.rationalizers.select_predict.training import train_rationalizer

SYNTH_KW = dict(encoder="cnn", embeddings=None, hidden=32, freeze_embeddings=False, warmup_steps=30)
SYNTH_METHOD_KW = {"gumbel": dict(complement_weight=1.0), "lei2016": dict(complement_weight=0.3),
                   "hardkuma": dict(complement_weight=0.3),
                   "fresh": dict(extractor="input-x-gradient", rationale_type="threshold", trained_extractor=True)}


def scores_of(model, ds, split: str, faithfulness: bool = True) -> dict:
    start = time.perf_counter()
    results = model.predict_results(ds, split)
    if faithfulness:
        results = FaithfulnessEngine(model, progress=False).run(ds, split, results, aopc_thresholds=())
        for r in results:
            r.thresholded_scores = None
    s = evaluate(ds, split, results, detect="any_line")  # the first line may have an empty rationale
    if "token_prf" not in s:  # no line has any hard rationale at all
        zero = {"p": 0.0, "r": 0.0, "f1": 0.0}
        s["token_prf"] = {"instance_macro": zero, "instance_micro": zero}
        s["iou_scores"] = [{"macro": zero}]
    cls = s["classification_scores"]
    out = {
        "accuracy": cls["accuracy"], "macro_f1": cls["prf"]["macro avg"]["f1-score"],
        "token_f1": s["token_prf"]["instance_macro"]["f1"], "token_f1_micro": s["token_prf"]["instance_micro"]["f1"],
        "token_p": s["token_prf"]["instance_macro"]["p"], "token_r": s["token_prf"]["instance_macro"]["r"],
        "iou_f1": s["iou_scores"][0]["macro"]["f1"], "token_auprc": s["token_soft_metrics"]["auprc"],
        "comprehensiveness": cls["comprehensiveness"], "sufficiency": cls["sufficiency"],
        "selection_rate": _selection_rate(ds, split, results), "gold_fraction": ds.mean_rationale_fraction(split),
        "eval_seconds": time.perf_counter() - start,
    }
    # the equal-sparsity rule: k_tokens(target, words) highest soft scores per document, the predictor reading them
    top = evaluate(ds, split, model.predict_results(ds, split, rule="top-k"), detect="any_line")
    out.update({"token_f1_top_k": top["token_prf"]["instance_macro"]["f1"],
                "accuracy_top_k": top["classification_scores"]["accuracy"], "k": model.sparsity_})
    return out, results


def _selection_rate(ds, split, results) -> float:
    rates = []
    for ex, r in zip(ds[split], results):
        n = sum(len(d) for d in ds.docs_of(ex))
        sel = sum(e - s for rat in r.rationales for s, e in rat.hard)
        rates.append(sel / max(1, n))
    return sum(rates) / max(1, len(rates))


def shortcut_selection(ds, split, results) -> float:
    """Fraction of shortcut-word occurrences that the rationales select."""
    hit = total = 0
    for ex, r in zip(ds[split], results):
        pos = ex.metadata.get("shortcut_positions", [])
        rat = r.rationale_for(ex.docids[0])
        chosen = {t for s, e in rat.hard for t in range(s, e)}
        hit += sum(p in chosen for p in pos)
        total += len(pos)
    return hit / max(1, total)


def run(key: str, log: JsonlAppender, done: dict, fn) -> dict:
    if key in done:
        return done[key]
    start = time.perf_counter()
    rec = fn()
    rec = {"id": key, **rec, "seconds": time.perf_counter() - start}
    log.append(rec)
    done[key] = rec
    print(json.dumps(rec), file=sys.stderr, flush=True)
    return rec


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["synthetic", "shortcut", "movies"], required=True)
    ap.add_argument("--methods", nargs="+", default=["lei2016", "gumbel", "hardkuma", "fresh"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--noise", nargs="+", type=float, default=[0.0, 0.2])
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--encoder", default=None)
    ap.add_argument("--movies", default="/work/shared/data/movies")
    ap.add_argument("--log", default="benchmarks/results/select_predict.jsonl")
    ap.add_argument("--shortcut-rate", type=float, default=0.6)
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--max-length", type=int, default=2048)
    ap.add_argument("--complement", type=float, default=0.3)
    ap.add_argument("--sparsity", type=float, default=None, help="selection target (default: train human fraction)")
    ap.add_argument("--extractor", default="attention", help="fresh: explainer of the support model")
    ap.add_argument("--support-model", default=None, help="fresh: saved classifier used as the support model")
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--patience", type=int, default=2)
    ap.add_argument("--continuity-weight", type=float, default=1.0, help="movies: weight of the continuity term")
    ap.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="movies: extra constructor parameter of the method (JSON value), e.g. lagrange_lr=0.005")
    ap.add_argument("--predictor-warmup", type=int, default=0, help="movies: predictor-only steps on whole documents first")
    ap.add_argument("--tag-epochs", action="store_true",
                    help="movies: put --epochs in the record id (to extend finished runs by resuming their checkpoints)")
    ap.add_argument("--warmup-steps", type=int, default=50, help="movies: steps before the sparsity terms ramp in")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    log = JsonlAppender(args.log, id_field="id")
    finished = log.done_ids()  # also drops a partial last line of a killed run
    done = {}
    if finished:
        done = {rec["id"]: rec for _, rec in iter_jsonl(args.log) if isinstance(rec, dict) and rec.get("id") in finished}
    out: dict = {"part": args.part, "runs": []}

    if args.part == "synthetic":
        ds = make_synthetic(seed=0, train=600, val=100, test=200)
        for seed in args.seeds:
            for method in args.methods:
                def fn(method=method, seed=seed):
                    m = train_rationalizer(ds, method, None, epochs=args.epochs or 10, batch_size=16, lr=5e-3, patience=3,
                                           seed=seed, progress=False, **{**SYNTH_KW, **SYNTH_METHOD_KW[method]})
                    s, _ = scores_of(m, ds, "test")
                    return {"method": method, "seed": seed, "train_seconds": m.train_seconds_,
                            "complement_weight": m.complement_weight, **s}
                out["runs"].append(run(f"synthetic/{method}/seed{seed}", log, done, fn))
    elif args.part == "shortcut":
        for noise in args.noise:
            for seed in args.seeds:
                for method in args.methods:
                    ds = make_synthetic(seed=seed, train=600, val=100, test=200, shortcut_rate=args.shortcut_rate)

                    def fn(method=method, seed=seed, noise=noise, ds=ds):
                        kw = {**SYNTH_KW, **SYNTH_METHOD_KW[method], "complement_weight": 0.0}
                        m = train_rationalizer(ds, method, None, epochs=args.epochs or 10, batch_size=16, lr=5e-3,
                                               patience=3, seed=seed, progress=False, noise_injection=noise, **kw)
                        s, res = scores_of(m, ds, "test", faithfulness=False)
                        train_res = m.predict_results(ds, "train")
                        return {"method": method, "seed": seed, "noise": noise, "train_seconds": m.train_seconds_,
                                "shortcut_selected_test": shortcut_selection(ds, "test", res),
                                "shortcut_selected_train": shortcut_selection(ds, "train", train_res), **s}
                    out["runs"].append(run(f"shortcut{args.shortcut_rate}/{method}/noise{noise}/seed{seed}", log, done, fn))
        out["summary"] = summarize(out["runs"], lambda r: f"{r['method']}/noise{r['noise']}",
                                   ("shortcut_selected_test", "shortcut_selected_train", "token_f1", "accuracy"))
    else:
        ds = load_dataset(args.movies)
        extra = {k: json.loads(v) for k, v in (p.split("=", 1) for p in args.param)}
        for noise in args.noise:
            for seed in args.seeds:
                for method in args.methods:
                    # the record id names the configuration; its checkpoint folder is the id without the
                    # epoch budget, so a longer run (--tag-epochs) resumes the shorter one's checkpoints
                    config = f"movies/{args.encoder or 'cnn'}{args.hidden}/{method}/noise{noise}/seed{seed}/c{args.complement}/L{args.max_length}"
                    if args.sparsity is not None or args.support_model:
                        config += f"/s{args.sparsity}/{args.extractor}/support={args.support_model}"
                    if args.warmup_steps != 50:
                        config += f"/warmup{args.warmup_steps}/lr{args.lr}"
                    if args.continuity_weight != 1.0:
                        config += f"/cw{args.continuity_weight}"
                    config += "".join(f"/{k}={v}" for k, v in sorted(extra.items()))
                    if args.predictor_warmup:
                        config += f"/predictor_warmup{args.predictor_warmup}"
                    tag = config + (f"/epochs{args.epochs}" if args.tag_epochs else "")

                    def fn(method=method, seed=seed, noise=noise, config=config):
                        kw = dict(encoder=args.encoder or "cnn", embeddings="glove50", hidden=args.hidden, warmup_steps=args.warmup_steps,
                                  max_length=args.max_length, complement_weight=args.complement, sparsity=args.sparsity,
                                  continuity_weight=args.continuity_weight, predictor_warmup_steps=args.predictor_warmup, **extra)
                        if method == "fresh":
                            kw.pop("complement_weight")
                            kw.update(extractor=args.extractor, support_model=args.support_model)
                        m = train_rationalizer(ds, method, Path("runs/select_predict_movies") / config.replace("/", "_"),
                                               epochs=args.epochs or 6, batch_size=args.batch_size,
                                               lr=args.lr or (1e-3 if (args.encoder or "cnn") in ("cnn", "bigru") else 3e-5),
                                               patience=args.patience, seed=seed, progress=False, noise_injection=noise, **kw)
                        s, _ = scores_of(m, ds, "test")
                        return {"method": method, "seed": seed, "noise": noise, "encoder": kw["encoder"], "hidden": args.hidden,
                                "max_length": args.max_length, "complement_weight": kw.get("complement_weight", 0.0),
                                "train_seconds": m.train_seconds_, "best_epoch": m.history_.best_epoch,
                                "sparsity_target": m.sparsity_, "extractor": kw.get("extractor"),
                                "warmup_steps": args.warmup_steps, "epochs_run": len(m.history_.epochs),
                                "resumed_from_epoch": m.history_.resumed_from,
                                "continuity_weight": m.continuity_weight, "predictor_warmup_steps": args.predictor_warmup, **({"params": extra} if extra else {}),
                                "support_model": kw.get("support_model"), **s}
                    out["runs"].append(run(tag, log, done, fn))
        # one line per configuration: mean and std over the seeds that ran it
        out["summary"] = summarize(out["runs"], lambda r: re.sub(r"/seed\d+", "", r["id"]),
                                   ("macro_f1", "token_f1", "iou_f1", "token_auprc", "comprehensiveness",
                                    "sufficiency", "selection_rate", "train_seconds"))
    print(json.dumps(out, indent=1))


def summarize(runs: list[dict], key, metrics: tuple[str, ...]) -> dict:
    """Mean and (population) std of ``metrics`` over the runs that share ``key(run)``."""
    groups: dict[str, list[dict]] = {}
    for r in runs:
        groups.setdefault(key(r), []).append(r)
    return {k: {m: {"mean": statistics.mean(x[m] for x in v), "std": statistics.pstdev(x[m] for x in v), "n": len(v)}
                for m in metrics}
            for k, v in groups.items()}


if __name__ == "__main__":
    main()

"""Noise injection at equal sparsity: paired seeds, noise 0 / 0.1 / 0.2, paired bootstrap CIs (issue 15).

Every arm trains the same method with the same seeds; only ``noise_injection`` differs. Each trained model
is scored on the test split under its own selection rule and under ``top-k`` (``k_tokens(ρ, words)`` per
document, ρ the sparsity target), beside two baselines at the same k: random words and every word. For
every noise rate > 0 the table gives the difference NI − no-NI of token F1 at equal k, token AUPRC of the
soft scores and accuracy, with a 95 % paired bootstrap interval that resamples seeds and reviews.

    nice -n 10 python benchmarks/select_predict_ni.py --part movies --methods a2r --seeds 0 1 2
    nice -n 10 python benchmarks/select_predict_ni.py --part synthetic --methods a2r --seeds 0 1 2
    nice -n 10 python benchmarks/select_predict_ni.py --part fever --methods a2r gumbel --noise 0 0.2 --seeds 0

``--part fever`` selects whole sentences (:mod:`rationalize.rationalizers.select_predict.sentences`) on ERASER
FEVER, which is shipped here without its train split: models train on a seeded 90 % of val, stop early on
the other 10 % and are tested on test; ρ defaults to the training part's gold sentence fraction and
sentence F1 / sentence AUPRC join the tables.

The arms are trials of :func:`rationalize.engine.sweep.run_sweep`: ``--executor tune`` runs them as Ray Tune
trials (``--threads`` CPUs each, ``--max-concurrent`` at once, a local Ray or ``--address``), with the records
a local run gives.

Records (one JSON line per run, written as soon as the run ends; a rerun skips them: resume) go to
``--log``; the summary (tables and intervals) is printed as JSON and written to ``--summary``, and as
Markdown tables next to it (``.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from rationalize.data import load_dataset, make_synthetic
from rationalize.data.results import DocRationale, Result
from rationalize.data.schema import mask_to_spans
from rationalize.engine.sweep import SWEEP_EXECUTORS, Trial, run_sweep
from rationalize.metrics import evaluate
from rationalize.metrics.evaluate import per_example_metrics
from rationalize.rationalizers.discretize import top_k
from rationalize.rationalizers.select_predict.training import method_train_defaults, train_rationalizer

RULES = ("own", "top-k")
#: per-epoch terms kept in each record's ``history`` (train_* and val_* of these names)
HISTORY_KEYS = ("epoch", "l0", "lambda_sparsity", "selection_rate", "accuracy", "ce", "objective")


def sentence_prf(ds, split: str, results: list[Result]) -> list[float]:
    """Per example, F1 of the selected sentences (every word selected) against the human evidence
    sentences (the union of its evidence groups); 0 when nothing correct is selected."""
    out = []
    for ex, r in zip(ds[split], results):
        gold, pred = set(), set()
        for ev in ex.evidences:
            gold.update((ev.docid, i) for i in range(ev.start_sentence, ev.end_sentence))
        for rat in r.rationales:
            doc = ds.doc(rat.docid)
            hard = np.zeros(len(doc), dtype=bool)
            for b, e in rat.hard:
                hard[b:e] = True
            pred.update((rat.docid, i) for i, (b, e) in enumerate(doc.sentences) if e > b and hard[b:e].all())
        tp = len(gold & pred)
        out.append(0.0 if tp == 0 else 2 * tp / (len(gold) + len(pred)))
    return out


def scores(ds, split: str, results: list[Result], sentences: bool = False) -> dict:
    """ERASER scores of ``results`` plus the per-review arrays the bootstrap resamples; with
    ``sentences``, also sentence F1 (:func:`sentence_prf`, instance macro) and sentence AUPRC."""
    s = evaluate(ds, split, results, detect="any_line")
    zero = {"p": 0.0, "r": 0.0, "f1": 0.0}
    tok = s.get("token_prf", {"instance_macro": zero})["instance_macro"]
    cls = s.get("classification_scores", {})
    per = per_example_metrics(ds, split, results)
    ids = [ex.id for ex in ds[split]]
    rate = []
    for ex, r in zip(ds[split], results):
        n = sum(len(d) for d in ds.docs_of(ex))
        rate.append(sum(e - b for rat in r.rationales for b, e in rat.hard) / max(1, n))
    shortcut = []  # synthetic shortcut benchmark: share of the document's shortcut-word occurrences selected
    for ex, r in zip(ds[split], results):
        pos = ex.metadata.get("shortcut_positions", []) if ex.metadata else []
        chosen = {t for rat in r.rationales for b, e in rat.hard for t in range(b, e)}
        shortcut.append(sum(p in chosen for p in pos) / len(pos) if pos else float("nan"))
    if not np.isnan(shortcut).all():
        per_shortcut = {"shortcut_selected": shortcut}
    else:
        per_shortcut = {}
    if sentences:
        sf1 = sentence_prf(ds, split, results)
        per_sentence = {"sentence_f1": sf1}
        sentence = {"sentence_f1": float(np.mean(sf1)),
                    "sentence_auprc": s.get("sentence_soft_metrics", {}).get("auprc")}
    else:
        sentence, per_sentence = {}, {}
    return {**sentence, "token_f1": tok["f1"], "token_p": tok["p"], "token_r": tok["r"],
            "shortcut_selected": float(np.nanmean(shortcut)) if per_shortcut else None,
            "token_auprc": s.get("token_soft_metrics", {}).get("auprc"),
            "accuracy": cls.get("accuracy"), "macro_f1": cls.get("prf", {}).get("macro avg", {}).get("f1-score"),
            "selection_rate": float(np.mean(rate)),
            "per_review": {"token_f1": [per[i]["token_f1"] for i in ids],
                           "token_auprc": [per[i]["token_auprc"] for i in ids],
                           "correct": [float(per[i]["correct"]) for i in ids], **per_shortcut,
                           **per_sentence}}


def baseline_results(ds, split: str, kind: str, k: float, seed: int, sentences: bool = False) -> list[Result]:
    """Random words (``top_k`` of uniform scores, the same k) or every word, as ERASER results; with
    ``sentences``, random whole sentences (``k_tokens(k, sentences)`` per document) or every sentence."""
    rng = np.random.default_rng(seed)
    out = []
    for ex in ds[split]:
        rats = []
        for doc in ds.docs_of(ex):
            n = len(doc)
            if sentences and kind == "random":
                sent = rng.random(len(doc.sentences))
                keep = top_k(sent, k, fraction=True)
                hard = np.zeros(n, dtype=bool)
                for i, (b, e) in enumerate(doc.sentences):
                    hard[b:e] = keep[i]
                rats.append(DocRationale(doc.docid, mask_to_spans(hard), None, sent.tolist()))
                continue
            if kind == "random":
                soft = rng.random(n)
                hard = top_k(soft, k, fraction=True)
            else:  # every word; no ranking, so no soft scores (a constant score's AUPRC means nothing)
                soft, hard = None, np.ones(n, dtype=bool)
            rats.append(DocRationale(doc.docid, mask_to_spans(hard), None if soft is None else soft.tolist(), None))
        out.append(Result(ex.id, rats, None, None))
    return out


def paired_bootstrap(a: np.ndarray, b: np.ndarray, n_boot: int = 2000, seed: int = 0) -> dict:
    """Mean of ``b - a`` over (seed, review) pairs and its 95 % percentile interval, resampling seeds and
    reviews with replacement (both arms see the same draws: a paired bootstrap)."""
    d = b - a  # (seeds, reviews)
    rng = np.random.default_rng(seed)
    s, r = d.shape
    stats = np.empty(n_boot)
    for i in range(n_boot):
        rows = rng.integers(0, s, s)
        cols = rng.integers(0, r, r)
        stats[i] = np.nanmean(d[np.ix_(rows, cols)])
    lo, hi = np.percentile(stats, [2.5, 97.5])
    return {"diff": float(np.nanmean(d)), "ci95": [float(lo), float(hi)], "excludes_0": bool(lo > 0 or hi < 0),
            "n_seeds": s, "n_reviews": r}


def summarize(runs: list[dict], baselines: list[dict], methods: list[str], noises: list[float]) -> dict:
    """Mean ± std per arm and rule, the baseline rows, and the paired NI − no-NI intervals."""
    table = []
    for b in baselines:
        table.append({"row": b["id"], **{m: b.get(m) for m in ("token_f1", "token_auprc", "selection_rate",
                                                                 "sentence_f1", "sentence_auprc")}})
    diffs = []
    for method in methods:
        for noise in noises:
            arm = sorted([r for r in runs if r["method"] == method and r["noise"] == noise], key=lambda r: r["seed"])
            if not arm:
                continue
            for rule in RULES:
                row = {"row": f"{method} noise {noise} ({rule})", "seeds": [r["seed"] for r in arm],
                       "train_seconds": statistics.mean(r["train_seconds"] for r in arm)}
                for m in ("token_f1", "token_auprc", "accuracy", "macro_f1", "selection_rate", "shortcut_selected",
                          "sentence_f1", "sentence_auprc"):
                    vals = [r[rule][m] for r in arm if r[rule].get(m) is not None]
                    row[m] = {"mean": statistics.mean(vals), "std": statistics.pstdev(vals)} if vals else None
                table.append(row)
            base = {r["seed"]: r for r in runs if r["method"] == method and r["noise"] == 0.0}
            if noise == 0.0:
                continue
            seeds = [r["seed"] for r in arm if r["seed"] in base]
            if not seeds:
                continue
            by = {r["seed"]: r for r in arm}
            entry = {"method": method, "noise": noise, "seeds": seeds}
            keys = [("token_f1_top_k", "token_f1"), ("token_auprc", "token_auprc"), ("accuracy_top_k", "correct")]
            if "shortcut_selected" in base[seeds[0]]["top-k"]["per_review"]:
                keys.append(("shortcut_selected_top_k", "shortcut_selected"))
            if "sentence_f1" in base[seeds[0]]["top-k"]["per_review"]:
                keys.insert(0, ("sentence_f1_top_k", "sentence_f1"))
            for name, key in keys:
                a = np.array([base[s]["top-k"]["per_review"][key] for s in seeds], dtype=float)
                b = np.array([by[s]["top-k"]["per_review"][key] for s in seeds], dtype=float)
                entry[name] = paired_bootstrap(a, b)
            a = np.array([base[s]["own"]["per_review"]["correct"] for s in seeds], dtype=float)
            b = np.array([by[s]["own"]["per_review"]["correct"] for s in seeds], dtype=float)
            entry["accuracy_own"] = paired_bootstrap(a, b)
            diffs.append(entry)
    return {"table": table, "ni_minus_no_ni": diffs}


def _fmt(v, digits: int = 3) -> str:
    if v is None:
        return "—"
    if isinstance(v, dict):
        return f"{v['mean']:.{digits}f} ± {v['std']:.{digits}f}"
    return f"{v:.{digits}f}"


def markdown(summary: dict) -> str:
    """The summary as two Markdown tables (arms at equal k with the baselines; NI − no-NI with 95 % CIs)."""
    sent = any(r.get("sentence_f1") is not None for r in summary["table"])
    lines = ["| row | " + ("sentence F1 | sentence AUPRC | " if sent else "") +
             "token F1 | AUPRC | accuracy | selection rate | shortcut selected | train s |",
             "| --- | --- | --- | --- | --- | --- | --- |" + (" --- | --- |" if sent else "")]
    for r in summary["table"]:
        cells = f"{_fmt(r.get('sentence_f1'))} | {_fmt(r.get('sentence_auprc'))} | " if sent else ""
        lines.append(f"| {r['row']} | {cells}{_fmt(r.get('token_f1'))} | {_fmt(r.get('token_auprc'))} | "
                     f"{_fmt(r.get('accuracy'))} | {_fmt(r.get('selection_rate'))} | {_fmt(r.get('shortcut_selected'))} | "
                     f"{_fmt(r.get('train_seconds'), 0)} |")
    lines += ["", "| method | noise | seeds | metric | NI − no-NI | 95 % CI | excludes 0 |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for d in summary["ni_minus_no_ni"]:
        for name, v in d.items():
            if isinstance(v, dict) and "diff" in v:
                lines.append(f"| {d['method']} | {d['noise']} | {len(d['seeds'])} | {name} | {v['diff']:+.4f} | "
                             f"[{v['ci95'][0]:+.4f}, {v['ci95'][1]:+.4f}] | {'yes' if v['excludes_0'] else 'no'} |")
    return "\n".join(lines) + "\n"


def fever_splits(ds, seed: int = 0, dev_fraction: float = 0.1):
    """ERASER FEVER as shipped here has only val and test (``/work/shared/data/fever/SOURCE.md``): train on
    a seeded ``1 - dev_fraction`` of val, early-stop on the rest, test on test (never used for choices)."""
    val = ds["val"]
    order = np.random.default_rng(seed).permutation(len(val))
    n_dev = round(dev_fraction * len(val))
    dev = sorted(order[:n_dev].tolist())
    train = sorted(order[n_dev:].tolist())
    return replace(ds, splits={"train": [val[i] for i in train], "val": [val[i] for i in dev], "test": ds["test"]})


def gold_sentence_fraction(ds, split: str) -> float:
    """Mean over examples of (human evidence sentences) / (sentences of its documents)."""
    fr = []
    for ex in ds[split]:
        n = sum(len(d.sentences) for d in ds.docs_of(ex))
        gold = {(ev.docid, i) for ev in ex.evidences for i in range(ev.start_sentence, ev.end_sentence)}
        if n:
            fr.append(len(gold) / n)
    return float(np.mean(fr))


def train_sentence_rationalizer(ds, method: str, out, *, epochs: int, batch_size: int, lr: float, patience: int,
                                seed: int, progress: bool, max_steps_per_epoch, start_from_epoch: int = 0, **params):
    """Sentence-level ``a2r`` / ``gumbel`` (:mod:`rationalize.rationalizers.select_predict.sentences`), fitted with
    the same loop and settings as :func:`train_rationalizer`, unsaved, as the FEVER records were made (the registry
    names are ``sentence-a2r`` / ``sentence-gumbel``: ``rationalize train rationalizer --method sentence-a2r``)."""
    from rationalize.engine.training import TrainConfig
    from rationalize.rationalizers.select_predict.sentences import SentenceA2R, SentenceGumbel

    cls = {"a2r": SentenceA2R, "gumbel": SentenceGumbel}[method]
    model = cls(seed=seed, **params)
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, patience=patience, monitor="objective",
                      mode="min", progress=progress, max_steps_per_epoch=max_steps_per_epoch,
                      start_from_epoch=start_from_epoch)
    start = time.perf_counter()
    model.fit(ds, "train", "val", cfg, out_dir=None)
    model.train_seconds_ = time.perf_counter() - start
    return model


def baseline_arm(kind: str, sparsity: float, sentences: bool, ds) -> dict:
    """One baseline row at the same k: random units or every unit, scored on test."""
    return {"kind": kind, **{m: v for m, v in scores(
        ds, "test", baseline_results(ds, "test", kind, sparsity, seed=0, sentences=sentences), sentences).items()
        if m != "per_review"}}


def train_arm(method: str, noise: float, seed: int, key: str, settings: dict, ds) -> dict:
    """One trial of the sweep: train ``method`` with ``noise`` and ``seed``, score it on val (its own rule) and
    on test under both rules. Module-level and driven by a JSON config, so Ray Tune can run it as a trial."""
    s = settings
    load_start = list(os.getloadavg())
    train = train_sentence_rationalizer if s["sentences"] else train_rationalizer
    m = train(ds, method, Path(s["runs"]) / key.replace("/", "_"), epochs=s["epochs"], batch_size=s["batch_size"],
              lr=s["lr"], patience=s["patience"], seed=seed, progress=False,
              max_steps_per_epoch=s["max_steps_per_epoch"], noise_injection=noise, sparsity=s["sparsity"],
              start_from_epoch=s["start_from_epoch"][method], **s["params"])
    rec = {"method": method, "noise": noise, "seed": seed, "train_seconds": m.train_seconds_,
           "lr": s["lr"], "patience": s["patience"], "batch_size": s["batch_size"], "threads": torch.get_num_threads(),
           "load_start": load_start, "load_end": list(os.getloadavg()),
           "best_epoch": m.history_.best_epoch, "epochs_run": len(m.history_.epochs),
           "start_from_epoch": s["start_from_epoch"][method],
           "params": {k: v for k, v in m.get_params().items() if k != "noise_injection"},
           "history": [{k: round(v, 4) for k, v in e.items() if isinstance(v, (int, float))
                        and k.split("_", 1)[-1] in HISTORY_KEYS} for e in m.history_.epochs]}
    # the validation split under the method's own rule (what early stopping saw; no test tuning)
    rec["val"] = {k: v for k, v in scores(ds, "val", m.predict_results(ds, "val"), s["sentences"]).items()
                  if k != "per_review"}
    for rule in RULES:
        start = time.perf_counter()
        rec[rule] = scores(ds, "test", m.predict_results(ds, "test", rule=rule), s["sentences"])
        rec[rule]["eval_seconds"] = time.perf_counter() - start
    return rec


def main() -> None:
    """Parse options, run (or resume) every arm, print and write the summary."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["movies", "synthetic", "fever"], required=True)
    ap.add_argument("--methods", nargs="+", default=["a2r"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--noise", nargs="+", type=float, default=[0.0, 0.1, 0.2])
    ap.add_argument("--sparsity", type=float, default=None,
                    help="ρ: training target and the k of top-k (default 0.2; fever: the train part's gold "
                         "sentence fraction, a fraction of sentences)")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--patience", type=int, default=2)
    ap.add_argument("--start-from-epoch", type=int, default=None,
                    help="keep no model from epochs 1..N (default: the method's; hardkuma 5, else 0); "
                         "named in the run's key when not 0")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--encoder", default="bigru")
    ap.add_argument("--embeddings", default="glove50")
    ap.add_argument("--hidden", type=int, default=50)
    ap.add_argument("--max-length", type=int, default=1024)
    ap.add_argument("--max-steps-per-epoch", type=int, default=None)
    ap.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="extra constructor parameter of the method (JSON value)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--movies", default="/work/shared/data/movies")
    ap.add_argument("--fever", default="/work/shared/data/fever")
    ap.add_argument("--train-limit", type=int, default=None, help="fever: train on this many claims of the train part")
    ap.add_argument("--test-limit", type=int, default=None, help="fever: smoke runs only (tables use the whole test split)")
    ap.add_argument("--shortcut-rate", type=float, default=0.6, help="synthetic: share of documents with a shortcut word")
    ap.add_argument("--executor", choices=SWEEP_EXECUTORS, default="local",
                    help="local (one arm after the other) or tune (the arms as Ray Tune trials)")
    ap.add_argument("--address", default=None, help="tune: a running Ray cluster (default: a local Ray)")
    ap.add_argument("--max-concurrent", type=int, default=None, help="tune: trials at once (default: as CPUs allow)")
    ap.add_argument("--log", default=None)
    ap.add_argument("--summary", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.part == "fever":
        ds = fever_splits(load_dataset(args.fever), seed=0).subsample("train", args.train_limit, 0)
        ds = ds.subsample("test", args.test_limit, 0)
        if args.sparsity is None:
            args.sparsity = round(gold_sentence_fraction(ds, "train"), 3)
    elif args.sparsity is None:
        args.sparsity = 0.2
    sentences = args.part == "fever"
    extra = {k: json.loads(v) for k, v in (p.split("=", 1) for p in args.param)}
    # word vectors other than the default are part of the run's name (the default's names predate the option)
    vectors = f"/{args.embeddings}" if args.part != "synthetic" and args.embeddings != "glove50" else ""
    tag = f"{args.part}/{args.encoder}{args.hidden}{vectors}/L{args.max_length}/s{args.sparsity}/e{args.epochs}" + "".join(
        f"/{k}={v}" for k, v in sorted(extra.items()))
    log_path = Path(args.log or f"benchmarks/results/select_predict_ni_{args.part}.jsonl")
    log_path.parent.mkdir(parents=True, exist_ok=True)

    if args.part == "fever":
        kw = {"encoder": args.encoder, "embeddings": args.embeddings, "hidden": args.hidden,
              "max_length": args.max_length, "continuity": 1.0, "warmup_steps": 0}
        tag += f"/train{len(ds['train'])}"
    elif args.part == "movies":
        ds = load_dataset(args.movies)
        kw = {"encoder": args.encoder, "embeddings": args.embeddings, "hidden": args.hidden, "max_length": args.max_length}
    else:
        ds = make_synthetic(seed=0, train=600, val=100, test=200, shortcut_rate=args.shortcut_rate)
        kw = {"encoder": "cnn", "embeddings": None, "hidden": 32, "freeze_embeddings": False,
              "max_length": args.max_length}

    def show(rec: dict) -> None:
        print(json.dumps({k: v for k, v in rec.items() if k not in ("own", "top-k", "history")}), file=sys.stderr,
              flush=True)

    baselines = run_sweep([Trial(f"{args.part}/baseline/{kind}/k{args.sparsity}",
                                 {"kind": kind, "sparsity": args.sparsity, "sentences": sentences})
                           for kind in ("random", "all")], baseline_arm, log_path, shared={"ds": ds}, on_record=show)
    settings = {"sentences": sentences, "epochs": args.epochs, "patience": args.patience,
                "batch_size": args.batch_size if args.part != "synthetic" else 16,
                "lr": args.lr if args.lr is not None else (1e-3 if args.part == "movies" else 5e-3),
                "max_steps_per_epoch": args.max_steps_per_epoch, "sparsity": args.sparsity,
                "runs": str(Path("runs/select_predict_ni").resolve()), "params": {**kw, **extra}}

    def start_from(method: str) -> int:
        """The run's TrainConfig.start_from_epoch: the option, else the method's default (in the key when > 0,
        so that runs selected differently never share a folder or a record)."""
        if args.start_from_epoch is not None:
            return args.start_from_epoch
        encoder = settings["params"].get("encoder")  # after --param, which may override it
        return 0 if sentences else int(method_train_defaults(method, encoder).get("start_from_epoch", 0))

    settings["start_from_epoch"] = {m: start_from(m) for m in args.methods}
    prefix = {m: f"{tag}/start{n}" if n else tag for m, n in settings["start_from_epoch"].items()}
    arms = [Trial(key, {"method": method, "noise": noise, "seed": seed, "key": key, "settings": settings})
            for seed in args.seeds  # seed-major: a partial run still has complete pairs
            for method in args.methods for noise in args.noise
            for key in [f"{prefix[method]}/{method}/noise{noise}/seed{seed}"]]
    runs = run_sweep(arms, train_arm, log_path, executor=args.executor, address=args.address,
                     cpus_per_trial=args.threads, max_concurrent=args.max_concurrent, shared={"ds": ds}, on_record=show,
                     storage="runs/tune")
    out = {"part": args.part, "tag": tag, "command": " ".join(sys.argv), "sparsity": args.sparsity,
           "splits": {k: len(v) for k, v in ds.splits.items()},
           **summarize(runs, baselines, args.methods, args.noise)}
    text = json.dumps(out, indent=1)
    print(text)
    summary = Path(args.summary or f"benchmarks/results/select_predict_ni_{args.part}_summary.json")
    summary.write_text(text + "\n")
    summary.with_suffix(".md").write_text(markdown(out))


if __name__ == "__main__":
    main()

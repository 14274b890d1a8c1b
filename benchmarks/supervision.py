"""Learning from human rationales: does rationale supervision remove a shortcut, and what does it cost?

Two experiments, each a set of real training runs of ``rationalize.models.training.train_classifier`` with
and without :class:`rationalize.models.supervision.RationaleSupervision`:

``shortcut``  The synthetic shortcut benchmark (:func:`rationalize.data.make_synthetic` with
              ``shortcut_rate=1``): in training, a label-specific shortcut word is in every document. Train
              and validation come from that distribution (the user does not know about the shortcut); the
              ``test`` split has shortcut words independent of the label, ``test_flipped`` has the *other*
              label's shortcut in every document. Unsupervised vs supervised (attention and gradient
              targets), paired seeds (same data and initialisation), accuracy on both splits and the
              plausibility of the attributions on ``test_flipped``.
``movies``    A λ grid × supervised fraction sweep on ERASER movies with the CNN/BiGRU encoder over GloVe,
              sized to a shared CPU (documents cut to ``--max-length`` tokens, few epochs), reporting test
              accuracy / macro-F1 and token F1 / AUPRC of the attributions, with the Pareto front marked.

Plausibility: the attributions of a post-hoc explainer loaded through the registry
(:func:`rationalize.load_rationalizer`, ``attention`` and ``saliency`` by default), top-k with ERASER's k,
scored by :func:`rationalize.evaluate` (token F1 = ``token_prf.instance_macro.f1``, AUPRC =
``token_soft_metrics.auprc``). Prints JSON; ``--out`` also writes it. Seconds are wall-clock per training
run on the machine it ran on (``uptime`` load recorded).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def mean_ci(xs: list[float]) -> dict[str, Any]:
    """Mean and 95% t-interval half-width of ``xs`` (None with a single value)."""
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    if not xs:
        return {"mean": None, "ci95": None, "n": 0}
    m = float(np.mean(xs))
    if len(xs) < 2:
        return {"mean": round(m, 4), "ci95": None, "n": len(xs)}
    half = T95.get(len(xs) - 1, 1.96) * float(np.std(xs, ddof=1)) / math.sqrt(len(xs))
    return {"mean": round(m, 4), "ci95": round(half, 4), "n": len(xs)}


def _pick(scores: dict, *path: str) -> float:
    cur: Any = scores
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return float("nan")
        cur = cur[p]
    return float(cur)


def plausibility(model: Any, dataset: Any, split: str, method: str) -> dict[str, float]:
    """Token F1 (top-k, ERASER's k) and AUPRC of ``method``'s attributions vs the human rationales, plus the
    share of examples whose single highest-scored token is a shortcut word (synthetic data only)."""
    import rationalize

    results = rationalize.load_rationalizer(method, model=model, batch=16).fit(dataset).rationalize(dataset, split)
    s = rationalize.evaluate(dataset, split, results, aopc_thresholds=None)
    row = {"token_f1": round(_pick(s, "token_prf", "instance_macro", "f1"), 4),
           "auprc": round(_pick(s, "token_soft_metrics", "auprc"), 4)}
    index = dataset.example_index(split)
    if "shortcut_positions" in next(iter(index.values())).metadata:
        hits = []
        for r in results:
            soft = np.concatenate([np.asarray(d.soft, dtype=float) for d in r.rationales])
            hits.append(int(np.argmax(soft)) in set(index[r.annotation_id].metadata["shortcut_positions"]))
        row["top1_on_shortcut"] = round(float(np.mean(hits)), 4)
    return row


def load_avg() -> str:
    """The 1-minute load average, for the record (the machine is shared)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def run_one(dataset: Any, *, seed: int, weight: float, fraction: float, target: str, methods: list[str],
            eval_splits: list[str], plaus_split: str, train_kw: dict[str, Any]) -> dict[str, Any]:
    """Train one classifier (supervised when ``weight`` > 0) and score it; returns the row."""
    import torch

    from rationalize.models.supervision import RationaleSupervision
    from rationalize.models.training import classifier_metrics, train_classifier

    torch.manual_seed(seed)
    sup = RationaleSupervision(weight, fraction, target, seed) if weight > 0 else None
    load = load_avg()
    t = time.perf_counter()
    model, hist = train_classifier(dataset, seed=seed, progress=False, supervision=sup, **train_kw)
    seconds = time.perf_counter() - t
    row: dict[str, Any] = {"seed": seed, "lambda": weight, "fraction": fraction if weight > 0 else 0.0,
                           "target": target if weight > 0 else None, "seconds": round(seconds, 1),
                           "load_at_start": load, "best_epoch": hist.best_epoch,
                           "val_accuracy": round(float(hist.best_value or float("nan")), 4)}
    for split in eval_splits:
        row[split] = {k: round(v, 4) for k, v in classifier_metrics(model, dataset, split).items()}
    row["plausibility"] = {m: plausibility(model, dataset, plaus_split, m) for m in methods}
    return row


# -- shortcut -----------------------------------------------------------------------------------------
def shortcut_dataset(seed: int, train: int, val: int, test: int, **synth: Any) -> Any:
    """Synthetic data with a training shortcut: train/val from the shortcut distribution, ``test`` with
    label-independent shortcut words and ``test_flipped`` with the other label's shortcut word."""
    from rationalize.data import make_synthetic
    from rationalize.data.schema import Dataset, Document, Evidence, Example
    from rationalize.data.synthetic import SHORTCUTS

    base = make_synthetic(seed=seed, train=train + val, val=1, test=test, shortcut_rate=1.0, **synth)
    words = set(SHORTCUTS.values())
    docs = dict(base.documents)
    flipped = []
    for ex in base["test"]:
        doc = base.doc(ex.docids[0])
        other = next(lab for lab in base.labels if lab != ex.label)
        tokens = [SHORTCUTS[other] if w in words else w for w in doc.tokens]
        sentences = [tokens[a:b] for a, b in doc.sentences]
        new = Document.from_sentences(f"flip_{doc.docid}", sentences)
        docs[new.docid] = new
        groups = [[Evidence(new.docid, e.start_token, e.end_token, e.start_sentence, e.end_sentence, e.text) for e in g]
                  for g in ex.evidence_groups]
        flipped.append(Example(f"flip_{ex.id}", [new.docid], ex.label, ex.query, groups,
                               metadata={**ex.metadata, "shortcut_positions": [i for i, w in enumerate(tokens) if w in words]}))
    splits = {"train": base["train"][:train], "val": base["train"][train:], "test": base["test"], "test_flipped": flipped}
    return Dataset("synthetic-shortcut", splits, docs, base.labels, source=None, metadata=base.metadata)


def shortcut(args: argparse.Namespace) -> dict[str, Any]:
    """Unsupervised vs supervised on the synthetic shortcut benchmark, paired seeds."""
    synth = {"spans": (1, 1), "span_length": tuple(args.span_length)}
    train_kw = {"encoder": args.encoder, "out": None, "epochs": args.epochs, "lr": 5e-3, "batch_size": 16,
                "patience": 2, "vectors": None if args.vectors == "none" else args.vectors, "hidden": args.hidden}
    arms = [("unsupervised", 0.0, "attention", 0.0)]
    for spec in args.arms:
        t, w, f = spec.split(":")
        arms.append((f"{t}_lambda{float(w):g}_fraction{float(f):g}", float(w), t, float(f)))
    rows: dict[str, list[dict[str, Any]]] = {a[0]: [] for a in arms}
    for seed in args.seeds:
        ds = shortcut_dataset(seed, args.train, args.val, args.test, **synth)
        for name, w, t, f in arms:
            row = run_one(ds, seed=seed, weight=w, fraction=f, target=t, methods=args.methods,
                          eval_splits=["test", "test_flipped"], plaus_split="test_flipped", train_kw=train_kw)
            rows[name].append(row)
            print(json.dumps({"arm": name, **row}), file=sys.stderr, flush=True)
    summary: dict[str, Any] = {}
    base = rows["unsupervised"]
    for name, *_ in arms:
        s: dict[str, Any] = {k: mean_ci([r[k]["accuracy"] for r in rows[name]]) for k in ("test", "test_flipped")}
        for m in args.methods:
            for key in ("token_f1", "auprc", "top1_on_shortcut"):
                s[f"{m}_{key}"] = mean_ci([r["plausibility"][m][key] for r in rows[name]])
        if name != "unsupervised":
            s["flipped_accuracy_gain_vs_unsupervised"] = mean_ci(
                [r["test_flipped"]["accuracy"] - b["test_flipped"]["accuracy"] for r, b in zip(rows[name], base)])
        summary[name] = s
    return {"experiment": "shortcut", "data": {"train": args.train, "val": args.val, "test": args.test,
                                               "shortcut_rate": 1.0, **{k: list(v) for k, v in synth.items()}},
            "train": {k: v for k, v in train_kw.items() if k != "out"}, "summary": summary, "runs": rows}


# -- movies -------------------------------------------------------------------------------------------
def truncated(dataset: Any, max_length: int | None) -> Any:
    """``dataset`` with every document cut to its first ``max_length`` tokens (evidence clipped, spans
    that start beyond the cut dropped): a sizing device for a shared CPU, not a method."""
    if not max_length:
        return dataset
    from rationalize.data.schema import Dataset, Document, Evidence, Example

    docs = {}
    for docid, doc in dataset.documents.items():
        sents = [doc.tokens[a:min(b, max_length)] for a, b in doc.sentences if a < max_length]
        docs[docid] = Document.from_sentences(docid, sents or [doc.tokens[:max_length]])
    splits = {}
    for split, examples in dataset.splits.items():
        out = []
        for ex in examples:
            groups = [[Evidence(e.docid, e.start_token, min(e.end_token, max_length), e.start_sentence, e.end_sentence, e.text)
                       for e in g if e.start_token < max_length] for g in ex.evidence_groups]
            out.append(Example(ex.id, ex.docids, ex.label, ex.query, [g for g in groups if g], ex.explanations,
                               metadata=ex.metadata))
        splits[split] = out
    return Dataset(dataset.name, splits, docs, dataset.labels, source=dataset.source, metadata=dataset.metadata)


def pareto(points: list[tuple[float, float]]) -> list[bool]:
    """Which (performance, plausibility) points no other point beats on both (ties allowed)."""
    out = []
    for i, (a, b) in enumerate(points):
        out.append(not any((c >= a and d >= b and (c > a or d > b)) for j, (c, d) in enumerate(points) if j != i))
    return out


def movies(args: argparse.Namespace) -> dict[str, Any]:
    """λ grid × supervised fraction on ERASER movies, Pareto front on (macro-F1, token F1)."""
    from rationalize.data import load_dataset

    ds = truncated(load_dataset(args.data), args.max_length)
    if args.train_limit:
        ds = ds.subsample("train", args.train_limit, 0)
    train_kw = {"encoder": args.encoder, "out": None, "epochs": args.epochs, "lr": 1e-3, "batch_size": 16,
                "patience": 2, "vectors": args.vectors, "hidden": args.hidden}
    grid = [(0.0, 0.0)] + [(w, f) for w in args.lambdas if w > 0 for f in args.fractions if f > 0]
    runs = []
    for seed in args.seeds:
        for w, f in grid:
            row = run_one(ds, seed=seed, weight=w, fraction=f, target=args.target, methods=args.methods,
                          eval_splits=["test"], plaus_split="test", train_kw=train_kw)
            runs.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    points = []
    for w, f in grid:
        rs = [r for r in runs if r["lambda"] == w and r["fraction"] == f]
        p = {"lambda": w, "fraction": f, "target": args.target if w > 0 else None,
             "accuracy": mean_ci([r["test"]["accuracy"] for r in rs]),
             "macro_f1": mean_ci([r["test"]["macro_f1"] for r in rs]),
             "seconds": mean_ci([r["seconds"] for r in rs])}
        for m in args.methods:
            p[f"{m}_token_f1"] = mean_ci([r["plausibility"][m]["token_f1"] for r in rs])
            p[f"{m}_auprc"] = mean_ci([r["plausibility"][m]["auprc"] for r in rs])
        points.append(p)
    front_method = args.methods[0]
    for p, on in zip(points, pareto([(p["macro_f1"]["mean"], p[f"{front_method}_token_f1"]["mean"]) for p in points])):
        p["pareto"] = on
    return {"experiment": "movies", "data": args.data, "max_length": args.max_length, "train_limit": args.train_limit,
            "train": {k: v for k, v in train_kw.items() if k != "out"}, "target": args.target,
            "pareto_axes": ["macro_f1", f"{front_method}_token_f1"], "points": points, "runs": runs}


def main() -> None:
    """Parse the experiment and its options, run it, print (and with ``--out`` write) the JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="experiment", required=True)
    s = sub.add_parser("shortcut")
    s.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    s.add_argument("--train", type=int, default=300)
    s.add_argument("--val", type=int, default=60)
    s.add_argument("--test", type=int, default=200)
    s.add_argument("--span-length", type=int, nargs=2, default=[1, 1])
    s.add_argument("--encoder", default="cnn")
    s.add_argument("--hidden", type=int, default=32)
    s.add_argument("--vectors", default="none", help="none (learned embeddings), glove50 or spacy-md")
    s.add_argument("--epochs", type=int, default=10)
    s.add_argument("--arms", nargs="+", default=["attention:1:1", "attention:1:0.1", "gradient:10:1"],
                   help="supervised arms TARGET:LAMBDA:FRACTION (an unsupervised arm is always run)")
    s.add_argument("--methods", nargs="+", default=["attention", "saliency"])
    m = sub.add_parser("movies")
    m.add_argument("--data", default="/work/shared/data/movies")
    m.add_argument("--seeds", type=int, nargs="+", default=[0])
    m.add_argument("--lambdas", type=float, nargs="+", default=[0.3, 1.0, 3.0])
    m.add_argument("--fractions", type=float, nargs="+", default=[0.0, 0.1, 1.0])
    m.add_argument("--target", default="attention")
    m.add_argument("--encoder", default="cnn")
    m.add_argument("--vectors", default="glove50")
    m.add_argument("--hidden", type=int, default=64)
    m.add_argument("--epochs", type=int, default=3)
    m.add_argument("--max-length", type=int, default=400)
    m.add_argument("--train-limit", type=int, default=None)
    m.add_argument("--methods", nargs="+", default=["attention", "saliency"])
    for p in (s, m):
        p.add_argument("--threads", type=int, default=1)
        p.add_argument("--out", default=None)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    t = time.perf_counter()
    res = shortcut(args) if args.experiment == "shortcut" else movies(args)
    res["command"] = "python benchmarks/supervision.py " + " ".join(sys.argv[1:])
    res["total_seconds"] = round(time.perf_counter() - t, 1)
    res["machine"] = {"cpus": os.cpu_count(), "threads": args.threads, "load_at_end": load_avg()}
    text = json.dumps(res, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

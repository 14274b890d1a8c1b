"""Learning from human rationales: does rationale supervision remove a shortcut, and what does it cost?

Four experiments, each a set of real training runs (classifiers: ``rationalize.models.training.train_classifier``
with and without :class:`rationalize.models.supervision.RationaleSupervision`; generators:
``train_rationalizer`` with and without ``rationale_supervision``):

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

``hatexplain`` The same λ × fraction sweep on HateXplain (:func:`hatexplain_splits`: only the official val and
              test posts are shipped, so train/val are a seeded 80/20 split of the official val posts); runs in a
              resumable JSONL log (``--log``).
``rationalizer`` Select-then-predict generators supervised with the human masks
              (:meth:`~rationalize.rationalizers.select_predict.framework.SelectPredictRationalizer.rationale_loss`)
              on ERASER movies: A2R (or any method) over a CNN on frozen GloVe, top-k at ``--sparsity``
              (k = 20 %) at training and test. λ is chosen on the **validation** split (largest val token
              F1 with val macro-F1 at most 1 point below the unsupervised run of the same seed), then the
              chosen λ runs at fractions 0.1 and 1 with paired seeds; test numbers are reported for every
              point, never used to choose. One JSON line per run in ``--log`` (resumable: a rerun skips the
              ids already there), the summary in ``--out``.

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


def iou_f1(scores: dict) -> float:
    """ERASER's IOU F1 (macro over instances, threshold 0.5) from an :func:`rationalize.evaluate` dict."""
    ious = scores.get("iou_scores") or []
    return round(float(ious[0]["macro"]["f1"]), 4) if ious else float("nan")


def plausibility(model: Any, dataset: Any, split: str, method: str, faithfulness: bool = False) -> dict[str, float]:
    """Token F1 (top-k, ERASER's k), IOU F1 and AUPRC of ``method``'s attributions vs the human rationales, plus
    the share of examples whose single highest-scored token is a shortcut word (synthetic data only). With
    ``faithfulness``, also ERASER comprehensiveness / sufficiency of the top-k rationale and their AOPC over the
    default bins (the faithfulness engine re-runs ``model`` on each perturbed input)."""
    import rationalize

    results = rationalize.load_rationalizer(method, model=model, batch=16).fit(dataset).rationalize(dataset, split)
    thresholds = None
    if faithfulness:
        from rationalize.engine.faithfulness import DEFAULT_AOPC, FaithfulnessEngine

        results = FaithfulnessEngine(model, progress=False).run(dataset, split, results)
        thresholds = DEFAULT_AOPC
    s = rationalize.evaluate(dataset, split, results, aopc_thresholds=thresholds)
    row = {"token_f1": round(_pick(s, "token_prf", "instance_macro", "f1"), 4), "iou_f1": iou_f1(s),
           "auprc": round(_pick(s, "token_soft_metrics", "auprc"), 4)}
    if faithfulness:
        for k in ("comprehensiveness", "sufficiency", "comprehensiveness_aopc", "sufficiency_aopc"):
            row[k] = round(_pick(s, "classification_scores", k), 4)
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
            eval_splits: list[str], plaus_split: str, train_kw: dict[str, Any],
            faithfulness: bool = False) -> dict[str, Any]:
    """Train one classifier (supervised when ``weight`` > 0) and score it (with ``faithfulness``, also the
    comprehensiveness / sufficiency of each method's top-k rationale); returns the row."""
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
    row["plausibility"] = {m: plausibility(model, dataset, plaus_split, m, faithfulness) for m in methods}
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
    """Which (performance, plausibility) points no other point beats on both (the report's rule)."""
    from rationalize.report.tradeoff import pareto_front

    return pareto_front(points)


def hatexplain_splits(path: str, val_share: float = 0.2, seed: int = 0) -> Any:
    """HateXplain as shipped in ``/work/shared/data/hatexplain``: only the official val and test splits exist
    (no train split, see its SOURCE.md), so the official **val** posts are split, with ``seed``, into
    ``train`` (1 - ``val_share``) and ``val`` (``val_share``) for model selection; ``test`` is the official
    test split, untouched."""
    from dataclasses import replace

    from rationalize.data import load_dataset

    ds = load_dataset(path)
    posts = ds["val"]
    order = np.random.default_rng(seed).permutation(len(posts))
    n_val = round(val_share * len(posts))
    val = [posts[i] for i in sorted(order[:n_val])]
    train = [posts[i] for i in sorted(order[n_val:])]
    return replace(ds, splits={"train": train, "val": val, "test": ds["test"]})


def hatexplain(args: argparse.Namespace) -> dict[str, Any]:
    """λ grid × supervised fraction on HateXplain (train = 80% of the official val posts; see
    :func:`hatexplain_splits`), Pareto front on (macro-F1, token F1)."""
    ds = hatexplain_splits(args.data)
    res = sweep(ds, args)
    res["data"] = {"path": args.data, "train": "seeded 80% of the official val split (no train split shipped)",
                   "val": "the other 20% of the official val split", "test": "official test split",
                   "sizes": {k: len(v) for k, v in ds.splits.items()},
                   "gold": "union of the annotators' masks (only hatespeech/offensive posts have masks)"}
    return res


def movies(args: argparse.Namespace) -> dict[str, Any]:
    """λ grid × supervised fraction on ERASER movies, Pareto front on (macro-F1, token F1)."""
    from rationalize.data import load_dataset

    ds = truncated(load_dataset(args.data), args.max_length)
    if args.train_limit:
        ds = ds.subsample("train", args.train_limit, 0)
    res = sweep(ds, args)
    res.update(data=args.data, max_length=args.max_length, train_limit=args.train_limit)
    return res


def sweep(ds: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Train every (λ, fraction) of the grid for every seed on ``ds``; points with intervals and the front."""
    train_kw = {"encoder": args.encoder, "out": None, "epochs": args.epochs, "lr": 1e-3, "batch_size": 16,
                "patience": 2, "vectors": args.vectors, "hidden": args.hidden}
    grid = [(0.0, 0.0)] + [(w, f) for w in args.lambdas if w > 0 for f in args.fractions if f > 0]
    done: dict[str, dict[str, Any]] = {}
    log = None
    if getattr(args, "log", None):  # one JSON line per run; a rerun skips the ids already there (resume)
        from rationalize.data.jsonl import JsonlAppender, iter_jsonl

        log = JsonlAppender(args.log, id_field="id")
        finished = log.done_ids()
        done = {r["id"]: r for _, r in iter_jsonl(args.log) if isinstance(r, dict) and r.get("id") in finished} if finished else {}
    runs = []
    for seed in args.seeds:
        for w, f in grid:
            key = (f"{args.experiment}/{args.encoder}{args.hidden}/e{args.epochs}/{args.target}/lambda{w:g}/fraction{f:g}"
                   f"/seed{seed}")
            if key not in done:
                row = run_one(ds, seed=seed, weight=w, fraction=f, target=args.target, methods=args.methods,
                              eval_splits=["test"], plaus_split="test", train_kw=train_kw, faithfulness=True)
                row = {"id": key, **row, "command": (
                    f"rationalize train classifier --data DATA --encoder {args.encoder} --vectors {args.vectors} --hidden "
                    f"{args.hidden} --epochs {args.epochs} --lr 1e-3 --batch-size 16 --patience 2 --seed {seed} --out OUT"
                    + (f" --rationale-supervision {w:g} --supervised-fraction {f:g} --supervision-target {args.target}"
                       if w > 0 else ""))}
                if log is not None:
                    log.append(row)
                done[key] = row
                print(json.dumps(row), file=sys.stderr, flush=True)
            runs.append(done[key])
    points = []
    for w, f in grid:
        rs = [r for r in runs if r["lambda"] == w and r["fraction"] == f]
        p = {"lambda": w, "fraction": f, "target": args.target if w > 0 else None,
             "accuracy": mean_ci([r["test"]["accuracy"] for r in rs]),
             "macro_f1": mean_ci([r["test"]["macro_f1"] for r in rs]),
             "seconds": mean_ci([r["seconds"] for r in rs])}
        for m in args.methods:
            p[f"{m}_token_f1"] = mean_ci([r["plausibility"][m]["token_f1"] for r in rs])
            for k in ("auprc", "iou_f1", "comprehensiveness", "sufficiency", "comprehensiveness_aopc",
                      "sufficiency_aopc"):  # all but AUPRC are absent from runs logged before they were added
                p[f"{m}_{k}"] = mean_ci([r["plausibility"][m].get(k) for r in rs])
        if w > 0:  # paired by seed against the unsupervised run
            base = {r["seed"]: r for r in runs if r["lambda"] == 0}
            pairs = [(r, base[r["seed"]]) for r in rs if r["seed"] in base]
            p["macro_f1_change"] = mean_ci([r["test"]["macro_f1"] - b["test"]["macro_f1"] for r, b in pairs])
            for m in args.methods:
                p[f"{m}_token_f1_gain"] = mean_ci([r["plausibility"][m]["token_f1"] - b["plausibility"][m]["token_f1"]
                                                   for r, b in pairs])
        points.append(p)
    front_method = args.methods[0]
    for p, on in zip(points, pareto([(p["macro_f1"]["mean"], p[f"{front_method}_token_f1"]["mean"]) for p in points])):
        p["pareto"] = on
    return {"experiment": args.experiment,
            "train": {k: v for k, v in train_kw.items() if k != "out"}, "target": args.target,
            "pareto_axes": ["macro_f1", f"{front_method}_token_f1"], "points": points, "runs": runs}


# -- select-then-predict generators -----------------------------------------------------------------
def rationalizer_scores(dataset: Any, split: str, results: list[Any], model: Any = None) -> dict[str, float | None]:
    """Accuracy, macro-F1, token F1 (hard rationale, instance macro) and AUPRC (soft scores) of ``results``;
    with ``model``, also ERASER comprehensiveness and sufficiency of the hard rationales and their AOPC over the
    default bins (the faithfulness engine re-runs the whole select-then-predict model on each perturbed input)."""
    import rationalize

    thresholds = None
    if model is not None:
        from rationalize.engine.faithfulness import DEFAULT_AOPC, FaithfulnessEngine

        results = FaithfulnessEngine(model, progress=False).run(dataset, split, results)
        thresholds = DEFAULT_AOPC
    s = rationalize.evaluate(dataset, split, results, aopc_thresholds=thresholds)
    cls = s.get("classification_scores", {})
    out = {"accuracy": round(_pick(s, "classification_scores", "accuracy"), 4),
           "macro_f1": round(float(cls.get("prf", {}).get("macro avg", {}).get("f1-score", float("nan"))), 4),
           "token_f1": round(_pick(s, "token_prf", "instance_macro", "f1"), 4), "iou_f1": iou_f1(s),
           "auprc": round(_pick(s, "token_soft_metrics", "auprc"), 4)}
    if model is not None:
        for k in ("comprehensiveness", "sufficiency", "comprehensiveness_aopc", "sufficiency_aopc"):
            out[k] = round(_pick(s, "classification_scores", k), 4)
    return out


def choose_lambda(runs: list[dict[str, Any]], max_drop: float = 0.01) -> float | None:
    """The λ (fraction 1) with the largest mean **validation** token F1 among those whose validation macro-F1
    is at most ``max_drop`` below the unsupervised run of the same seed (paired); None before any ran."""
    base = {r["seed"]: r for r in runs if r["lambda"] == 0}
    best = None
    for lam in sorted({r["lambda"] for r in runs if r["lambda"] > 0 and r["fraction"] == 1.0}):
        rs = [r for r in runs if r["lambda"] == lam and r["fraction"] == 1.0 and r["seed"] in base]
        if not rs:
            continue
        drop = float(np.mean([base[r["seed"]]["val"]["macro_f1"] - r["val"]["macro_f1"] for r in rs]))
        f1 = float(np.mean([r["val"]["token_f1"] for r in rs]))
        if drop <= max_drop and (best is None or f1 > best[1]):
            best = (lam, f1)
    return None if best is None else best[0]


def summarize_rationalizer(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Points (λ, fraction) with means and 95% intervals, paired gains over the unsupervised run, the λ chosen
    on validation, whether the issue's target holds for it, and the Pareto front on (macro-F1, token F1)."""
    base = {r["seed"]: r for r in runs if r["lambda"] == 0}
    points = []
    for lam, frac in sorted({(r["lambda"], r["fraction"]) for r in runs}):
        rs = [r for r in runs if r["lambda"] == lam and r["fraction"] == frac]
        p: dict[str, Any] = {"lambda": lam, "fraction": frac, "seeds": sorted(r["seed"] for r in rs),
                             "seconds": mean_ci([r["seconds"] for r in rs])}
        for split in ("val", "test"):
            for k in ("accuracy", "macro_f1", "token_f1", "auprc", "iou_f1"):
                p[f"{split}_{k}"] = mean_ci([r[split].get(k) for r in rs])  # iou_f1: only in newer records
            if lam > 0:
                paired = [(r, base[r["seed"]]) for r in rs if r["seed"] in base]
                for k in ("macro_f1", "token_f1"):
                    p[f"{split}_{k}_gain"] = mean_ci([r[split][k] - b[split][k] for r, b in paired])
        for k in ("comprehensiveness", "sufficiency", "comprehensiveness_aopc", "sufficiency_aopc"):
            p[f"test_{k}"] = mean_ci([r["test"].get(k) for r in rs])  # runs logged before these were added have none
        points.append(p)
    for p, on in zip(points, pareto([(p["test_macro_f1"]["mean"], p["test_token_f1"]["mean"]) for p in points])):
        p["pareto"] = on
    lam = choose_lambda(runs)
    verdict: dict[str, Any] = {"lambda_chosen_on_val": lam}
    if lam is not None:
        full = next((p for p in points if p["lambda"] == lam and p["fraction"] == 1.0), None)
        part = next((p for p in points if p["lambda"] == lam and p["fraction"] == 0.1), None)
        if full and "test_token_f1_gain" in full:
            g, d = full["test_token_f1_gain"]["mean"], full["test_macro_f1_gain"]["mean"]
            verdict.update(full_token_f1_gain=g, full_macro_f1_change=d, dominates=bool(g >= 0.10 and d >= -0.01))
            if part and "test_token_f1_gain" in part and g:
                verdict["partial_recovers"] = round(part["test_token_f1_gain"]["mean"] / g, 3)
                verdict["partial_macro_f1_change"] = part["test_macro_f1_gain"]["mean"]
                verdict["target_met"] = bool(verdict["dominates"] and verdict["partial_recovers"] >= 0.5)
    return {"points": points, "verdict": verdict, "pareto_axes": ["test_macro_f1", "test_token_f1"]}


def rationalizer(args: argparse.Namespace) -> dict[str, Any]:
    """λ × fraction runs of a supervised select-then-predict method on movies (resumable JSONL log)."""
    from rationalize.data import load_dataset
    from rationalize.data.jsonl import JsonlAppender, iter_jsonl
    from rationalize.rationalizers.select_predict.training import train_rationalizer

    ds = load_dataset(args.data)
    if args.train_limit:
        ds = ds.subsample("train", args.train_limit, 0)
    kw = {"encoder": args.encoder, "embeddings": args.embeddings, "hidden": args.hidden, "max_length": args.max_length,
          "sparsity": args.sparsity}
    tag = (f"{args.method}/{args.encoder}{args.hidden}/L{args.max_length}/s{args.sparsity}/e{args.epochs}"
           f"/n{args.train_limit or 'all'}" + ("" if args.rule == "own" else f"/{args.rule}"))
    log_path = Path(args.log)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = JsonlAppender(log_path, id_field="id")
    finished = log.done_ids()
    done = {rec["id"]: rec for _, rec in iter_jsonl(log_path) if isinstance(rec, dict) and rec.get("id") in finished} if finished else {}
    grid = [(0.0, 0.0)] + [(w, f) for w in args.lambdas if w > 0 for f in args.fractions if f > 0]
    for seed in args.seeds:  # seed-major: a partial run still has complete pairs
        for lam, frac in grid:
            key = f"{tag}/lambda{lam:g}/fraction{frac:g}/seed{seed}"
            if key in done:
                continue
            load = load_avg()
            t = time.perf_counter()
            m = train_rationalizer(ds, args.method, None, epochs=args.epochs, batch_size=32, lr=1e-3,
                                   patience=args.patience, seed=seed, progress=False, rationale_supervision=lam,
                                   supervised_fraction=frac if lam > 0 else 1.0, **kw)
            rec = {"id": key, "method": args.method, "lambda": lam, "fraction": frac, "seed": seed,
                   "seconds": round(time.perf_counter() - t, 1), "load_at_start": load,
                   "best_epoch": m.history_.best_epoch, "epochs_run": len(m.history_.epochs),
                   "command": ("rationalize train rationalizer --data " + args.data + f" --method {args.method} --encoder "
                               f"{args.encoder} --embeddings {args.embeddings} --hidden {args.hidden} --max-length "
                               f"{args.max_length} --sparsity {args.sparsity} --epochs {args.epochs} --patience "
                               f"{args.patience} --seed {seed} --rationale-supervision {lam:g} --supervised-fraction "
                               f"{frac if lam > 0 else 1.0:g} --out OUT"
                               + (f" --train-limit {args.train_limit}" if args.train_limit else ""))}
            for split in ("val", "test"):
                rec[split] = rationalizer_scores(ds, split, m.predict_results(ds, split, rule=args.rule),
                                                 m if split == "test" else None)
            rec["eval_seconds"] = round(time.perf_counter() - t - rec["seconds"], 1)
            log.append(rec)
            done[key] = rec
            print(json.dumps(rec), file=sys.stderr, flush=True)
    runs = [r for k, r in done.items() if k.startswith(tag + "/")]
    return {"experiment": "rationalizer", "data": args.data, "tag": tag, "log": str(log_path),
            "settings": {**kw, "method": args.method, "epochs": args.epochs, "patience": args.patience, "lr": 1e-3,
                         "batch_size": 32, "train_limit": args.train_limit,
                         "selection": f"{args.rule} (A2R's own is top-k at the sparsity target; top-k: k = sparsity for every method)"},
            **summarize_rationalizer(runs), "runs": runs}


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
    m.add_argument("--log", default=None, help="resumable JSONL log, one line per training run")
    h = sub.add_parser("hatexplain")
    h.add_argument("--data", default="/work/shared/data/hatexplain")
    h.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    h.add_argument("--lambdas", type=float, nargs="+", default=[0.3, 1.0, 3.0])
    h.add_argument("--fractions", type=float, nargs="+", default=[0.1, 1.0])
    h.add_argument("--target", default="attention")
    h.add_argument("--encoder", default="cnn")
    h.add_argument("--vectors", default="glove50")
    h.add_argument("--hidden", type=int, default=64)
    h.add_argument("--epochs", type=int, default=8)
    h.add_argument("--methods", nargs="+", default=["attention", "saliency"])
    h.add_argument("--log", default="benchmarks/results/supervision_hatexplain_runs.jsonl")
    r = sub.add_parser("rationalizer")
    r.add_argument("--data", default="/work/shared/data/movies")
    r.add_argument("--method", default="a2r")
    r.add_argument("--seeds", type=int, nargs="+", default=[0])
    r.add_argument("--lambdas", type=float, nargs="+", default=[1.0, 10.0])
    r.add_argument("--fractions", type=float, nargs="+", default=[1.0])
    r.add_argument("--encoder", default="cnn")
    r.add_argument("--embeddings", default="glove50")
    r.add_argument("--hidden", type=int, default=64)
    r.add_argument("--epochs", type=int, default=6)
    r.add_argument("--patience", type=int, default=2)
    r.add_argument("--max-length", type=int, default=1024)
    r.add_argument("--sparsity", type=float, default=0.2)
    r.add_argument("--train-limit", type=int, default=None)
    r.add_argument("--rule", default="own", choices=["own", "top-k"], help="test-time selection (predict_results rule)")
    r.add_argument("--log", default="benchmarks/results/supervision_rationalizer_movies.jsonl")
    for p in (s, m, h, r):
        p.add_argument("--threads", type=int, default=1)
        p.add_argument("--out", default=None)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    t = time.perf_counter()
    res = {"shortcut": shortcut, "movies": movies, "hatexplain": hatexplain, "rationalizer": rationalizer}[args.experiment](args)
    res["command"] = "python benchmarks/supervision.py " + " ".join(sys.argv[1:])
    res["total_seconds"] = round(time.perf_counter() - t, 1)
    res["machine"] = {"cpus": os.cpu_count(), "threads": args.threads, "load_at_end": load_avg()}
    text = json.dumps(res, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

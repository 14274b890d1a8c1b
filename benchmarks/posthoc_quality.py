"""Quality of the post-hoc explainers; prints JSON.

(a) Synthetic planted benchmark: a small CNN classifier is trained (shared loop) on synthetic data whose
    true rationales are planted; every method is scored by token F1 at the gold length (each example's
    top-|gold| tokens), ERASER token F1 with the default k, and soft AUPRC.
(b) ERASER movies: a saved classifier (``--movies-model``, e.g. runs/movies-cnn or runs/movies-minilm from
    ``rationalize train classifier``) is evaluated on the test split (macro-F1), and every method gets
    AUPRC, token F1, IOU F1, comprehensiveness, sufficiency and AOPC through ``rationalize.metrics.evaluate``
    and ``rationalize.engine.FaithfulnessEngine``, on the first ``--movies-examples`` test documents
    (evenly spaced), because explaining on a shared 2-core CPU is slow.

    nice -n 10 python benchmarks/posthoc_quality.py --movies-model runs/movies-cnn --movies-examples 40
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

METHOD_PARAMS: dict[str, dict[str, Any]] = {
    "integrated-gradients": {"n_steps": 20}, "lime": {"n_samples": 200}, "kernel-shap": {"n_samples": 200},
}


def subset(dataset, split: str, n: int | None):
    from rationalize.data.schema import Dataset

    exs = dataset[split]
    if n is not None and n < len(exs):
        exs = [exs[int(i)] for i in np.linspace(0, len(exs) - 1, n).round()]
    return Dataset(dataset.name, {split: exs, **{k: v for k, v in dataset.splits.items() if k != split}},
                   dataset.documents, dataset.labels)


def gold_length_f1(dataset, split, results) -> float:
    from rationalize.rationalizers.discretize import top_k

    f1s = []
    for ex, r in zip(dataset[split], results):
        gold = np.concatenate([ex.gold_token_mask(d) for d in dataset.docs_of(ex)])
        soft = np.concatenate([rat.soft for rat in r.rationales])
        pred = top_k(soft, int(gold.sum()))
        if gold.sum():
            f1s.append(2 * (gold & pred).sum() / (gold.sum() + pred.sum()))
    return float(np.mean(f1s)) if f1s else float("nan")


def pick(scores: dict, *path: str, default=float("nan")):
    cur: Any = scores
    for p in path:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and cur and isinstance(cur[0], dict):
            cur = next((x for x in cur if x.get("threshold") == 0.5), cur[0]).get(p, default)
        else:
            return default
    return cur


def score_method(model, dataset, split, method: str, faithfulness: bool, batch: int = 4) -> dict[str, Any]:
    from rationalize.metrics import evaluate
    from rationalize.rationalizers.posthoc import explain_dataset, get_explainer

    expl = get_explainer(method, model, **METHOD_PARAMS.get(method, {}))
    t = time.perf_counter()
    results = explain_dataset(expl, dataset, split, batch=batch, progress=False)
    seconds = (time.perf_counter() - t) / max(1, len(results))
    row: dict[str, Any] = {"method": method, "seconds_per_example": round(seconds, 4),
                           "token_f1_at_gold_length": round(gold_length_f1(dataset, split, results), 4)}
    if faithfulness:
        from rationalize.engine import FaithfulnessEngine

        results = FaithfulnessEngine(model).run(dataset, split, results)
    s = evaluate(dataset, split, results)
    row.update({
        "auprc": pick(s, "token_soft_metrics", "auprc"),
        "token_f1": pick(s, "token_prf", "instance_macro", "f1"),
        "iou_f1": pick(s, "iou_scores", "macro", "f1"),
        "comprehensiveness": pick(s, "classification_scores", "comprehensiveness"),
        "sufficiency": pick(s, "classification_scores", "sufficiency"),
        "aopc_comprehensiveness": pick(s, "classification_scores", "comprehensiveness_aopc"),
        "aopc_sufficiency": pick(s, "classification_scores", "sufficiency_aopc"),
    })
    return row


def synthetic(methods, seed: int) -> dict[str, Any]:
    from rationalize.models.training import classifier_metrics, train_classifier
    from rationalize.data import make_synthetic

    out = {}
    for name, cfg in {"one_span": {"spans": (1, 1), "span_length": (2, 4)}, "default": {}}.items():
        ds = make_synthetic(seed=seed, train=400, val=50, test=50, **cfg)
        model, _ = train_classifier(ds, "cnn", None, epochs=10, lr=5e-3, batch_size=16, seed=seed, patience=2,
                                    progress=False, vectors=None, hidden=32)
        rows = [score_method(model, ds, "test", m, faithfulness=True) for m in methods]
        out[name] = {"config": cfg, "test_accuracy": classifier_metrics(model, ds, "test")["accuracy"],
                     "mean_rationale_length": ds.mean_rationale_length("test"), "methods": rows}
    return out


def movies(model_dir: str, n: int, methods, data: str, classify: bool = True) -> dict[str, Any]:
    from rationalize.models.training import classifier_metrics
    from rationalize.data import load_dataset
    from rationalize.models.base import load_model

    ds = load_dataset(data)
    model = load_model(model_dir)
    t = time.perf_counter()
    cls = classifier_metrics(model, ds, "test") if classify else None
    out: dict[str, Any] = {"model": model_dir, "model_class": type(model).__name__, "test_classification": cls,
                           "classification_seconds": round(time.perf_counter() - t, 1), "examples_explained": n}
    sub = subset(ds, "test", n)
    rows = []
    for m in methods:
        rows.append(score_method(model, sub, "test", m, faithfulness=True, batch=2))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    out["methods"] = rows
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--methods", default="saliency,input-x-gradient,integrated-gradients,deeplift,occlusion,lime,"
                    "kernel-shap,attention,attention-mean,attention-rollout,random")
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument("--movies-model", action="append", default=[], help="saved model folder (repeatable)")
    ap.add_argument("--movies-data", default=os.environ.get("RATIONALIZE_SHARED_DATA", "../shared/data") + "/movies")
    ap.add_argument("--movies-examples", type=int, default=40)
    ap.add_argument("--movies-methods", default=None, help="methods for movies (default: --methods)")
    ap.add_argument("--no-classification", action="store_true", help="skip the full test-split classification")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    methods = args.methods.split(",")
    report: dict[str, Any] = {}
    if not args.skip_synthetic:
        report["synthetic"] = synthetic(methods, args.seed)
        print(json.dumps({"synthetic": report["synthetic"]}), file=sys.stderr, flush=True)
    for m in args.movies_model:
        report.setdefault("movies", []).append(
            movies(m, args.movies_examples, (args.movies_methods or args.methods).split(","), args.movies_data,
                   classify=not args.no_classification))
    report["eraser_paper_best_movies_soft_auprc"] = 0.42
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

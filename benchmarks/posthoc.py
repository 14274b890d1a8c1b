"""Speed of our post-hoc explainers against ferret-xai 0.4.2, same model, examples and settings; prints JSON.

Model: MiniLM (``minilm`` alias) with a seeded classification head, saved once under ``runs/`` so that
both toolkits load the very same weights. Examples: the first ``--words`` tokens of ``--examples`` ERASER
movies test documents (ferret does not window long inputs, so inputs fit in one window). Settings: the
same target (class 1), the same Captum method and number of steps / samples; attributions are compared
per sub-word piece on the un-normalised scores (max absolute difference).

ferret pins transformers<5, numpy<2, captum<0.8 and datasets<3, so it runs in its own virtual environment
(``runs/ferret-venv``, created here when absent) as a subprocess; its time is measured inside that process
around the explainer calls only (model loading excluded on both sides).

Also, at equal work: our occlusion against the leave-one-out of ferret's tau-LOO evaluator, and our
faithfulness engine (AOPC comprehensiveness + sufficiency, 10 bins, the full text predicted: 23 inputs per
explanation) against ferret's two AOPC evaluators at the same 10 percentages (``--no-faithfulness`` skips it).

    nice -n 10 python benchmarks/posthoc.py --examples 8 --words 120 [--methods saliency,...,occlusion] [--backend onnx]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
FERRET_PINS = ["ferret-xai==0.4.2", "transformers<5", "numpy<2", "captum<0.8", "datasets<3", "pyarrow<22",
               "torch>=2.6,<2.14"]

#: our method -> (ferret explainer class, its init kwargs, its call kwargs) at equal settings
SHARED = {
    "saliency": ("GradientExplainer", {"multiply_by_inputs": False}, {}),
    "input-x-gradient": ("GradientExplainer", {"multiply_by_inputs": True}, {}),
    "integrated-gradients": ("IntegratedGradientExplainer", {"multiply_by_inputs": True}, {"call_args": {"n_steps": 20}}),
    "lime": ("LIMEExplainer", {}, {"call_args": {"num_samples": 200}}),
}
#: our methods compared with a ferret evaluator rather than an explainer (see the worker)
EVALUATOR_METHODS = ("occlusion",)

FERRET_WORKER = r'''
import copy, json, sys, time, os
import numpy as np, torch
torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
cfg = json.load(open(sys.argv[1]))
import ferret
from transformers import AutoModelForSequenceClassification, AutoTokenizer
tok = AutoTokenizer.from_pretrained(cfg["model"])
model = AutoModelForSequenceClassification.from_pretrained(cfg["model"]).eval()
rows_seen = [0]  # inputs the model predicted (a forward hook), so "equal work" is checked, not assumed
def count_rows(module, args, kwargs):
    first = next((x for x in (kwargs.get("input_ids"), kwargs.get("inputs_embeds"), *args) if x is not None), None)
    rows_seen[0] += 0 if first is None else int(first.shape[0])
model.register_forward_pre_hook(count_rows, with_kwargs=True)
out = {"ferret_version": ferret.__version__ if hasattr(ferret, "__version__") else "0.4.2", "methods": {}}
for name, (cls, init_kw, call_kw) in cfg["shared"].items():
    explainer = getattr(ferret, cls)(model, tok, **init_kw)
    # a fresh copy of the call arguments per call: ferret's LIME pops num_samples out of call_args, so
    # reusing one dict runs every call after the first with ferret's default (up to 5,000 samples)
    explainer(cfg["texts"][0], target=1, **copy.deepcopy(call_kw))  # warm-up (not timed)
    t = time.perf_counter()
    scores = []
    for text in cfg["texts"]:
        e = explainer(text, target=1, **copy.deepcopy(call_kw))
        scores.append([float(x) for x in np.asarray(e.scores).ravel()])
    out["methods"][name] = {"seconds_per_example": (time.perf_counter() - t) / len(cfg["texts"]), "scores": scores}
    json.dump(out, open(sys.argv[2], "w"))  # after every method, so a partial run still reports
if cfg.get("evaluators"):
    # ferret's faithfulness evaluators on saliency explanations (made untimed): leave-one-out as its tau-LOO
    # evaluator computes it (one word piece removed per row), and AOPC comprehensiveness + sufficiency at the
    # bins given (each evaluator also predicts the full text once)
    bench = ferret.Benchmark(model, tok)
    by_name = {type(e).__name__: e for e in bench.evaluators}
    maker = ferret.GradientExplainer(model, tok, multiply_by_inputs=False)
    explanations = [maker(text, target=1) for text in cfg["texts"]]
    loo = by_name["TauLOO_Evaluation"]
    loo.compute_leave_one_out_occlusion(cfg["texts"][0], target=1)  # warm-up
    rows_seen[0] = 0
    t = time.perf_counter()
    rows = [len(loo.compute_leave_one_out_occlusion(text, target=1)) for text in cfg["texts"]]
    out["methods"]["occlusion"] = {"seconds_per_example": (time.perf_counter() - t) / len(rows),
                                   "rows_per_example": sum(rows) / len(rows),
                                   "inputs_per_example": rows_seen[0] / len(rows)}
    json.dump(out, open(sys.argv[2], "w"))
    # ferret's "perc" rule takes fractions (int(fraction * pieces) removed); percents would select nothing and
    # leave it predicting the full text only, with its default scores (comprehensiveness 0, sufficiency 1)
    fractions = [p / 100 for p in cfg["evaluators"]["percents"]]
    args = {"removal_args": {"remove_tokens": True, "based_on": "perc", "thresholds": fractions}}
    comp, suff = by_name["AOPC_Comprehensiveness_Evaluation"], by_name["AOPC_Sufficiency_Evaluation"]
    comp.compute_evaluation(explanations[0], target=1, **copy.deepcopy(args))  # warm-up
    rows_seen[0] = 0
    t = time.perf_counter()
    got = [(float(comp.compute_evaluation(e, target=1, **copy.deepcopy(args)).score),
            float(suff.compute_evaluation(e, target=1, **copy.deepcopy(args)).score)) for e in explanations]
    out["faithfulness"] = {"seconds_per_example": (time.perf_counter() - t) / len(got),
                           "inputs_per_example": rows_seen[0] / len(got),
                           "aopc_comprehensiveness": [a for a, _ in got], "aopc_sufficiency": [b for _, b in got]}
    json.dump(out, open(sys.argv[2], "w"))
'''


def ensure_ferret_venv(path: Path) -> Path:
    python = path / "bin" / "python"
    if python.exists() and subprocess.run([str(python), "-c", "import ferret"], capture_output=True, check=False).returncode == 0:
        return python
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *FERRET_PINS], check=True)
    return python


def prepare_model(folder: Path, seed: int):
    """MiniLM with a seeded random head, saved for both toolkits (reused when present)."""
    import torch

    from rationalize.models.base import load_model
    from rationalize.models.hf_classifier import HFClassifier

    if (folder / "rationalize.json").exists():
        return load_model(folder)
    torch.manual_seed(seed)
    model = HFClassifier("minilm", ["NEG", "POS"])
    model.save(folder)
    return model


def our_scores(model, method: str, inputs, params: dict, batch_size: int):
    """Our attributions per piece (special tokens excluded) and seconds per example; the explainer
    keeps pieces apart by using ``max-abs``-free per-piece output: we read them before aggregation."""
    from rationalize.rationalizers.posthoc import get_explainer

    expl = get_explainer(method, model, batch_size=batch_size, **params)
    expl.attribute(inputs[:1], target=1)  # warm-up
    t = time.perf_counter()
    token_scores = expl.attribute(inputs, target=1)
    seconds = (time.perf_counter() - t) / len(inputs)
    return token_scores, seconds


#: AOPC bins of the faithfulness comparison, in percent of the input (ferret's ``based_on="perc"``)
PERCENTS = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)


def our_faithfulness(model, ds, exs, words: int, saliency, percents) -> dict:
    """Our engine at ferret's work per explanation: the full text predicted (``full="recompute"``), then
    comprehensiveness and sufficiency with the top ``p`` % removed / kept for each of ``percents`` -- 1 +
    2 + 2 x 10 = 23 inputs; the explanations are the saliency scores (seeded random ones without them).
    Seconds per explanation, and the mean AOPC scores."""
    from dataclasses import replace

    from rationalize.data.results import DocRationale, Result
    from rationalize.data.schema import Document
    from rationalize.engine import FaithfulnessEngine

    rng = np.random.default_rng(0)
    results = []
    for i, ex in enumerate(exs):
        doc = ds.doc(ex.docids[0])
        ds.documents[doc.docid] = Document(doc.docid, doc.tokens[:words], [(a, min(b, words)) for a, b in doc.sentences
                                                                           if a < words])
        ex.evidence_groups = [[replace(ev, end_token=min(ev.end_token, words)) for ev in g if ev.start_token < words]
                              for g in ex.evidence_groups]
        n = len(ds.documents[doc.docid])
        soft = saliency[i] if saliency is not None else rng.random(n)
        results.append(Result(ex.id, [DocRationale(doc.docid, [], soft=[float(x) for x in soft[:n]])]))
    ds.splits["test"] = list(exs)
    bins = [p / 100 for p in percents]
    engine = FaithfulnessEngine(model, progress=False, full="recompute")
    engine.run(ds, "test", results[:1], aopc_thresholds=bins)  # warm-up
    engine = FaithfulnessEngine(model, progress=False, full="recompute")
    t = time.perf_counter()
    out = engine.run(ds, "test", results, aopc_thresholds=bins)
    seconds = (time.perf_counter() - t) / len(results)
    target = model.labels[1]  # ferret's target=1, as the saliency scores explain it

    def aopc(r, key: str) -> float:
        return float(np.mean([r.classification_scores[target] - getattr(t, key)[target] for t in r.thresholded_scores]))

    return {"ours_seconds_per_explanation": round(seconds, 4),
            "inputs_per_explanation": engine.n_forward_inputs_ / len(out), "percents": list(percents),
            "ours_mean_aopc": {"comprehensiveness": float(np.mean([aopc(r, "comprehensiveness_classification_scores")
                                                                   for r in out])),
                               "sufficiency": float(np.mean([aopc(r, "sufficiency_classification_scores") for r in out]))},
            "note": "AOPC values are not expected equal: ferret ranks word pieces and rounds percentages its way, we "
                    "rank dataset tokens (ERASER's top-k rule); the work per explanation is the same"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=8)
    ap.add_argument("--words", type=int, default=120, help="dataset tokens per example (one window)")
    ap.add_argument("--data", default=os.environ.get("RATIONALIZE_SHARED_DATA", str(ROOT.parent / "shared" / "data")) + "/movies")
    ap.add_argument("--methods", default=",".join((*SHARED, *EVALUATOR_METHODS)))
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--venv", default=str(ROOT / "runs" / "ferret-venv"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--backend", default="torch", help="our forward backend: torch or onnx (ferret runs torch)")
    ap.add_argument("--faithfulness", action=argparse.BooleanOptionalAction, default=True,
                    help="also AOPC comprehensiveness + sufficiency at equal work (our engine vs ferret's evaluators)")
    ap.add_argument("--ferret", action=argparse.BooleanOptionalAction, default=True,
                    help="run ferret's side (in its own venv, created on first use)")
    ap.add_argument("--ferret-timeout", type=float, default=1800, help="seconds before ferret's worker is stopped")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from rationalize.data import load_dataset
    from rationalize.models.base import ClassifierInput
    from rationalize.models.windows import example_input

    ds = load_dataset(args.data)
    exs = ds["test"][: args.examples]
    inputs = [ClassifierInput(example_input(ds, ex).tokens[: args.words]) for ex in exs]
    texts = [" ".join(i.tokens) for i in inputs]
    model_dir = ROOT / "runs" / "bench-minilm-random-head"
    model = prepare_model(model_dir, args.seed)
    methods = args.methods.split(",")
    if args.backend != "torch":
        from rationalize.models.onnx_backend import set_backend

        set_backend(model, args.backend, threads=args.threads)
    # ferret's saliency is Captum's (absolute gradient) summed over embedding dimensions: reduce="sum"
    params = {"saliency": {"reduce": "sum"}, "integrated-gradients": {"n_steps": 20, "method": "gausslegendre"},
              "lime": {"n_samples": 200}}

    report: dict = {"device": "cpu", "threads": args.threads, "examples": len(inputs), "words_per_example": args.words,
                    "batch_size": args.batch_size, "our_backend": args.backend,
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                    "model": "minilm + seeded random head", "methods": {}}
    ours = {}
    for m in methods:
        scores, sec = our_scores(model, m, inputs, params.get(m, {}), args.batch_size)
        ours[m] = scores
        report["methods"][m] = {"ours_seconds_per_example": round(sec, 4)}
        print(json.dumps({m: sec}), file=sys.stderr, flush=True)
    if args.faithfulness:
        report["faithfulness"] = our_faithfulness(model, ds, exs, args.words, ours.get("saliency"), PERCENTS)
        print(json.dumps({"faithfulness": report["faithfulness"]["ours_seconds_per_explanation"]}), file=sys.stderr,
              flush=True)

    if not args.ferret:
        report["ferret_error"] = "not run (--no-ferret)"
        print(json.dumps(report, indent=1))
        return
    try:
        python = ensure_ferret_venv(Path(args.venv))
    except (subprocess.CalledProcessError, OSError) as exc:
        report["ferret_error"] = f"could not create the ferret environment: {exc}"
        print(json.dumps(report, indent=1))
        return
    work = ROOT / "runs" / "bench-posthoc"
    work.mkdir(parents=True, exist_ok=True)
    (work / "worker.py").write_text(FERRET_WORKER)
    cfg = {"model": str(model_dir / "hf"), "texts": texts,
           "shared": {m: list(SHARED[m]) for m in methods if m in SHARED},
           "evaluators": {"percents": list(PERCENTS)} if "occlusion" in methods or args.faithfulness else None}
    (work / "cfg.json").write_text(json.dumps(cfg))
    env = {**os.environ, "BENCH_THREADS": str(args.threads), "PYTHONPATH": ""}
    (work / "ferret.json").unlink(missing_ok=True)
    try:
        proc = subprocess.run([str(python), str(work / "worker.py"), str(work / "cfg.json"), str(work / "ferret.json")],
                              env=env, capture_output=True, text=True, timeout=args.ferret_timeout, check=False)
        failed = proc.stderr[-3000:] if proc.returncode != 0 else None
    except subprocess.TimeoutExpired:  # the worker saves after every method: compare what it finished
        failed = f"ferret worker stopped after {args.ferret_timeout}s"
    if failed:
        report["ferret_error"] = failed
        if not (work / "ferret.json").exists():
            print(json.dumps(report, indent=1))
            return
    fer = json.loads((work / "ferret.json").read_text())
    for m, row in report["methods"].items():
        if m not in fer["methods"] or m in EVALUATOR_METHODS:
            continue
        f = fer["methods"][m]
        row["ferret_seconds_per_example"] = round(f["seconds_per_example"], 4)
        row["speedup"] = round(f["seconds_per_example"] / max(row["ours_seconds_per_example"], 1e-9), 2)
        diffs = []
        for inp, ours_tok, fer_pieces in zip(inputs, ours[m], f["scores"]):
            # ferret scores every piece including [CLS]/[SEP]; sum its pieces per dataset token like ours
            ids, tok = model.pieces(inp.tokens)
            fp = np.asarray(fer_pieces)[1 : 1 + len(ids)]
            fer_tok = np.zeros(len(inp.tokens))
            np.add.at(fer_tok, tok, fp)
            diffs.append(float(np.abs(fer_tok - ours_tok).max()))
        row["max_abs_diff"] = max(diffs)
        row["max_abs_score"] = float(max(np.abs(s).max() for s in ours[m]))
    if "occlusion" in report["methods"] and "occlusion" in fer["methods"]:
        row = report["methods"]["occlusion"]
        row["ferret_seconds_per_example"] = round(fer["methods"]["occlusion"]["seconds_per_example"], 4)
        row["speedup"] = round(row["ferret_seconds_per_example"] / max(row["ours_seconds_per_example"], 1e-9), 2)
        row["ferret_rows_per_example"] = fer["methods"]["occlusion"]["rows_per_example"]
        row["ours_rows_per_example"] = float(np.mean([len(i.tokens) for i in inputs]))
        row["ferret_inputs_per_example"] = fer["methods"]["occlusion"].get("inputs_per_example")
        # equal work per row: ferret deletes one word piece per row, we mask one dataset token's pieces
        row["speedup_per_row"] = round(row["speedup"] * row["ours_rows_per_example"] / row["ferret_rows_per_example"], 2)
        row["note"] = ("ferret: its tau-LOO evaluator's leave-one-out, one word piece deleted per row and the text "
                       "decoded and re-tokenised; ours: occlusion, each dataset token's pieces masked (rows differ "
                       "in number, see rows_per_example; attributions not compared)")
    if "faithfulness" in report and "faithfulness" in fer:
        f = report["faithfulness"]
        f["ferret_seconds_per_explanation"] = round(fer["faithfulness"]["seconds_per_example"], 4)
        f["ferret_inputs_per_explanation"] = fer["faithfulness"].get("inputs_per_example")
        f["speedup"] = round(f["ferret_seconds_per_explanation"] / max(f["ours_seconds_per_explanation"], 1e-9), 2)
        f["ferret_mean_aopc"] = {"comprehensiveness": float(np.mean(fer["faithfulness"]["aopc_comprehensiveness"])),
                                 "sufficiency": float(np.mean(fer["faithfulness"]["aopc_sufficiency"]))}
    if "lime" in report["methods"]:
        report["methods"]["lime"]["note"] = ("ferret's LIME uses the lime package's sampler and ridge surrogate, "
                                             "ours Captum's: same sample budget, attributions not expected equal")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

"""Saved movies rationalizers scored the way the noise-injection paper's released code scores them (issue 15).

The published anchors (NI paper Table 1: A2R 34.9, BERT-A2R 36.4, BERT-A2R + NI 38.6 token F1) come from
``adamstorek/noise_injection`` ``model/run_words.py``, whose evaluation differs from ERASER's in three ways:

1. **A window.** Each review is cut to ``--max_length 512`` BERT word pieces (510 without [CLS] / [SEP]); the
   model reads only the window, and precision, recall and F1 count only the gold rationale *inside* it.
2. **Word pieces.** The masks are per word piece (``word_ids``), so a word of three pieces counts three times.
3. **Its F1.** Per review ``tp / (tp + (fp + fn) / 2 + 1e-6)``, averaged over reviews (a review without gold
   in its window scores 0, as there).

This script reloads models saved by ``select_predict_ni.py`` (``runs/select_predict_ni/<key>``), checks that
they reproduce their logged ERASER numbers (full document, top-k), and scores them again on the window: the
model reads the first ``W`` words of each review (``W`` the words whose pieces fit in 510, bert-base-uncased
pieces from the MiniLM tokenizer, which shares its vocabulary), top-k keeps ``k_tokens(ρ, W)`` of them,
and F1 is computed as above per word piece and per word. Random words and every word at the same k are scored
the same way. Each model gets its mean and a 95 % bootstrap interval over reviews; the arm (all models with
one configuration) gets the mean over seeds with a bootstrap over seeds and reviews.

    python benchmarks/select_predict_window.py --log benchmarks/results/select_predict_ni_movies_bigru_cnn.jsonl \\
        --out benchmarks/results/select_predict_window_movies.json

Prints JSON; ``--out`` also writes it. Nothing is trained: a few seconds a model on 1 thread.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from select_predict_ni import baseline_results, scores

from rationalize.data import load_dataset
from rationalize.data.schema import Dataset, Document
from rationalize.models import load_model
from rationalize.models.hub import resolve
from rationalize.rationalizers.discretize import k_tokens

PIECES = 510  # --max_length 512 minus [CLS] and [SEP]


def piece_counts(ds: Dataset, split: str) -> dict[str, list[int]]:
    """Word pieces of every word of the split's documents (bert-base-uncased vocabulary, word by word, as
    ``is_split_into_words`` tokenizes)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(resolve("minilm")["path"])
    docids = sorted({d for ex in ds[split] for d in ex.docids})
    vocab = sorted({w for d in docids for w in ds.doc(d).tokens})
    n = dict(zip(vocab, (len(ids) for ids in tok(vocab, add_special_tokens=False)["input_ids"])))
    # a word the tokenizer drops (control characters) has no piece
    return {d: [n[w] for w in ds.doc(d).tokens] for d in docids}


def window_words(pieces: list[int], budget: int = PIECES) -> int:
    """How many leading words have all their pieces inside ``budget`` pieces."""
    total = np.cumsum(pieces)
    return int(np.searchsorted(total, budget, side="right"))


def windowed(ds: Dataset, split: str, words: dict[str, int]) -> Dataset:
    """``ds`` with the split's documents cut to their first ``words[docid]`` words, sentences and evidences
    clipped to the window (an evidence wholly outside it is dropped)."""
    docs = dict(ds.documents)
    for docid, w in words.items():
        d = ds.doc(docid)
        sents = [(s, min(e, w)) for s, e in d.sentences if s < w]
        docs[docid] = Document(docid, d.tokens[:w], sents)
    exs = []
    for ex in ds[split]:
        groups = [[replace(ev, end_token=min(ev.end_token, words[ev.docid])) for ev in g
                   if ev.start_token < words[ev.docid]] for g in ex.evidence_groups]
        exs.append(replace(ex, evidence_groups=[g for g in groups if g]))
    return replace(ds, splits={**ds.splits, split: exs}, documents=docs)


def reference_f1(ds: Dataset, split: str, results, pieces: dict[str, list[int]] | None) -> list[float]:
    """Per review, run_words.py's ``tp / (tp + (fp + fn) / 2 + 1e-6)`` over the window's word pieces
    (``pieces``) or words (``None``)."""
    out = []
    for ex, r in zip(ds[split], results):
        tp = fp = fn = 0.0
        for rat in r.rationales:
            doc = ds.doc(rat.docid)
            gold = np.asarray(ex.gold_token_mask(doc), dtype=bool)
            pred = np.zeros(len(doc), dtype=bool)
            for b, e in rat.hard:
                pred[b:e] = True
            w = np.asarray(pieces[rat.docid][: len(doc)], dtype=float) if pieces else np.ones(len(doc))
            tp += w[pred & gold].sum()
            fp += w[pred & ~gold].sum()
            fn += w[~pred & gold].sum()
        out.append(tp / (tp + (fp + fn) / 2 + 1e-6))
    return out


def bootstrap(x: np.ndarray, n_boot: int = 2000, seed: int = 0) -> dict:
    """Mean of ``x`` (seeds × reviews) and its 95 % interval, resampling seeds and reviews."""
    x = np.atleast_2d(x)
    rng = np.random.default_rng(seed)
    s, r = x.shape
    stats = [x[np.ix_(rng.integers(0, s, s), rng.integers(0, r, r))].mean() for _ in range(n_boot)]
    lo, hi = np.percentile(stats, [2.5, 97.5])
    return {"mean": float(x.mean()), "ci95": [float(lo), float(hi)]}


def score_window(ds_w: Dataset, split: str, results, pieces) -> dict:
    """The window scores of one set of results: both reference F1s per review, ERASER's token F1 and
    accuracy on the windowed data."""
    s = scores(ds_w, split, results)
    return {"wordpiece_f1": reference_f1(ds_w, split, results, pieces),
            "word_f1": reference_f1(ds_w, split, results, None),
            "eraser_token_f1": s["token_f1"], "token_auprc": s["token_auprc"],
            "correct": s["per_review"]["correct"], "selection_rate": s["selection_rate"]}


def main() -> None:
    """Reload every model of the log that has a saved folder, check it, score it on the window."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", action="append", required=True, help="a select_predict_ni.py log (repeatable)")
    ap.add_argument("--runs", default="runs/select_predict_ni", help="where select_predict_ni.py saved the models")
    ap.add_argument("--movies", default="/work/shared/data/movies")
    ap.add_argument("--pieces", type=int, default=PIECES, help="window: word pieces of each review the model reads")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    ds = load_dataset(args.movies)
    split = "test"
    pieces = piece_counts(ds, split)
    words = {d: window_words(p, args.pieces) for d, p in pieces.items()}
    ds_w = windowed(ds, split, words)
    gold_in = sum(len(ev.span) for ex in ds_w[split] for ev in ex.evidences)
    gold_all = sum(len(ev.span) for ex in ds[split] for ev in ex.evidences)
    out: dict = {"command": " ".join(sys.argv), "split": split, "reviews": len(ds[split]), "pieces": args.pieces,
                 "window_words": {"mean": float(np.mean(list(words.values()))), "min": min(words.values()),
                                  "max": max(words.values())},
                 "document_words_mean": float(np.mean([len(ds.doc(d)) for d in words])),
                 "gold_words_in_window": gold_in / gold_all,
                 "reviews_without_gold_in_window": sum(not ex.evidences for ex in ds_w[split]),
                 "baselines": {}, "models": [], "arms": {}}
    for kind in ("random", "all"):
        res = baseline_results(ds_w, split, kind, 0.2, seed=0)  # random: the same k per window
        s = score_window(ds_w, split, res, pieces)
        out["baselines"][f"{kind}/k0.2"] = {m: (float(np.mean(v)) if isinstance(v, list) else v)
                                           for m, v in s.items() if m != "correct"}
    arms: dict[str, dict[str, list]] = {}
    for log in args.log:
        for n, line in enumerate(Path(log).read_text(encoding="utf-8").splitlines(), 1):
            rec = json.loads(line)
            if "seed" not in rec:
                continue
            folder = Path(args.runs) / rec["id"].replace("/", "_")
            if not (folder / "rationalize.json").is_file():
                continue
            sparsity = rec["params"].get("sparsity", 0.2)
            model = load_model(folder)
            full = scores(ds, split, model.predict_results(ds, split, rule="top-k"))
            if abs(full["token_f1"] - rec["top-k"]["token_f1"]) > 1e-6:
                sys.exit(f"{log}:{n}: field top-k.token_f1: the saved model {folder} gives {full['token_f1']:.6f}, "
                         f"the log {rec['top-k']['token_f1']:.6f} (not the model that was scored)")
            res = model.predict_results(ds_w, split, rule="top-k")
            if any(sum(e - b for rat in r.rationales for b, e in rat.hard) !=
                   sum(k_tokens(sparsity, len(ds_w.doc(rat.docid))) for rat in r.rationales) for r in res):
                sys.exit(f"{folder}: top-k on the window did not keep k_tokens({sparsity}, W) words a review")
            s = score_window(ds_w, split, res, pieces)
            if abs(float(np.mean(s["word_f1"])) - s["eraser_token_f1"]) > 1e-4:  # same formula, two implementations
                sys.exit(f"{folder}: word-level reference F1 {np.mean(s['word_f1']):.6f} differs from ERASER's "
                         f"{s['eraser_token_f1']:.6f} on the windowed data")
            arm = rec["id"].rsplit("/seed", 1)[0]
            row = {"id": rec["id"], "seed": rec["seed"], "full_token_f1": full["token_f1"],
                   "full_accuracy": full["accuracy"],
                   **{m: bootstrap(np.array(s[m])) for m in ("wordpiece_f1", "word_f1", "correct")},
                   "eraser_token_f1": s["eraser_token_f1"], "token_auprc": s["token_auprc"]}
            out["models"].append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
            a = arms.setdefault(arm, {"seeds": [], "wordpiece_f1": [], "word_f1": [], "correct": [],
                                      "full_token_f1": [], "full_accuracy": []})
            a["seeds"].append(rec["seed"])
            for m in ("wordpiece_f1", "word_f1", "correct"):
                a[m].append(s[m])
            a["full_token_f1"].append(full["token_f1"])
            a["full_accuracy"].append(full["accuracy"])
    for arm, a in arms.items():
        out["arms"][arm] = {"seeds": a["seeds"], "full_token_f1": float(np.mean(a["full_token_f1"])),
                            "full_accuracy": float(np.mean(a["full_accuracy"])),
                            **{m: bootstrap(np.array(a[m])) for m in ("wordpiece_f1", "word_f1", "correct")}}
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()

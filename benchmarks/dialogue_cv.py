"""Dialogue parser development: cross-validation over the train + dev questions, by phrasing, for ablations.

The parser's settings were chosen here, never on the fresh test set: 5-fold cross-validation over the 418
questions of src/rationalize/dialogue/questions.jsonl with every phrasing (``template``, both of its
fillings) in one fold, repeated with ``--repeats`` fold assignments (seeds 0, 1, ...), so a question is
always scored by a parser that never saw its phrasing; plus the score on ``dev`` of a parser trained on
``train`` alone. The sentence encoder is loaded once and its cache shared by every fold.

Run: ``OMP_NUM_THREADS=1 python benchmarks/dialogue_cv.py [--encoder minilm|none] [--repeats 3] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dialogue import gold_operation, load_set

PREVIOUS = {"cue_weight": 0.5, "slot_weight": 0.0, "balanced": False, "spelling": False}
#: (name, IntentClassifier settings, Parser settings): the previous round's settings, then one change at a time.
CONFIGS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("previous settings (cues 0.5, no slot features, unbalanced, no constraints)", PREVIOUS,
     {"coverage_penalty": 0.0, "hard_slots": False}),
    ("+ slot features 1.0", {**PREVIOUS, "slot_weight": 1.0}, {"coverage_penalty": 0.0, "hard_slots": False}),
    ("+ cue weight 1.25", {**PREVIOUS, "slot_weight": 1.0, "cue_weight": 1.25},
     {"coverage_penalty": 0.0, "hard_slots": False}),
    ("+ balanced classes", {**PREVIOUS, "slot_weight": 1.0, "cue_weight": 1.25, "balanced": True},
     {"coverage_penalty": 0.0, "hard_slots": False}),
    ("+ grammar constraints and coverage penalty", {**PREVIOUS, "slot_weight": 1.0, "cue_weight": 1.25, "balanced": True},
     {}),
    ("+ cues on spelling-corrected text (the shipped parser)", {}, {}),
    ("shipped + kNN vote (k=5, weight 0.2)", {"knn": 5, "knn_weight": 0.2}, {}),
    ("shipped + kNN vote (k=3, weight 0.5)", {"knn": 3, "knn_weight": 0.5}, {}),
    ("shipped, C=50", {"C": 50.0}, {}),
]


def score(base: Any, rows: list[dict[str, Any]], parser_kw: dict[str, Any]) -> tuple[int, int]:
    """(exact parses, right intents) of a trained parser on rows."""
    from rationalize.dialogue.grammar import parse_program
    from rationalize.dialogue.parser import Parser

    exact = intent = 0
    for r in rows:
        p = Parser(base.classifier, r["labels"], methods=base.methods, **parser_kw)
        got = p.parse(r["question"], parse_program(r["context"]) if r.get("context") else None)
        exact += got.text == (parse_program(r["parse"]).to_text() if r["parse"] else "")
        intent += (got.program.operation if got.program is not None else "unknown") == gold_operation(r["parse"])
    return exact, intent


def cross_validate(encoder: Any, clf_kw: dict[str, Any], parser_kw: dict[str, Any], repeats: int) -> dict[str, Any]:
    """Dev score (trained on train) and phrasing-grouped 5-fold CV over train + dev, ``repeats`` times."""
    import numpy as np

    from rationalize.dialogue.parser import Parser

    train, dev = load_set("train"), load_set("dev")
    kw = {**clf_kw, "embedder": encoder} if encoder is not None else clf_kw
    name = "minilm" if encoder is not None else None
    base = Parser.train(["NEG", "POS"], encoder=name, questions=train, classifier=kw)
    dev_exact, dev_intent = score(base, dev, parser_kw)
    rows = train + dev
    exact, intent = [], []
    for seed in range(repeats):
        groups = sorted({r["template"] for r in rows})
        np.random.RandomState(seed).shuffle(groups)
        fold = {g: i % 5 for i, g in enumerate(groups)}
        e = i = 0
        for k in range(5):
            fit = [r for r in rows if fold[r["template"]] != k]
            held = [r for r in rows if fold[r["template"]] == k]
            b = Parser.train(["NEG", "POS"], encoder=name, questions=fit, classifier=kw)
            de, di = score(b, held, parser_kw)
            e, i = e + de, i + di
        exact.append(round(e / len(rows), 4))
        intent.append(round(i / len(rows), 4))
    return {"dev_exact": round(dev_exact / len(dev), 4), "dev_intent": round(dev_intent / len(dev), 4),
            "cv_exact_mean": round(statistics.mean(exact), 4), "cv_intent_mean": round(statistics.mean(intent), 4),
            "cv_exact_per_repeat": exact, "cv_intent_per_repeat": intent}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", default="minilm", help="sentence encoder, or 'none' (TF-IDF features only)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    encoder = None
    if args.encoder != "none":
        from rationalize.models.sentence import SentenceEncoder

        encoder = SentenceEncoder(args.encoder, normalize=True)
    out: dict[str, Any] = {"command": "OMP_NUM_THREADS=1 python benchmarks/dialogue_cv.py " + " ".join(sys.argv[1:]),
                           "load_average_start": [round(x, 2) for x in os.getloadavg()], "encoder": args.encoder,
                           "questions": len(load_set("train")) + len(load_set("dev")), "folds": 5,
                           "repeats": args.repeats, "configs": []}
    for name, clf_kw, parser_kw in CONFIGS:
        t = time.perf_counter()
        res = cross_validate(encoder, clf_kw, parser_kw, args.repeats)
        out["configs"].append({"name": name, "classifier": clf_kw, "parser": parser_kw, **res,
                               "seconds": round(time.perf_counter() - t, 1)})
        print(json.dumps(out["configs"][-1]), file=sys.stderr)
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

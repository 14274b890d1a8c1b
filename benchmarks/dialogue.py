"""Dialogue benchmark: parser accuracy on the held-out question sets, parse latency, cached answer latency.

Two parsers, both deterministic: ``parser_train_only`` trains on the ``train`` part of the packaged question
set (src/rationalize/dialogue/questions.jsonl) and is scored on ``dev`` (the former held-out ``test`` part,
used to design the parser), ``final`` (60 questions scored in the previous round) and ``fresh`` (180
questions written before this round's parser changes, benchmarks/data/dialogue_questions_fresh.jsonl, never
trained on); ``parser_shipped`` trains on ``train`` + ``dev``, as a Conversation does, and is scored on
``final`` and ``fresh``. *Exact parse*: the canonical program text equals the gold one (after the context of
a follow-up); *intent*: the operation of the predicted program equals the gold one (an out-of-scope question
counts as right when it is rejected). 95% Wilson intervals; per gold operation "exact/intent/n"; the intent
confusions; every wrong parse.

Latency: parse time per question (median, p95); answer time of questions whose model calls are cached (each
asked twice, the second timed) on a conversation over ``--data`` with a small CNN classifier trained in the
script (synthetic data by default; ``--data ../shared/data/movies``).

Run: ``OMP_NUM_THREADS=1 python benchmarks/dialogue.py [--encoder minilm|none] [--sets dev,final,fresh]
[--data PATH] [--skip-answers] [--out FILE]`` (develop with ``--sets dev``; the settings were chosen by
benchmarks/dialogue_cv.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any


def wilson(k: int, n: int, z: float = 1.96) -> list[float]:
    """95% Wilson score interval of a proportion k / n."""
    if n == 0:
        return [float("nan"), float("nan")]
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [round(c - h, 4), round(c + h, 4)]


DATA = Path(__file__).with_name("data")
FINAL = DATA / "dialogue_questions_final.jsonl"
FRESH = DATA / "dialogue_questions_fresh.jsonl"
QUESTIONS = Path(__file__).resolve().parents[1] / "src" / "rationalize" / "dialogue" / "questions.jsonl"
#: The question sets the benchmark can score: ``dev`` (the old held-out ``test`` part of the packaged set, used
#: to design the parser), ``final`` (60 questions scored once in the previous round), ``fresh`` (195 questions
#: written before this round's parser changes, scored once at its end), ``train`` (for reference).
SETS = ("dev", "final", "fresh", "train")


def load_set(name: str) -> list[dict[str, Any]]:
    """The rows of one question set (read from the files, so an older parser can be scored on the same rows)."""
    if name in ("dev", "train"):
        rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [r for r in rows if r["split"] == name]
    path = FINAL if name == "final" else FRESH
    return [{"labels": ["NEG", "POS"], "context": None, **json.loads(line)}
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def gold_operation(parse: str) -> str:
    """The operation of a gold program ("unknown" for an out-of-scope question)."""
    from rationalize.dialogue.grammar import parse_program

    return parse_program(parse).operation if parse else "unknown"


def parser_scores(base: Any, name: str) -> dict[str, Any]:
    """Exact-parse and intent accuracy of a trained parser on one question set, with 95% Wilson intervals,
    per gold operation, the intent confusions and every wrong parse."""
    from rationalize.dialogue.grammar import parse_program
    from rationalize.dialogue.parser import Parser

    rows = load_set(name)
    exact = intent = 0
    by_intent: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_style: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confusions: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    times, errors = [], []
    for r in rows:
        parser = Parser(base.classifier, r["labels"], methods=base.methods)
        prev = parse_program(r["context"]) if r.get("context") else None
        t = time.perf_counter()
        got = parser.parse(r["question"], prev)
        times.append(time.perf_counter() - t)
        gold = parse_program(r["parse"]).to_text() if r["parse"] else ""
        ok = got.text == gold
        gold_op = gold_operation(r["parse"])
        got_op = got.program.operation if got.program is not None else "unknown"
        exact += ok
        intent += got_op == gold_op
        by_intent[gold_op][0] += ok
        by_intent[gold_op][1] += got_op == gold_op
        by_intent[gold_op][2] += 1
        by_style[r["style"]][0] += ok
        by_style[r["style"]][1] += 1
        if got_op != gold_op:
            confusions[gold_op][got_op] += 1
        if not ok:
            errors.append({"question": r["question"], "gold": gold, "got": got.text, "context": r.get("context")})
    n = len(rows)
    times.sort()
    return {"set": name, "questions": n, "exact_parse": round(exact / n, 4), "exact_parse_ci95": wilson(exact, n),
            "intent": round(intent / n, 4), "intent_ci95": wilson(intent, n),
            "by_intent_exact_intent_n": {k: f"{a}/{b}/{c}" for k, (a, b, c) in sorted(by_intent.items())},
            "exact_by_style": {k: f"{a}/{b}" for k, (a, b) in sorted(by_style.items())},
            "intent_confusions": {g: dict(sorted(c.items())) for g, c in sorted(confusions.items())},
            "parse_ms_median": round(1000 * statistics.median(times), 2),
            "parse_ms_p95": round(1000 * times[int(0.95 * (n - 1))], 2), "errors": errors}


def train_parser(encoder: str | None, splits: tuple[str, ...]) -> tuple[Any, float]:
    """A parser trained on the given parts of the packaged question set, and its training seconds."""
    from rationalize.dialogue.parser import Parser

    rows = [r for s in splits for r in load_set(s)]
    t0 = time.perf_counter()
    base = Parser.train(["NEG", "POS"], encoder=encoder, questions=rows)
    return base, round(time.perf_counter() - t0, 2)


def llm_scores(spec: str, base: Any, limit: int) -> dict[str, Any]:
    """The few-shot LLM parser alone (no intent classifier) on the first ``limit`` held-out questions without
    context: exact-parse accuracy and seconds per question (a baseline, as TalkToModel's GPT-J few-shot)."""
    from rationalize.dialogue.grammar import parse_program
    from rationalize.dialogue.parser import LLMParser, extract_slots
    from rationalize.rationalizers.freetext.generators import load_generator

    llm = LLMParser(load_generator(spec, chat=False))
    rows = [r for r in load_set("dev") if not r.get("context") and r["parse"]][:limit]
    exact, times = 0, []
    for r in rows:
        masked = extract_slots(r["question"], r["labels"], base.methods).masked
        t = time.perf_counter()
        got = llm.parse(r["question"], base.classifier.nearest_pairs(masked, llm.shots))
        times.append(time.perf_counter() - t)
        exact += got is not None and got.to_text() == parse_program(r["parse"]).to_text()
    return {"generator": spec, "questions": len(rows), "exact_parse": round(exact / len(rows), 4),
            "exact_parse_ci95": wilson(exact, len(rows)), "seconds_per_question": round(statistics.median(times), 2)}


CACHED_QUESTIONS = [
    "what do you predict for the first example?", "how confident are you about the second example?",
    "what is your accuracy?", "f1 per class", "label distribution", "tell me about the data",
    "most frequent words", "how many mistakes?", "show me 3 examples you get wrong",
    "why did you predict that for the first example?", "most important words overall",
    "does the rationale of the first example agree with the human one?", "compare attention and occlusion",
    "which examples are similar to the first example?", "explain the first example",
    "show the third example", "help", "which model are you?",
]


def answer_latency(data: str | None, encoder: str | None) -> dict[str, Any]:
    """Median / max time of answers whose model calls are cached (second asking of each question)."""
    import torch

    from rationalize import load_dataset
    from rationalize.data import make_synthetic
    from rationalize.dialogue import Conversation
    from rationalize.models.training import train_classifier

    torch.set_num_threads(1)
    ds = load_dataset(data) if data else make_synthetic(seed=0, train=200, val=40, test=40)
    split = "test" if "test" in ds.splits else "val"
    t = time.perf_counter()
    clf, _ = train_classifier(ds, "cnn", None, epochs=3, progress=False, vectors=None if not data else "glove50",
                              hidden=64, max_steps_per_epoch=60)
    train_s = time.perf_counter() - t
    conv = Conversation(ds, clf, split=split, encoder=encoder, max_examples=10)
    first, cached = [], []
    for q in CACHED_QUESTIONS:
        r1 = conv.ask(q)
        first.append(r1.seconds)
        r2 = conv.ask(q)
        cached.append(r2.seconds)
        assert not r2.answer.error, (q, r2.answer.text)
    return {"data": data or "synthetic(seed=0, 200/40/40)", "split": split, "classifier_train_seconds": round(train_s, 1),
            "questions": len(CACHED_QUESTIONS), "first_answer_ms_median": round(1000 * statistics.median(first), 1),
            "first_answer_ms_max": round(1000 * max(first), 1),
            "cached_answer_ms_median": round(1000 * statistics.median(cached), 1),
            "cached_answer_ms_max": round(1000 * max(cached), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", default="minilm", help="sentence encoder of the intent classifier, or 'none'")
    ap.add_argument("--sets", default="dev,final,fresh", help="question sets to score, of: " + ", ".join(SETS))
    ap.add_argument("--data", default=None, help="dataset for the answer latency (default: synthetic)")
    ap.add_argument("--skip-answers", action="store_true")
    ap.add_argument("--llm", default=None, help="also score the few-shot LLM parser with this generator (e.g. smollm2)")
    ap.add_argument("--llm-limit", type=int, default=30, help="held-out questions the LLM parser is scored on")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    enc = None if args.encoder == "none" else args.encoder
    sets = [s for s in args.sets.split(",") if s]
    unknown = [s for s in sets if s not in SETS]
    if unknown:
        raise SystemExit(f"--sets: unknown set {unknown[0]!r} (known: {', '.join(SETS)})")
    out: dict[str, Any] = {"command": "OMP_NUM_THREADS=1 python benchmarks/dialogue.py " + " ".join(sys.argv[1:]),
                           "load_average_start": [round(x, 2) for x in os.getloadavg()]}
    # the parser of the held-out protocol: trained on train only, scored on every set
    base, secs = train_parser(enc, ("train",))
    out["parser_train_only"] = {"encoder": base.classifier.kind, "train_splits": ["train"],
                                "train_questions": len(load_set("train")), "train_seconds": secs,
                                **{s: parser_scores(base, s) for s in sets}}
    # the shipped parser (what a Conversation trains): train + dev; dev is no longer held out for it
    if any(s in ("final", "fresh") for s in sets):
        ship, secs = train_parser(enc, ("train", "dev"))
        out["parser_shipped"] = {"encoder": ship.classifier.kind, "train_splits": ["train", "dev"],
                                 "train_questions": len(load_set("train")) + len(load_set("dev")), "train_seconds": secs,
                                 **{s: parser_scores(ship, s) for s in sets if s in ("final", "fresh")}}
    if args.llm:
        out["llm_parser"] = llm_scores(args.llm, base, args.llm_limit)
    if not args.skip_answers:
        out["answers"] = answer_latency(args.data, enc)
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Dialogue benchmark: parser accuracy on the held-out questions, parse latency, cached answer latency.

Parser: trained on the ``train`` part of the question set (src/rationalize/dialogue/questions.jsonl),
scored on the ``test`` part only (held-out phrasings, see benchmarks/data/write_dialogue_questions.py).
*Exact parse*: the canonical program text equals the gold one (after the context of a follow-up);
*intent*: the operation of the predicted program equals the gold one (an out-of-scope question counts as
right when it is rejected). 95% Wilson intervals.

Latency: parse time per question (median, p95) over the test questions; answer time of questions whose
model calls are cached (each asked twice, the second timed) on a conversation over ``--data`` with a small
CNN classifier trained in the script (synthetic data by default; ``--data ../shared/data/movies``).

Run: ``OMP_NUM_THREADS=1 python benchmarks/dialogue.py [--encoder minilm|none] [--data PATH] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import math
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


FINAL = Path(__file__).with_name("data") / "dialogue_questions_final.jsonl"


def parser_scores(encoder: str | None, split: str = "test", base: Any = None) -> dict[str, Any]:
    """Exact-parse and intent accuracy of a parser trained on the train part, on ``split`` (``final``: the
    60 questions of benchmarks/data/dialogue_questions_final.jsonl, written after the parser's design was
    fixed, in new phrasings, and scored once)."""
    from rationalize.dialogue.grammar import parse_program
    from rationalize.dialogue.parser import Parser, load_questions

    t0 = time.perf_counter()
    base = base or Parser.train(["NEG", "POS"], encoder=encoder)
    train_seconds = time.perf_counter() - t0
    if split == "final":
        rows = [{"labels": ["NEG", "POS"], **json.loads(line)} for line in FINAL.read_text().splitlines() if line.strip()]
    else:
        rows = load_questions(split=split)
    exact = intent = 0
    by_intent: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_style: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    times, errors = [], []
    for r in rows:
        parser = Parser(base.classifier, r["labels"], methods=base.methods)
        prev = parse_program(r["context"]) if r.get("context") else None
        t = time.perf_counter()
        got = parser.parse(r["question"], prev)
        times.append(time.perf_counter() - t)
        gold = parse_program(r["parse"]).to_text() if r["parse"] else ""
        ok = got.text == gold
        gold_op = r["parse"].split(" and ")[-1].split()[0] if r["parse"] else "unknown"
        got_op = got.program.operation if got.program is not None else "unknown"
        exact += ok
        intent += got_op == gold_op
        by_intent[gold_op][0] += ok
        by_intent[gold_op][1] += 1
        by_style[r["style"]][0] += ok
        by_style[r["style"]][1] += 1
        if not ok:
            errors.append({"question": r["question"], "gold": gold, "got": got.text, "context": r.get("context")})
    n = len(rows)
    times.sort()
    return {"encoder": base.classifier.kind, "split": split, "questions": n,
            "train_questions": len(load_questions(split="train")), "train_seconds": round(train_seconds, 2),
            "exact_parse": round(exact / n, 4), "exact_parse_ci95": wilson(exact, n),
            "intent": round(intent / n, 4), "intent_ci95": wilson(intent, n),
            "exact_by_intent": {k: f"{a}/{b}" for k, (a, b) in sorted(by_intent.items())},
            "exact_by_style": {k: f"{a}/{b}" for k, (a, b) in sorted(by_style.items())}, "_parser": base,
            "parse_ms_median": round(1000 * statistics.median(times), 2),
            "parse_ms_p95": round(1000 * times[int(0.95 * (n - 1))], 2), "errors": errors}


def llm_scores(spec: str, base: Any, limit: int) -> dict[str, Any]:
    """The few-shot LLM parser alone (no intent classifier) on the first ``limit`` held-out questions without
    context: exact-parse accuracy and seconds per question (a baseline, as TalkToModel's GPT-J few-shot)."""
    from rationalize.dialogue.grammar import parse_program
    from rationalize.dialogue.parser import LLMParser, extract_slots, load_questions
    from rationalize.rationalizers.freetext.generators import load_generator

    llm = LLMParser(load_generator(spec, chat=False))
    rows = [r for r in load_questions(split="test") if not r.get("context") and r["parse"]][:limit]
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
    ap.add_argument("--data", default=None, help="dataset for the answer latency (default: synthetic)")
    ap.add_argument("--skip-answers", action="store_true")
    ap.add_argument("--llm", default=None, help="also score the few-shot LLM parser with this generator (e.g. smollm2)")
    ap.add_argument("--llm-limit", type=int, default=30, help="held-out questions the LLM parser is scored on")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    enc = None if args.encoder == "none" else args.encoder
    heldout = parser_scores(enc)
    base = heldout.pop("_parser")
    final = parser_scores(enc, "final", base)
    final.pop("_parser")
    train = parser_scores(enc, "train", base)
    out: dict[str, Any] = {"command": "OMP_NUM_THREADS=1 python benchmarks/dialogue.py " + " ".join(sys.argv[1:]),
                           "parser": heldout, "parser_final": final,
                           "parser_on_train": {k: v for k, v in train.items() if k in ("questions", "exact_parse", "intent")}}
    if args.llm:
        out["llm_parser"] = llm_scores(args.llm, base, args.llm_limit)
    if not args.skip_answers:
        out["answers"] = answer_latency(args.data, enc)
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Paired comparison of two dialogue benchmark results (e.g. this parser vs the previous one) on the same set.

Reads two JSON files written by benchmarks/dialogue.py, rebuilds per question whether the parse was exact and
whether its operation was right (a question absent from a file's ``errors`` was parsed exactly), and reports
the discordant counts with an exact two-sided McNemar (binomial) test, per parser part and question set.

Run: ``python benchmarks/dialogue_paired.py NEW.json OLD.json [--set fresh] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import sys
from math import comb
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dialogue import gold_operation, load_set


def outcomes(result: dict[str, Any], rows: list[dict[str, Any]]) -> tuple[list[bool], list[bool]]:
    """(exact, right operation) per row, from one scored set of a results file."""
    got = {(e["question"], e.get("context")): e["got"] for e in result["errors"]}
    exact, intent = [], []
    for r in rows:
        g = got.get((r["question"], r.get("context")))
        exact.append(g is None)
        intent.append(g is None or gold_operation(g) == gold_operation(r["parse"]))
    return exact, intent


def mcnemar(a: list[bool], b: list[bool]) -> dict[str, Any]:
    """Right in ``a`` only, right in ``b`` only, and the exact two-sided McNemar p-value."""
    only_a = sum(x and not y for x, y in zip(a, b))
    only_b = sum(y and not x for x, y in zip(a, b))
    n = only_a + only_b
    p = min(1.0, 2 * sum(comb(n, k) for k in range(min(only_a, only_b) + 1)) / 2**n) if n else 1.0
    return {"right_in_new_only": only_a, "right_in_old_only": only_b, "p_exact_mcnemar": round(p, 4),
            "new": sum(a), "old": sum(b), "questions": len(a)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("new")
    ap.add_argument("old")
    ap.add_argument("--set", default="fresh")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    new, old = json.loads(Path(args.new).read_text()), json.loads(Path(args.old).read_text())
    rows = load_set(args.set)
    out: dict[str, Any] = {"command": "python benchmarks/dialogue_paired.py " + " ".join(sys.argv[1:]), "set": args.set}
    for part in ("parser_shipped", "parser_train_only"):
        if args.set in new.get(part, {}) and args.set in old.get(part, {}):
            (ne, ni), (oe, oi) = outcomes(new[part][args.set], rows), outcomes(old[part][args.set], rows)
            out[part] = {"exact_parse": mcnemar(ne, oe), "intent": mcnemar(ni, oi)}
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

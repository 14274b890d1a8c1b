"""Compare two arms of ``select_predict_ni.py`` logs on the seeds they share (issue 15: encoder against encoder).

Each arm is ``LOG:METHOD:NOISE`` (a JSONL log written by ``select_predict_ni.py``; the id's configuration part
tells the encoders apart when both arms come from one log, with ``--tag-a`` / ``--tag-b``). For token F1 at
top-k, token AUPRC, accuracy at top-k and accuracy under each method's own rule it prints each arm's mean
with a 95 % bootstrap interval and the paired difference B − A with its interval, resampling seeds and
reviews (the same draws for both arms, as in ``select_predict_ni.paired_bootstrap``), as JSON.

    python benchmarks/select_predict_compare.py \
        --a benchmarks/results/select_predict_ni_movies.jsonl:a2r:0.0 \
        --b benchmarks/results/select_predict_ni_movies_bigru.jsonl:a2r:0.0
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from select_predict_ni import paired_bootstrap

#: (output name, selection rule, per-review field)
METRICS = (("token_f1_top_k", "top-k", "token_f1"), ("token_auprc", "top-k", "token_auprc"),
           ("accuracy_top_k", "top-k", "correct"), ("accuracy_own", "own", "correct"))


def load_arm(spec: str, tag: str | None) -> dict[int, dict]:
    """The runs of one arm by seed. ``spec`` is ``LOG:METHOD:NOISE``; ``tag`` keeps ids containing it."""
    try:
        log, method, noise = spec.rsplit(":", 2)
        noise_f = float(noise)
    except ValueError:
        sys.exit(f"{spec}: expected LOG:METHOD:NOISE")
    path = Path(log)
    if not path.is_file():
        sys.exit(f"{log}: no such log")
    runs = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            sys.exit(f"{log}:{n}: not JSON ({e.msg})")
        if rec.get("method") == method and rec.get("noise") == noise_f and (tag is None or tag in rec["id"]):
            for rule in ("top-k", "own"):
                per_review = rec.get(rule, {}).get("per_review", {})
                missing = [key for _, r, key in METRICS if r == rule and key not in per_review]
                if missing:
                    sys.exit(f"{log}:{n}: field {rule}.per_review lacks {', '.join(missing)}")
            if rec["seed"] in runs:
                sys.exit(f"{log}:{n}: field seed: a second run for seed {rec['seed']} "
                         f"({runs[rec['seed']]['id']} and {rec['id']}); pick one with --tag-a / --tag-b")
            runs[rec["seed"]] = rec
    if not runs:
        sys.exit(f"{log}: no run of method {method!r} at noise {noise_f}" + (f" with {tag!r} in its id" if tag else ""))
    return runs


def _arm_mean(x: np.ndarray) -> dict:
    """One arm's mean with the bootstrap interval of ``paired_bootstrap`` (its difference from zero)."""
    boot = paired_bootstrap(np.zeros_like(x), x)
    return {"mean": boot["diff"], "ci95": boot["ci95"], "n_seeds": boot["n_seeds"], "n_reviews": boot["n_reviews"]}


def compare(a: dict[int, dict], b: dict[int, dict]) -> dict:
    """Means, intervals and paired differences on the shared seeds."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        raise ValueError(f"the arms share no seed (A: {sorted(a)}, B: {sorted(b)})")
    out: dict = {"seeds": seeds, "ids": {"a": [a[s]["id"] for s in seeds], "b": [b[s]["id"] for s in seeds]},
                 "train_seconds": {"a": [round(a[s]["train_seconds"]) for s in seeds],
                                   "b": [round(b[s]["train_seconds"]) for s in seeds]}}
    for name, rule, key in METRICS:
        xa = np.array([a[s][rule]["per_review"][key] for s in seeds], dtype=float)
        xb = np.array([b[s][rule]["per_review"][key] for s in seeds], dtype=float)
        out[name] = {"a": _arm_mean(xa), "b": _arm_mean(xb), "b_minus_a": paired_bootstrap(xa, xb)}
    return out


def main() -> None:
    """Parse the two arms and print the comparison as JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--a", required=True, help="LOG:METHOD:NOISE")
    ap.add_argument("--b", required=True, help="LOG:METHOD:NOISE")
    ap.add_argument("--tag-a", default=None, help="keep only runs whose id contains this")
    ap.add_argument("--tag-b", default=None)
    args = ap.parse_args()
    try:
        print(json.dumps(compare(load_arm(args.a, args.tag_a), load_arm(args.b, args.tag_b)), indent=2))
    except ValueError as e:
        sys.exit(str(e))


if __name__ == "__main__":
    main()

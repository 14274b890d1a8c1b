"""Peak memory of loading the shared datasets and of one training epoch; prints JSON.

Each measurement runs in a fresh Python process (its peak resident set, ``VmHWM``, is the number), so
the import of the package is counted once in every row and nothing is shared between rows. The
``baseline`` row is that import alone. ``--src`` points the processes at another checkout's ``src`` folder,
so one run can measure a commit before and after a change side by side (each row also gives the peak above
the import alone, ``over_import_mb``: what the dataset itself costs, and with two checkouts their ratio):

    git worktree add /tmp/before <commit>
    nice python benchmarks/memory.py --src /tmp/before/src --src src [--epoch]

Rows: every dataset under ``--data`` (its first split, and every split), and with ``--epoch`` one epoch of
``train classifier --encoder cnn --vectors glove50`` on movies (the largest shared dataset with a train
split), through the library function the command calls.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("RATIONALIZE_SHARED_DATA", str(ROOT.parent / "shared" / "data")))

CHILD = r"""
import json, sys, time
start = time.perf_counter()
job = json.loads(sys.argv[1])
import rationalize.data as D
n_docs = None
if job["kind"] == "load":
    ds = D.load_dataset(job["path"], splits=job["splits"])
    n_docs = len(ds.documents)
elif job["kind"] == "epoch":
    import torch
    torch.set_num_threads(job["threads"])
    from rationalize.models.training import train_classifier
    if job.get("low_memory"):
        from rationalize.engine.training import bound_heap_growth
        bound_heap_growth()
    ds = D.load_dataset(job["path"], splits=["train", "val"])
    train_classifier(ds, "cnn", None, epochs=1, batch_size=16, seed=0, progress=False, vectors="glove50",
                     val_limit=50)
    n_docs = len(ds.documents)
# VmHWM: this process image's peak (ru_maxrss would also count the forked parent's pages before exec)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"peak_mb": hwm / 1024, "documents": n_docs,
                  "seconds": time.perf_counter() - start}))
"""


def measure(src: Path, job: dict) -> dict:
    """One job in a fresh process with ``src`` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(src), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(job)], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def first_split(folder: Path) -> str | None:
    """The split a one-split load reads: test, else val, else train (what ``evaluate --split`` reads)."""
    from rationalize.data import load_dataset
    from rationalize.errors import MissingSplitError

    for split in ("test", "val", "train"):
        try:
            load_dataset(folder, splits=[split])
            return split
        except MissingSplitError:
            continue
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", action="append", default=None, help="a checkout's src folder (repeat to compare)")
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--datasets", default="movies,fever,hatexplain,esnli,cose,zaidan_movie_rationales")
    ap.add_argument("--epoch", action="store_true", help="also one CNN training epoch on movies")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    srcs = [Path(s).resolve() for s in (args.src or [str(ROOT / "src")])]
    jobs: list[tuple[str, dict]] = [("baseline (import only)", {"kind": "load", "path": "synthetic:train=1,val=1,test=1",
                                                                 "splits": None})]
    for name in args.datasets.split(","):
        folder = Path(args.data) / name
        if not folder.exists():
            continue
        split = first_split(folder)
        if split is not None:
            jobs.append((f"{name} {split}", {"kind": "load", "path": str(folder), "splits": [split]}))
        jobs.append((f"{name} all splits", {"kind": "load", "path": str(folder), "splits": None}))
    if args.epoch:
        for low in (False, True):
            jobs.append((f"movies: one cnn epoch (train classifier{' --low-memory' if low else ''})",
                         {"kind": "epoch", "path": str(Path(args.data) / "movies"), "threads": args.threads,
                          "low_memory": low}))
    load = os.getloadavg()
    rows = []
    for label, job in jobs:
        row: dict = {"row": label}
        for src in srcs:
            row[str(src)] = measure(src, job)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    # what the dataset itself costs: the peak above the import alone (the first row), per checkout
    for row in rows[1:]:
        for src in srcs:
            got, base = row[str(src)], rows[0][str(src)]
            if "peak_mb" in got and "peak_mb" in base:
                got["over_import_mb"] = round(got["peak_mb"] - base["peak_mb"], 2)
    if len(srcs) == 2:
        for row in rows[1:]:
            a, b = (row[str(s)].get("over_import_mb") for s in srcs)
            if a and b is not None:
                row["ratio_over_import"] = round(b / a, 3)
    print(json.dumps({"date": time.strftime("%Y-%m-%d"), "load_average_at_start": [round(x, 2) for x in load],
                      "load_average_at_end": [round(x, 2) for x in os.getloadavg()], "sources": [str(s) for s in srcs],
                      "rows": rows}, indent=1))


if __name__ == "__main__":
    main()

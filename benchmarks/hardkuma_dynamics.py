"""HardKuma's selection dynamics on ERASER movies: expected L0, the multiplier and the validation
selection per epoch, for the reference's Lagrangian and for this package's defaults (issue 15).

A small, fast reproduction of the collapse (400 training reviews, 512 words, batch 8 so that an epoch
has 50 steps, the reference's lr 4e-4): with the reference (``init_rate=None, hinge=False,
lambda_init=1e-5``) E[L0] climbs to ~0.99 while the multiplier winds up, then falls to ~0 within an
epoch and stays there; with the defaults it starts and stays near the target.

    nice -n 10 python benchmarks/hardkuma_dynamics.py --arm reference --arm default

Writes one JSON object (arms, per-epoch rows, per-10-step λ, seconds, load average) to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from rationalize.data import load_dataset
from rationalize.rationalizers.select_predict.hardkuma import HardKumaRationalizer
from rationalize.rationalizers.select_predict.training import train_rationalizer

ARMS = {
    "reference": {"init_rate": None, "hinge": False, "lambda_init": 1e-5},
    "default": {},
    "no-hinge": {"hinge": False},
    "reference+hinge": {"init_rate": None, "lambda_init": 1e-5},
}
KEYS = ("epoch", "train_l0", "train_lambda_sparsity", "train_accuracy", "val_accuracy", "val_selection_rate")


def main() -> None:
    """Train each arm with the same seed and data, print and write the per-epoch dynamics."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--arm", action="append", choices=sorted(ARMS), default=None)
    ap.add_argument("--movies", default="/work/shared/data/movies")
    ap.add_argument("--train-limit", type=int, default=400)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--max-length", type=int, default=512)
    ap.add_argument("--lr", type=float, default=None, help="default: the reference's 4e-4")
    ap.add_argument("--sparsity", type=float, default=0.2)
    ap.add_argument("--out", default="benchmarks/results/hardkuma_dynamics_movies.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ds = load_dataset(args.movies).subsample("train", args.train_limit, 0)
    out = {"command": "python benchmarks/hardkuma_dynamics.py " + " ".join(f"--arm {a}" for a in args.arm or []),
           "train_reviews": len(ds["train"]), "epochs": args.epochs, "batch_size": args.batch_size,
           "max_length": args.max_length, "sparsity": args.sparsity, "arms": {}}
    for arm in args.arm or ["reference", "default"]:
        lambdas: list[float] = []
        update = HardKumaRationalizer.after_optimizer_step

        def spy(self, update=update, lambdas=lambdas) -> None:
            update(self)
            lambdas.append(float(self.lambdas[0]))

        HardKumaRationalizer.after_optimizer_step = spy
        load = list(os.getloadavg())
        start = time.perf_counter()
        try:
            m = train_rationalizer(ds, "hardkuma", None, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                                   patience=args.epochs, seed=0, progress=False, sparsity=args.sparsity,
                                   encoder="cnn", embeddings="glove50", hidden=64, max_length=args.max_length,
                                   **ARMS[arm])
        finally:
            HardKumaRationalizer.after_optimizer_step = update
        rows = [{k: round(e[k], 4) for k in KEYS if k in e} for e in m.history_.epochs]
        out["arms"][arm] = {"params": ARMS[arm], "epochs": rows, "lambda_every_10_steps": lambdas[::10],
                            "seconds": time.perf_counter() - start, "load_start": load, "load_end": list(os.getloadavg())}
        for r in rows:
            print(arm, json.dumps(r), flush=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()

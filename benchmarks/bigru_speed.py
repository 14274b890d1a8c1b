"""BiGRU training speed on ERASER movies (issue 15's BiGRU runs took 26-59 minutes): the dense two-pass BiGRU
against packed sequences, and batches of similar length (``TrainConfig.bucket``) against random ones.

The model is the issue's best CPU configuration: A2R, BiGRU 50 generator on GloVe 50-d, CNN 64 hard
predictor, k = 20 %. For each ``--max-length``:

* **encoder**: the same first ``--steps`` random batches of the seeded epoch ``fit`` draws, one training step
  each (forward and backward; no optimizer step, so both encoders run the same weights) with
  :meth:`BiGRUEncoder.contextualize` (dense) and with
  :meth:`BiGRUEncoder.contextualize_packed`, interleaved (A B A B) so that both see the same load; the ratio
  of their total times is exact for these batches.
* **bucket**: for the whole first epoch, the padded positions (batch size × its longest review, what the dense
  passes compute) and the longest-review sum, of random and of bucketed batches; the dense time of the
  bucketed epoch is estimated from the dense seconds per padded position measured above.

    nice -n 5 python benchmarks/bigru_speed.py --max-length 1024 3000 --steps 3 --out benchmarks/results/bigru_speed_movies.json
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine

from rationalize.data import load_dataset
from rationalize.engine.training import batches, seed_everything
from rationalize.rationalizers.select_predict import make_rationalizer


def batch_stats(model, items, batch_size: int, bucket: int, seed: int) -> tuple[list, dict]:
    """The first epoch's batches as ``fit`` draws them, and their sizes."""
    bs = batches(items, batch_size, True, random.Random(seed), bucket=bucket, length=model.item_length)
    longest = [max(model.item_length(i) for i in b) for b in bs]
    return bs, {"batches": len(bs), "recurrent_steps": sum(longest),
                "padded_positions": sum(len(b) * m for b, m in zip(bs, longest)),
                "real_positions": sum(model.item_length(i) for b in bs for i in b)}


def main() -> None:
    """Time both encoders and count both batchings for every ``--max-length``; print (and write) JSON."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--movies", default="/work/shared/data/movies")
    ap.add_argument("--max-length", nargs="+", type=int, default=[1024, 3000])
    ap.add_argument("--bucket", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--steps", type=int, default=4, help="timed training steps per encoder and length")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ds = load_dataset(args.movies)
    out = {"command": " ".join(sys.argv), "machine_start": machine(), "bucket": args.bucket,
           "batch_size": args.batch_size, "threads": args.threads, "steps": args.steps, "lengths": {}}
    for max_length in args.max_length:
        seed_everything(args.seed)
        model = make_rationalizer("a2r", encoder="bigru", embeddings="glove50", hidden=50, predictor_encoder="cnn",
                                  predictor_hidden=64, sparsity=0.2, max_length=max_length, seed=args.seed)
        model._prepare(ds, "train")
        items = model.training_items(ds, "train")
        plain, plain_stats = batch_stats(model, items, args.batch_size, 0, args.seed)
        _, bucket_stats = batch_stats(model, items, args.batch_size, args.bucket, args.seed)
        enc = model.generator.enc
        dense_fn, packed_fn = enc.contextualize, enc.contextualize_packed
        times: dict[str, list[float]] = {"dense": [], "packed": []}
        model.train()
        for step in range(args.steps):
            batch = model.collate(plain[step])
            for name, fn in (("dense", dense_fn), ("packed", packed_fn)):  # interleaved: the same load
                enc.contextualize = fn
                start = time.perf_counter()
                loss = model.training_step(batch)["loss"]
                model.zero_grad(set_to_none=True)
                loss.backward()
                times[name].append(time.perf_counter() - start)
        del enc.contextualize  # back to the class method (dense)
        timed_positions = sum(len(b) * max(model.item_length(i) for i in b) for b in plain[: args.steps])
        per_position = sum(times["dense"]) / timed_positions
        row = {"encoder": {name: {"step_seconds": t, "seconds_per_step": statistics.mean(t)} for name, t in times.items()},
               "packed_over_dense": sum(times["packed"]) / sum(times["dense"]),
               "batches": {"random": plain_stats, "bucket": bucket_stats},
               "padded_positions_random_over_bucket": plain_stats["padded_positions"] / bucket_stats["padded_positions"],
               "epoch_seconds_estimate": {
                   "packed_random": statistics.mean(times["packed"]) * plain_stats["batches"],
                   "dense_random": per_position * plain_stats["padded_positions"],
                   "dense_bucket": per_position * bucket_stats["padded_positions"]}}
        out["lengths"][str(max_length)] = row
        print(json.dumps({"max_length": max_length, "packed_over_dense": row["packed_over_dense"],
                          "padded_positions_random_over_bucket": row["padded_positions_random_over_bucket"],
                          "epoch_seconds_estimate": row["epoch_seconds_estimate"]}), file=sys.stderr, flush=True)
    out["machine_end"] = machine()
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()

"""Microseconds per word piece of MiniLM's forward pass: PyTorch, the plain ONNX export and the export fused
by ONNX Runtime's transformer optimizer, at the batch shapes the engine runs; prints JSON.

It answers one question of the scale issue: is the fused graph (``onnx_backend.fuse_transformer_ops``, worth
about 1.36x at 512 pieces) also the faster one at 128-256 pieces, where the issue measured a plain export at
98 µs per piece against PyTorch's 177? Same seeded weights and the same random ids for every backend; each
shape is timed for at least ``--seconds`` after two warm-up calls; the median of the repeats is reported.
Run it with nothing else on the machine (the load average is in the output).

    python benchmarks/onnx_fusion.py --threads 2 [--shapes 1x256 4x256 8x128 16x128 4x512]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from _machine import machine  # benchmarks/_machine.py (this folder is on sys.path when run as a script)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _time(fn, seconds: float) -> float:
    """Median seconds of one call of ``fn`` over repeats filling at least ``seconds`` (after 2 warm-ups)."""
    fn()
    fn()
    times: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 3:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--shapes", nargs="+", default=["1x256", "2x256", "4x256", "8x128", "16x128", "4x512"])
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--out-dir", default=str(ROOT / "runs" / "onnx_fusion"))
    args = ap.parse_args()
    import torch

    from rationalize.models import onnx_backend as ob
    from rationalize.models.hf_classifier import HFClassifier

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = HFClassifier("minilm", labels=["NEG", "POS"])
    names = ["input_ids", "attention_mask", "token_type_ids"]
    names = [n for n in names if n in model.tokenizer.model_input_names]
    out = Path(args.out_dir)
    fused_path, plain_path = out / "fused.onnx", out / "plain.onnx"
    ob.export(model, fused_path, names)
    real_fuse = ob.fuse_transformer_ops
    ob.fuse_transformer_ops = lambda path, config: False  # the same export, not fused
    try:
        ob.export(model, plain_path, names)
    finally:
        ob.fuse_transformer_ops = real_fuse
    sessions = {"onnx_plain": ob.OnnxForward(plain_path, names, threads=args.threads),
                "onnx_fused": ob.OnnxForward(fused_path, names, threads=args.threads)}
    rng = np.random.default_rng(0)
    rows = []
    max_diff = 0.0
    for shape in args.shapes:
        b, n = (int(x) for x in shape.split("x"))
        ids = torch.from_numpy(rng.integers(1000, model.tokenizer.vocab_size, size=(b, n)))
        batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "token_type_ids": torch.zeros_like(ids)}
        with torch.no_grad():
            ref = model.hf(**{k: batch[k] for k in names}).logits
        row = {"shape": shape, "pieces": b * n}

        def run_torch(batch: dict = batch) -> None:
            with torch.no_grad():
                model.hf(**{k: batch[k] for k in names})

        row["torch_us_per_piece"] = round(_time(run_torch, args.seconds) / (b * n) * 1e6, 1)
        for name, sess in sessions.items():
            max_diff = max(max_diff, float((sess(batch) - ref).abs().max()))
            row[f"{name}_us_per_piece"] = round(_time(lambda s=sess, b=batch: s(b), args.seconds) / (b * n) * 1e6, 1)
        row["fused_over_plain"] = round(row["onnx_plain_us_per_piece"] / row["onnx_fused_us_per_piece"], 2)
        row["best_onnx_over_torch"] = round(row["torch_us_per_piece"] / min(row["onnx_plain_us_per_piece"],
                                                                          row["onnx_fused_us_per_piece"]), 2)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    print(json.dumps({"threads": args.threads, "machine": machine(),
                      "max_logit_difference": max_diff, "rows": rows,
                      "command": "python benchmarks/onnx_fusion.py " + " ".join(sys.argv[1:])}, indent=1))


if __name__ == "__main__":
    main()

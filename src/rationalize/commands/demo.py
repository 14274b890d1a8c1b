"""``rationalize demo``: the main job on built-in defaults.

Builds the synthetic benchmark (planted, known-true rationales), trains a small select-then-predict
rationalizer (straight-through Gumbel selection, CNN encoder), writes ERASER results for the test split
with faithfulness fields, scores them with :func:`rationalize.metrics.evaluate` and prints a table.
Every number printed is computed in this run.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rationalize`` app (called once by :mod:`rationalize.cli`)."""
    @app.command("demo")
    def demo(
        out: Path = typer.Option(Path("runs/demo"), help="Folder for the dataset, model and results."),
        seed: int = typer.Option(0, help="Random seed."),
        method: str = typer.Option("gumbel", help="Rationalizer: lei2016, gumbel, hardkuma, a2r or fresh."),
        epochs: int = typer.Option(5, help="Training epochs."),
        threads: int = typer.Option(1, help="torch threads (1 is fastest on a shared machine)."),
        progress: bool = typer.Option(False, "--progress/--no-progress", help="Show progress bars."),
    ) -> None:
        """Build the synthetic benchmark, train a small rationalizer, evaluate it and print a table."""
        import torch

        from rationalize.data import make_synthetic, write_eraser
        from rationalize.data.results import write_results
        from rationalize.engine.faithfulness import FaithfulnessEngine
        from rationalize.errors import OptionError
        from rationalize.metrics import evaluate
        from rationalize.rationalizers.select_predict import METHODS
        from rationalize.rationalizers.select_predict.training import train_rationalizer

        if method not in METHODS:  # before any work
            raise OptionError("--method", f"{method!r} is not a rationalizer; choose {', '.join(METHODS)}")
        torch.set_num_threads(threads)
        ds = make_synthetic(seed=seed)
        data_dir = write_eraser(ds, out / "data")
        typer.echo(f"synthetic benchmark with planted rationales -> {data_dir}")
        for split, s in ds.stats().items():
            typer.echo(f"  {split:<6} {s['examples']:>5} examples, mean {s['mean_document_tokens']:.1f} tokens, "
                       f"{s['mean_rationale_tokens']:.1f} rationale tokens")

        start = time.perf_counter()
        params = dict(encoder="cnn", embeddings=None, hidden=32, freeze_embeddings=False, warmup_steps=30)
        if method == "fresh":
            params.update(extractor="input-x-gradient", rationale_type="threshold")
        elif METHODS.get(method).complement_control:
            params["complement_weight"] = 1.0 if method in ("gumbel", "sentence-gumbel") else 0.3
        model = train_rationalizer(ds, method, out / "model", epochs=epochs, batch_size=16, lr=5e-3, patience=3,
                                   seed=seed, progress=progress, **params)
        train_s = time.perf_counter() - start
        typer.echo(f"trained {method} rationalizer (sparsity target {model.sparsity_:.3f}) in {train_s:.1f}s "
                   f"-> {out / 'model'}")

        start = time.perf_counter()
        results = model.predict_results(ds, "test")
        results = FaithfulnessEngine(model, progress=progress).run(ds, "test", results)
        results_path = out / "results.jsonl"
        write_results(results_path, results)
        scores = evaluate(ds, "test", results)
        eval_s = time.perf_counter() - start

        cls = scores["classification_scores"]
        macro_f1 = cls["prf"]["macro avg"]["f1-score"]
        tok = scores["token_prf"]["instance_macro"]
        iou = scores["iou_scores"][0]["macro"]
        rows = [
            ("accuracy", cls["accuracy"]),
            ("macro-F1", macro_f1),
            ("token precision", tok["p"]),
            ("token recall", tok["r"]),
            ("token F1", tok["f1"]),
            (f"IOU F1 @ {scores['iou_scores'][0]['threshold']}", iou["f1"]),
            ("token AUPRC", scores["token_soft_metrics"]["auprc"]),
            ("comprehensiveness", cls["comprehensiveness"]),
            ("sufficiency", cls["sufficiency"]),
            ("comprehensiveness AOPC", cls["comprehensiveness_aopc"]),
            ("sufficiency AOPC", cls["sufficiency_aopc"]),
        ]
        typer.echo(f"\n{method} on synthetic test ({len(results)} examples), ERASER metrics -> {results_path}")
        typer.echo(f"  {'metric':<26}{'value':>10}")
        for name, value in rows:
            typer.echo(f"  {name:<26}{'-' if value is None else f'{value:.4f}':>10}")
        typer.echo(f"  (training {train_s:.1f}s, prediction + faithfulness + scoring {eval_s:.1f}s)")

"""``rationalize demo``: the main job on built-in defaults."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        out: Path = typer.Option(Path("runs/demo"), help="Folder for the dataset, model and results."),
        seed: int = typer.Option(0, help="Random seed."),
    ) -> None:
        """Build the synthetic benchmark, train a small rationalizer, evaluate it and print a table."""
        from rationalize.data import make_synthetic, write_eraser

        ds = make_synthetic(seed=seed)
        data_dir = write_eraser(ds, out / "data")
        typer.echo(f"synthetic benchmark with planted rationales -> {data_dir}")
        for split, s in ds.stats().items():
            typer.echo(f"  {split:<6} {s['examples']:>5} examples, mean {s['mean_document_tokens']:.1f} tokens, "
                       f"{s['mean_rationale_tokens']:.1f} rationale tokens")

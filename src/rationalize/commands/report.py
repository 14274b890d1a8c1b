"""``rationalize report``: one self-contained HTML file with scores, plots and highlighted examples."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rationalize`` app (called once by :mod:`rationalize.cli`)."""
    @app.command("report")
    def report(
        results: list[Path] = typer.Argument(..., help="One or more ERASER results JSONL files."),
        data: str = typer.Option(..., "--data", help="Dataset folder or file (any format load_dataset reads)."),
        split: str = typer.Option(..., "--split", help="Split the results belong to (e.g. val, test)."),
        out: Path = typer.Option(Path("report.html"), "--out", help="HTML file to write."),
        examples: int = typer.Option(10, "--examples", min=0, help="Highlighted examples to include."),
        seed: int = typer.Option(0, "--seed", help="Seed of the example sample."),
        tradeoff: list[Path] = typer.Option([], "--tradeoff", help="A benchmark summary JSON (benchmarks/supervision.py "
                                            "--out): adds its performance-vs-plausibility plot with the Pareto front."),
    ) -> None:
        """Write a report that opens offline (scripts and styles inlined), for papers and sharing."""
        from rationalize.data import load_dataset
        from rationalize.report import write_report
        from rationalize.server import ViewerState

        ds = load_dataset(data, splits=[split])
        state = ViewerState.from_paths(ds, split, results, progress=True)
        path = write_report(state, out, n_examples=examples, seed=seed, tradeoffs=tradeoff)
        typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, {len(state.runs)} results file(s), "
                   f"{min(examples, len(state.examples))} examples)")

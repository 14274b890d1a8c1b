"""``rationalize data info|synth``: look at and generate datasets."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from rationalize.commands.groups import data_app


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rationalize`` app (called once by :mod:`rationalize.cli`)."""
    @data_app.command("info")
    def info(
        source: str = typer.Argument(..., help="Dataset folder or file, NAME:PATH, 'synthetic' or 'hf:NAME'."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    ) -> None:
        """Per-split counts: examples, labels, documents, document and human-rationale lengths."""
        from rationalize.data import load_dataset

        ds = load_dataset(source)
        stats = ds.stats()
        if as_json:
            typer.echo(json.dumps({"name": ds.name, "labels": ds.labels, "splits": stats}, indent=2))
            return
        typer.echo(f"{ds.name}  labels: {', '.join(ds.labels)}  documents: {len(ds.documents)}")
        head = f"{'split':<8}{'examples':>10}{'docs':>8}{'doc len':>10}{'rat len':>10}{'rat frac':>10}  labels"
        typer.echo(head)
        for split, s in stats.items():
            labels = " ".join(f"{k}={v}" for k, v in s["labels"].items())
            typer.echo(
                f"{split:<8}{s['examples']:>10}{s['documents']:>8}{s['mean_document_tokens']:>10.1f}"
                f"{s['mean_rationale_tokens']:>10.1f}{s['mean_rationale_fraction']:>10.3f}  {labels}"
            )

    @data_app.command("synth")
    def synth(
        out_dir: Path = typer.Argument(..., help="Folder to write (ERASER format: docs/ + {train,val,test}.jsonl)."),
        seed: int = typer.Option(0, help="Random seed; the same seed gives the same dataset."),
        train: int = typer.Option(1000, help="Training examples."),
        val: int = typer.Option(200, help="Validation examples."),
        test: int = typer.Option(200, help="Test examples."),
        labels: str = typer.Option("NEG,POS", help="Comma-separated labels among NEG, POS, NEU."),
        spans: str = typer.Option("1,3", help="Min,max planted signal spans per document."),
        span_length: str = typer.Option("1,3", help="Min,max tokens per planted span."),
        sentences: str = typer.Option("4,8", help="Min,max sentences per document."),
        sentence_length: str = typer.Option("6,14", help="Min,max filler tokens per sentence."),
        shortcut_rate: float = typer.Option(0.0, help="Train-only label shortcut probability (a shortcut test)."),
        label_noise: float = typer.Option(0.0, help="Probability of flipping a training label."),
        distractor_rate: float = typer.Option(0.0, help="Probability of an off-label signal word outside the evidence."),
        query: str | None = typer.Option(None, help="Query text attached to every example."),
    ) -> None:
        """Write a synthetic benchmark with planted, known-true rationales."""
        from rationalize.data import SynthConfig, make_synthetic, write_eraser

        def pair(text: str, name: str) -> tuple[int, int]:
            try:
                lo, hi = (int(x) for x in text.split(","))
            except ValueError:
                raise typer.BadParameter(f"{name} must be two integers 'min,max', got {text!r}") from None
            return lo, hi

        try:
            cfg = SynthConfig(
                seed=seed, train=train, val=val, test=test, labels=tuple(labels.split(",")),
                spans=pair(spans, "--spans"), span_length=pair(span_length, "--span-length"),
                sentences=pair(sentences, "--sentences"), sentence_length=pair(sentence_length, "--sentence-length"),
                shortcut_rate=shortcut_rate, label_noise=label_noise, distractor_rate=distractor_rate, query=query,
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        ds = make_synthetic(cfg)
        write_eraser(ds, out_dir)
        sizes = ", ".join(f"{k} {len(v)}" for k, v in ds.splits.items())
        typer.echo(f"wrote {out_dir} ({sizes}; {len(ds.documents)} documents)")

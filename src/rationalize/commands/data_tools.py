"""``rationalize data validate|convert``: check a dataset, convert any supported format to ERASER."""

from __future__ import annotations

from pathlib import Path

import typer

from rationalize.commands.groups import data_app
from rationalize.errors import SHOWN_PER_KIND, format_problems

FORMATS = ("zaidan", "hatexplain", "esnli", "cose", "jsonl", "csv", "eraser", "hf")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rationalize`` app (called once by :mod:`rationalize.cli`)."""
    @data_app.command("validate")
    def validate_cmd(
        path: str = typer.Argument(..., help="Dataset folder or file, or NAME:PATH to pick the loader."),
        labels: str | None = typer.Option(None, help="Comma-separated label set; any other label is an error. "
                                          "Default: labels of val/test must occur in train."),
        show_all: bool = typer.Option(False, "--all", help="Print every problem (default: the first "
                                      f"{SHOWN_PER_KIND} of each kind, then the count of each kind)."),
    ) -> None:
        """Check a dataset and print every problem as FILE:LINE: FIELD MESSAGE (exit status 1 if any)."""
        from rationalize.data.validate import label_check_note, validate

        declared = [x.strip() for x in labels.split(",") if x.strip()] if labels else None
        ds, problems = validate(path, declared)
        for line in format_problems(problems, None if show_all else SHOWN_PER_KIND):
            typer.echo(line)
        if problems:
            typer.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found in {path}", err=True)
            raise typer.Exit(1)
        assert ds is not None
        note = label_check_note(ds, declared)
        if note:
            typer.echo(note)
        sizes = ", ".join(f"{k} {len(v)}" for k, v in ds.splits.items())
        typer.echo(f"ok: {path} ({sizes} examples; {len(ds.documents)} documents; labels {', '.join(ds.labels)})")

    @data_app.command("convert")
    def convert_cmd(
        src: str = typer.Argument(..., help="Source folder or file (or hf NAME with --from hf)."),
        out_dir: Path = typer.Argument(..., help="Folder to write in ERASER format (docs/ + {train,val,test}.jsonl)."),
        source_format: str = typer.Option(..., "--from", help=f"Source format: {', '.join(FORMATS)}."),
        docs_format: str = typer.Option("dir", help="'dir' (docs/ folder, one file per document) or 'jsonl' (docs.jsonl)."),
        force: bool = typer.Option(False, "--force", help="Write into OUT_DIR even if it already holds a dataset."),
        align_to: Path | None = typer.Option(None, help="zaidan: ERASER movies folder whose tokens/sentences to adopt."),
        cose_version: str = typer.Option("v1.11", help="cose: CoS-E version, v1.0 or v1.11."),
        processed: bool = typer.Option(False, help="cose: read the authors' *_processed.jsonl files."),
        undecided: str = typer.Option("drop", help="hatexplain: 'drop' or 'keep' (label null) posts without a majority."),
        text_field: str = typer.Option("text", help="jsonl/csv: field with the document text."),
        tokens_field: str = typer.Option("tokens", help="jsonl/csv: field with a pre-tokenised document."),
        query_field: str = typer.Option("query", help="jsonl/csv: field with the optional query."),
        label_field: str = typer.Option("label", help="jsonl/csv: field with the label."),
        id_field: str = typer.Option("id", help="jsonl/csv: field with the example id."),
        rationale_field: str = typer.Option("rationales", help="jsonl/csv: field with the rationale spans."),
        span_unit: str = typer.Option("char", help="jsonl/csv: rationale offsets count 'char' or 'token'."),
        tokenizer: str = typer.Option("whitespace", help="jsonl/csv: 'whitespace' or 'simple' (splits punctuation)."),
        labels: str | None = typer.Option(None, help="jsonl/csv: comma-separated label set (others are errors)."),
    ) -> None:
        """Convert a dataset to ERASER format, then reload the output to check the round trip is lossless."""
        from rationalize.data import load_eraser, write_eraser
        from rationalize.data.loaders import (load_cose, load_esnli, load_generic, load_hatexplain, load_hf,
                                              load_zaidan)
        from rationalize.data.validate import dataset_differences
        from rationalize.errors import DataError

        if source_format not in FORMATS:
            raise typer.BadParameter(f"--from must be one of {', '.join(FORMATS)}, not {source_format!r}")
        if docs_format not in ("dir", "jsonl"):
            raise typer.BadParameter(f"--docs-format must be 'dir' or 'jsonl', not {docs_format!r}")
        if out_dir.exists() and any(out_dir.iterdir()) and not force:
            raise DataError(out_dir, None, None, "exists and is not empty (use --force to write into it)")
        try:
            if source_format == "zaidan":
                ds = load_zaidan(src, align_to=align_to)
            elif source_format == "hatexplain":
                ds = load_hatexplain(src, undecided=undecided)
            elif source_format == "esnli":
                ds = load_esnli(src)
            elif source_format == "cose":
                ds = load_cose(src, version=cose_version, processed=processed)
            elif source_format == "eraser":
                ds = load_eraser(src)
            elif source_format == "hf":
                ds = load_hf(src)
            else:
                ds = load_generic(src, text_field=text_field, tokens_field=tokens_field, query_field=query_field,
                                  label_field=label_field, id_field=id_field, rationale_field=rationale_field,
                                  span_unit=span_unit, tokenizer=tokenizer,
                                  labels=tuple(labels.split(",")) if labels else None)
        except ValueError as exc:
            if isinstance(exc, DataError):
                raise
            raise typer.BadParameter(str(exc)) from None
        write_eraser(ds, out_dir, docs_format=docs_format)
        diff = dataset_differences(ds, load_eraser(out_dir))
        if diff:
            raise DataError(out_dir, None, None, "does not read back as written: " + "; ".join(diff))
        sizes = ", ".join(f"{k} {len(v)}" for k, v in ds.splits.items())
        typer.echo(f"wrote {out_dir} ({sizes} examples; {len(ds.documents)} documents; labels {', '.join(ds.labels)}); "
                   "round trip verified")

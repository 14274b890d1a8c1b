"""``rationalize chat``: ask a classifier about itself, its explanations and the data, in the terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from rationalize.commands._model_options import LABELS_OPTION, QUERY_OPTION, load_cli_model


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rationalize`` app (called once by :mod:`rationalize.cli`)."""
    @app.command("chat")
    def chat(
        data: str = typer.Option(..., "--data", help="Dataset folder or spec (any format load_dataset reads)."),
        model: Path = typer.Option(..., "--model", help="A saved classifier folder (rationalize train classifier) "
                                   "or a plain Hugging Face classifier folder."),
        split: str | None = typer.Option(None, "--split", help="Split the conversation is about (default: test, "
                                         "else val)."),
        generator: str | None = typer.Option(None, "--generator", help="Free-text generator for 'rationale' "
                                             "(an alias such as smollm2, a folder, or openai:MODEL@URL)."),
        llm_parser: str | None = typer.Option(None, "--llm-parser", help="A generator (e.g. smollm2, or "
                                              "openai:MODEL@URL) asked, few-shot, for questions the parser cannot "
                                              "place; its output runs only if it is a valid program."),
        method: str = typer.Option("integrated-gradients", "--method", help="Default attribution method."),
        encoder: str = typer.Option("minilm", "--encoder", help="Sentence encoder of the parser and of 'similar' "
                                    "(minilm), or 'none' for TF-IDF."),
        ask: list[str] = typer.Option(None, "--ask", help="Ask this question and exit (repeatable, in order)."),
        max_examples: int = typer.Option(20, "--max-examples", help="Examples 'important' and 'compare' explain."),
        threads: int | None = typer.Option(None, "--threads", help="torch threads."),
        labels: str | None = LABELS_OPTION,
        query: str = QUERY_OPTION,
    ) -> None:
        """Chat with MODEL about DATA: every question is shown as a program of the dialogue grammar (type a
        program to run it directly), answered from the model, its explanations and the data. 'quit' ends."""
        import torch

        from rationalize.data import load_dataset
        from rationalize.dialogue import Conversation

        if threads:
            torch.set_num_threads(threads)
        ds = load_dataset(data)
        if split is not None:
            ds.check_split(split)
        clf = load_cli_model(model, ds, labels, query)

        def progress(done: int, total: int, what: str) -> None:
            if total > 1:
                typer.echo(f"  {what}: {done}/{total}", err=True)

        conv = Conversation(ds, clf, split, generator=generator, method=method, llm_parser=llm_parser,
                            encoder=None if encoder == "none" else encoder, max_examples=max_examples,
                            progress=progress)
        ws = conv.workspace
        if ask:
            for q in ask:
                typer.echo(f"> {q}")
                typer.echo(conv.ask(q).to_text())
                typer.echo("")
            return
        typer.echo(f"Chat about {ds.name}/{ws.split} ({len(ws.examples)} examples) with {type(clf).__name__}. "
                   f"Ask e.g. '{conv.suggestions()[8]}' or 'help'; 'quit' ends.")
        while True:
            if sys.stdin.isatty():
                typer.echo("> ", nl=False)
            line = sys.stdin.readline()
            if not line or line.strip().lower() in ("quit", "exit", "q"):
                break
            if not line.strip():
                continue
            typer.echo(conv.ask(line.strip()).to_text())

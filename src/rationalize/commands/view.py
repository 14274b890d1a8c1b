"""``rationalize view``: the local web viewer over a dataset split and results files."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rationalize`` app (called once by :mod:`rationalize.cli`)."""
    @app.command("view")
    def view(
        results: list[Path] = typer.Argument(..., help="One or more ERASER results JSONL files to compare."),
        data: str = typer.Option(..., "--data", help="Dataset folder or file (any format load_dataset reads)."),
        split: str = typer.Option(..., "--split", help="Split the results belong to (e.g. val, test)."),
        port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on (0: any free port)."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; the default keeps it local."),
        model: Path | None = typer.Option(None, "--model", help="A saved classifier folder: adds the chat page, "
                                          "a dialogue with the model about this split (see docs/dialogue.md)."),
        generator: str | None = typer.Option(None, "--generator", help="Chat only: free-text generator for "
                                             "'rationale' (e.g. smollm2)."),
        encoder: str = typer.Option("minilm", "--chat-encoder", help="Chat only: sentence encoder of the parser "
                                    "(minilm) or 'none' for TF-IDF."),
    ) -> None:
        """Browse examples with highlighted rationales, filter by metrics, compare files, see summary plots."""
        import time

        import uvicorn

        from rationalize.data import load_dataset
        from rationalize.server import ViewerState, create_app

        t0 = time.perf_counter()
        ds = load_dataset(data, splits=[split])
        state = ViewerState.from_paths(ds, split, results, progress=True, lazy_scores=True)
        typer.echo(f"loaded {ds.name}/{split} ({len(state.examples)} examples) and {len(state.runs)} results "
                   f"file(s) in {time.perf_counter() - t0:.1f}s; the score table is computed in the background")
        state.score_in_background()
        conversation = None
        if model is not None:
            from rationalize.dialogue import Conversation
            from rationalize.models import load_model

            conversation = Conversation(ds, load_model(model, ds), split, generator=generator,
                                        encoder=None if encoder == "none" else encoder)
            typer.echo("chat page at /chat")
        if host not in ("127.0.0.1", "localhost", "::1"):
            typer.echo(f"warning: serving on {host}: anyone who can reach this address can read the data", err=True)
        if port == 0:  # pick a free port now, so that the printed address is the real one
            import socket

            with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
                sock.bind((host, 0))
                port = sock.getsockname()[1]
        typer.echo(f"viewer at http://{'[' + host + ']' if ':' in host else host}:{port}/  (Ctrl+C to stop)")
        uvicorn.run(create_app(state, conversation), host=host, port=port, log_level="warning")

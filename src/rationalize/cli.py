"""The ``rationalize`` command line.

The root app is defined here and the shared sub-groups (``data``, ``train``, defined in
:mod:`rationalize.commands.groups`) are added to it; each capability adds its commands from its own module
in :mod:`rationalize.commands` (one file per command family, each with a ``register(app)`` function),
discovered at start-up. Heavy imports happen inside the commands, so ``rationalize --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import importlib
import pkgutil

import typer

from rationalize import __version__
from rationalize.commands.groups import data_app, train_app

app = typer.Typer(
    name="rationalize",
    help="Rationales for NLP models: datasets, rationalizers, post-hoc explanations and ERASER evaluation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(data_app, name="data")
app.add_typer(train_app, name="train")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rationalize {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Rationales for NLP models."""


def _register_commands() -> None:
    import rationalize.commands as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def _quiet_hugging_face_bars() -> None:
    """Turn off the progress bars of huggingface_hub and transformers (read at their import, so set both the
    variable for a later import and the switch of an already imported library)."""
    import os
    import sys

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()


@contextmanager
def _log_to_stderr() -> Iterator[None]:
    """While a command runs, show the library's INFO lines (one per training epoch under ``--no-progress``,
    the vocabulary coverage) and warnings on stderr, as plain lines; a logger the caller configured is
    left alone, and the handler goes when the command ends (``main`` may run many times in one process)."""
    import logging
    import sys

    logger = logging.getLogger("rationalize")
    if logger.handlers:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def main() -> None:
    """Entry point of the console script: known errors become one clear line and exit status 2.

    Two kinds are known: a :class:`~rationalize.errors.RationalizeError` (bad data, a bad option value found
    by the library) and click's usage errors (a missing or malformed option, an unknown command), which
    click would otherwise print as a boxed usage block."""
    try:  # typer vendors its own copy of click (0.2x); older typer uses click itself
        from typer._click import exceptions as click
    except ImportError:  # pragma: no cover
        from click import exceptions as click  # type: ignore[no-redef]

    from rationalize.errors import RationalizeError
    from rationalize.progress import interactive

    # typer 0.2x vendors click without Abort (its own is typer.Abort): an except clause naming a missing
    # attribute would turn any other exception into an AttributeError
    abort = getattr(click, "Abort", typer.Abort)
    if not interactive():  # Hugging Face's own bars (weights loading, GGUF conversion) would fill logs with \r
        _quiet_hugging_face_bars()

    try:
        with _log_to_stderr():
            code = app(standalone_mode=False)
    except RationalizeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    except click.NoArgsIsHelpError as exc:  # a bare group: its help, as click would show it
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except click.UsageError as exc:
        where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        typer.echo(f"error: {exc.format_message()}{where}", err=True)
        raise SystemExit(exc.exit_code) from None
    except abort:
        typer.echo("aborted", err=True)
        raise SystemExit(1) from None
    except click.ClickException as exc:  # e.g. a file option that cannot be opened
        typer.echo(f"error: {exc.format_message()}", err=True)
        raise SystemExit(exc.exit_code) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()

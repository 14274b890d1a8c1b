"""The ``rationalize`` command line.

The root app and the shared sub-groups (``data``, ``train``) are defined here; each capability adds its
commands from its own module in :mod:`rationalize.commands` (one file per command family, each with a
``register(app)`` function), discovered at start-up. Heavy imports happen inside the commands, so
``rationalize --help`` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

from rationalize import __version__

app = typer.Typer(
    name="rationalize",
    help="Rationales for NLP models: datasets, rationalizers, post-hoc explanations and ERASER evaluation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Inspect, validate, convert and synthesise rationale datasets.", no_args_is_help=True)
train_app = typer.Typer(help="Train classifiers, rationalizers and explainers.", no_args_is_help=True)
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


def main() -> None:
    """Entry point of the console script: known errors become one clear line and exit status 2."""
    from rationalize.errors import RationalizeError

    try:
        app()
    except RationalizeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()

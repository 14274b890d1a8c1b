"""The command groups that several command modules add to: ``rationalize data ...`` and ``rationalize train ...``.

They are defined here rather than in :mod:`rationalize.cli` so that a command module imports only its own
package: :mod:`rationalize.cli` builds the root app, adds these groups to it and then loads the command
modules, none of which needs the CLI module itself (running it as ``python -m rationalize.cli`` would
otherwise load a second copy of it, whose groups the root app never shows).
"""

from __future__ import annotations

import typer

data_app = typer.Typer(help="Inspect, validate, convert and synthesise rationale datasets.", no_args_is_help=True)
train_app = typer.Typer(help="Train classifiers, rationalizers and explainers.", no_args_is_help=True)

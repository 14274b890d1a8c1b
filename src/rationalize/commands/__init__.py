"""CLI command modules. Each module defines ``register(app)``; :mod:`rationalize.cli` imports them all.

Shared groups: ``from rationalize.commands.groups import data_app, train_app``. The library code these
commands run lives in the library packages (for instance :mod:`rationalize.models.training`), never here.
"""

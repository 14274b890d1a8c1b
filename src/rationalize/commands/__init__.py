"""CLI command modules. Each module defines ``register(app)``; :mod:`rationalize.cli` imports them all.

Shared groups: ``from rationalize.cli import data_app, train_app``.
"""

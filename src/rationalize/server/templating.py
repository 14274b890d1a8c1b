"""The Jinja environment shared by the viewer and the report (one set of macros, autoescaping on)."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import jinja2


def fmt(value: Any, digits: int = 4) -> str:
    """Numbers for tables: ``-`` for missing, ``nan`` kept visible, floats to ``digits`` decimals."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Templates of ``rationalize.server`` and ``rationalize.report``; everything is escaped by default."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.PackageLoader("rationalize.server", "templates"),
            jinja2.PackageLoader("rationalize.report", "templates"),
        ]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    env.filters["pathq"] = lambda s: quote(str(s), safe="")
    return env


def static_text(name: str) -> str:
    """A file of ``rationalize/server/static`` (the report inlines them)."""
    from importlib.resources import files

    return (files("rationalize.server") / "static" / name).read_text(encoding="utf-8")

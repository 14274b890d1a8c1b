"""Which package may import which: the layering of :mod:`rationalize`, read from the source with ``ast``.

* Library code never imports the command line: only ``cli.py`` and ``commands/*`` import
  ``rationalize.cli`` or ``rationalize.commands``, so every library function can be called (and is
  tested) without Typer, and a command module only parses options, calls the library and prints.
* ``rationalize.metrics`` never imports ``rationalize.rationalizers``: metrics are functions of data and
  predictions, and the rationalizers call them, never the other way round.
* ``rationalize.data`` imports none of ``models``, ``rationalizers`` or ``engine``: datasets load and
  validate without any model code.

Every import counts, including the lazy ones inside functions (they are how a cycle usually sneaks in),
relative imports and ``importlib.import_module("...")`` with a literal name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rationalize

PACKAGE = Path(rationalize.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module name that ``source`` (the code of ``module``) imports, anywhere in it.

    ``from A import b`` yields both ``A`` and ``A.b`` (``b`` may be a submodule); a relative import is
    resolved against ``module`` (itself when ``is_package``, an ``__init__``)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names if alias.name != "*")
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id == "import_module"))):
            found.add(node.args[0].value)
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _violations(scope: str, forbidden: tuple[str, ...], exempt: tuple[str, ...] = ()) -> tuple[list[str], int]:
    """``(problems, modules checked)`` for the modules under ``scope`` (a dotted prefix) other than ``exempt``:
    one ``path:module imports name`` line per forbidden import."""
    problems, checked = [], 0
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        if not _under(module, scope) or any(_under(module, e) for e in exempt):
            continue
        checked += 1
        names = imported_modules(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
        problems += [f"{path.relative_to(PACKAGE.parent)}: imports {name}"
                     for name in sorted(names) if any(_under(name, f) for f in forbidden)]
    return problems, checked


def test_only_the_command_line_imports_the_command_line():
    problems, checked = _violations("rationalize", ("rationalize.cli", "rationalize.commands"),
                                    exempt=("rationalize.cli", "rationalize.commands"))
    assert checked > 50
    assert not problems, "library code must not import the CLI layer:\n" + "\n".join(problems)


def test_metrics_do_not_import_rationalizers():
    problems, checked = _violations("rationalize.metrics", ("rationalize.rationalizers",))
    assert checked >= 5
    assert not problems, "metrics must not depend on rationalizers:\n" + "\n".join(problems)


def test_data_does_not_import_models_rationalizers_or_engine():
    problems, checked = _violations("rationalize.data", ("rationalize.models", "rationalize.rationalizers",
                                                         "rationalize.engine"))
    assert checked >= 5
    assert not problems, "the data layer must not depend on model code:\n" + "\n".join(problems)


@pytest.mark.parametrize(("source", "expected"), [
    ("def f():\n    from rationalize.commands.train_classifier import train_classifier\n",
     "rationalize.commands.train_classifier"),
    ("from rationalize import cli\n", "rationalize.cli"),
    ("import rationalize.rationalizers.freetext.generators as g\n", "rationalize.rationalizers.freetext.generators"),
    ("class A:\n    def m(self):\n        from ..rationalizers import freetext\n",
     "rationalize.rationalizers.freetext"),
    ("import importlib\nimportlib.import_module('rationalize.engine.training')\n", "rationalize.engine.training"),
])
def test_the_scanner_sees_lazy_relative_and_dynamic_imports(source, expected):
    assert expected in imported_modules(source, "rationalize.metrics.example")


def test_relative_imports_in_a_package_init_resolve_against_the_package():
    found = imported_modules("from .probes import probe_records\n", "rationalize.rationalizers.freetext", True)
    assert "rationalize.rationalizers.freetext.probes" in found

"""Every public definition of the library says what it is for: module-level functions and classes, and the
public methods of public classes (nested helpers, private names and dunder methods are exempt)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "rationalize"


def undocumented(tree: ast.Module) -> list[str]:
    """``name`` (or ``Class.method``) of every public definition of ``tree`` without a docstring."""
    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            if ast.get_docstring(node) is None:
                out.append(node.name)
            if isinstance(node, ast.ClassDef):
                out += [f"{node.name}.{m.name}" for m in node.body
                        if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and not m.name.startswith("_")
                        and ast.get_docstring(m) is None]
    return out


def test_the_checker_finds_what_it_should():
    tree = ast.parse('def a():\n    pass\n\ndef _b():\n    pass\n\nclass C:\n    """C."""\n\n'
                     '    def m(self):\n        pass\n\n    def __len__(self):\n        return 0\n')
    assert undocumented(tree) == ["a", "C.m"]


def test_public_definitions_have_docstrings():
    missing = [f"{path.relative_to(SRC.parent)}: {name}" for path in sorted(SRC.rglob("*.py"))
               for name in undocumented(ast.parse(path.read_text(encoding="utf-8")))]
    assert not missing, f"{len(missing)} public definitions without a docstring:\n" + "\n".join(missing)

"""Error types shared by every part of the package.

Bad input must be reported with the file, the line and the field that is wrong, so that a user can fix
it without reading our code. :class:`DataError` carries those three facts as attributes; a
:class:`DataErrors` bundles every problem found in one pass (validation never stops at the first one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class RationalizeError(Exception):
    """Base class of every error this package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem in one input file: where it is and what is wrong."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = f"{self.field} {self.message}" if self.field else self.message
        return f"{where}: {what}"


class DataError(RationalizeError, ValueError):
    """A problem in an input file (dataset, results file, config).

    Attributes ``file``, ``line`` (1-based, or ``None`` for whole-file problems) and ``field`` (a JSON path
    such as ``evidences[0][0].end_token``) locate the problem.
    """

    def __init__(self, file: str | Path, line: int | None, field: str | None, message: str):
        self.problem = Problem(Path(file).name if file else "<input>", line, field, message)
        self.file = str(file)
        self.line = line
        self.field = field
        self.message = message
        super().__init__(str(self.problem))


class DataErrors(DataError):
    """Several :class:`DataError` found in one pass; ``errors`` lists them all in file order."""

    def __init__(self, errors: list[DataError]):
        if not errors:
            raise ValueError("DataErrors needs at least one error")
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.file, first.line, first.field, first.message)
        self.args = ("\n".join(str(e) for e in self.errors),)

    def __str__(self) -> str:
        n = len(self.errors)
        head = f"{n} problem{'s' if n != 1 else ''} found:"
        return "\n".join([head, *(f"  {e}" for e in self.errors)])


class ModelNotAvailableError(RationalizeError, OSError):
    """A model name could not be resolved offline (hub names need a network or a local cache)."""

"""Error types shared by every part of the package.

Bad input must be reported with the file, the line and the field that is wrong, so that a user can fix
it without reading our code. :class:`DataError` carries those three facts as attributes; a
:class:`DataErrors` bundles every problem found in one pass (validation never stops at the first one).
The file is printed as the user gave it (``runs/bad/deep/test.jsonl``, not ``test.jsonl``), and a long
list of problems is printed capped: the first :data:`SHOWN_PER_KIND` of each kind, then the count of
each kind (:func:`format_problems`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SHOWN_PER_KIND = 5


class RationalizeError(Exception):
    """Base class of every error this package raises on purpose."""


class OptionError(RationalizeError, ValueError):
    """A command-line option whose value the command cannot use (reported before any work is done)."""

    def __init__(self, option: str, message: str):
        self.option = option
        super().__init__(f"{option} {message}")


class MissingSplitError(RationalizeError, KeyError):
    """A split the dataset does not have. Also a :class:`KeyError`, which ``dataset[split]`` raised before."""

    def __init__(self, dataset: str, split: str, have: Sequence[str], unloaded: Sequence[str] = ()):
        self.dataset = dataset
        self.split = split
        self.have = list(have)
        if split in unloaded:
            message = f"split {split!r} of dataset {dataset!r} was not loaded (loaded: {', '.join(have) or 'none'})"
        else:
            message = f"dataset {dataset!r} has no split {split!r} (it has: {', '.join([*have, *unloaded]) or 'none'})"
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would print the repr of the message, quotes and all
        return str(self.args[0])


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

    Attributes ``file`` (the path as the user gave it), ``line`` (1-based, or ``None`` for whole-file
    problems) and ``field`` (a JSON path such as ``evidences[0][0].end_token``) locate the problem.
    """

    def __init__(self, file: str | Path, line: int | None, field: str | None, message: str):
        self.problem = Problem(str(file) if file else "<input>", line, field, message)
        self.file = str(file)
        self.line = line
        self.field = field
        self.message = message
        super().__init__(str(self.problem))

    @property
    def kind(self) -> tuple[str, str]:
        """Problems that differ only in indices, numbers and quoted values are of one kind."""
        return _KIND_FIELD.sub("[]", self.field or ""), _KIND_VALUE.sub("…", self.message)


_KIND_FIELD = re.compile(r"\[[^\]]*\]")
_KIND_VALUE = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|-?\d+(?:\.\d+)?")


def format_problems(errors: Sequence[DataError], per_kind: int | None = SHOWN_PER_KIND) -> list[str]:
    """One line per problem in the given order, at most ``per_kind`` of each kind (``None``: all), then,
    if any were left out, how many problems of each kind there are."""
    counts = Counter(e.kind for e in errors)
    shown: Counter[tuple[str, str]] = Counter()
    lines = []
    for e in errors:
        shown[e.kind] += 1
        if per_kind is None or shown[e.kind] <= per_kind:
            lines.append(str(e))
    hidden = len(errors) - len(lines)
    if hidden:
        lines.append(f"{hidden} more not shown (the first {per_kind} of each kind are); problems by kind:")
        for (fieldname, message), n in counts.most_common():
            lines.append(f"  {n:>6}  {fieldname + ' ' if fieldname else ''}{message}")
    return lines


class DataErrors(DataError):
    """Several :class:`DataError` found in one pass; ``errors`` lists them all in file order.

    ``str()`` shows the first :data:`SHOWN_PER_KIND` of each kind and the count of each kind; ``args[0]``
    has every one."""

    def __init__(self, errors: list[DataError]):
        if not errors:
            raise ValueError("DataErrors needs at least one error")
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.file, first.line, first.field, first.message)
        self.args = ("\n".join(str(e) for e in self.errors),)

    def __str__(self) -> str:
        if len(self.errors) == 1:
            return str(self.errors[0])
        head = f"{len(self.errors)} problems found:"
        return "\n".join([head, *(f"  {line}" for line in format_problems(self.errors))])


def raise_problems(errors: Sequence[DataError]) -> None:
    """Raise the one problem, or every problem as :class:`DataErrors`; do nothing when there is none."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise DataErrors(list(errors))


class ModelNotAvailableError(RationalizeError, OSError):
    """A model name could not be resolved offline (hub names need a network or a local cache)."""

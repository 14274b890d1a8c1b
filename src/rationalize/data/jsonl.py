"""Line-numbered JSON Lines reading and atomic writing, shared by every loader and results file."""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rationalize.errors import DataError


def json_problem(exc: ValueError | RecursionError) -> str:
    """The message for a line that ``json.loads`` refused: ``is not valid JSON (MSG at column N)``.

    Some of json's messages already end in "at" (``Unterminated string starting at``); they are not given a
    second one. Columns count characters of the line as the user sees it (1-based)."""
    if isinstance(exc, json.JSONDecodeError):
        at = "" if exc.msg.endswith(" at") else " at"
        return f"is not valid JSON ({exc.msg}{at} column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "is not valid JSON we can read (nested too deeply)"
    return f"is not valid JSON we can read ({str(exc).split(';')[0]})"  # e.g. an integer of 5000 digits


def parse_json(text: str) -> Any:
    """``json.loads`` whose every failure is a :class:`ValueError` carrying :func:`json_problem`'s message."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(json_problem(exc)) from None


def iter_jsonl(path: str | Path, errors: list[DataError] | None = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, object)`` for every non-blank line; a line that is not UTF-8 or not JSON raises
    :class:`DataError`, or, when an ``errors`` list is given, is appended to it and skipped (to report every
    problem in one pass). Lines are split on ``\\n`` and decoded one by one, so a bad byte names its line;
    a UTF-8 byte-order mark at the start of the file is skipped."""
    path = Path(path)
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            problem = None
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8").rstrip("\r\n")
                if not line.strip():
                    continue
                yield lineno, parse_json(line)  # without the newline: columns stay on this line
                continue
            except UnicodeDecodeError as exc:
                problem = DataError(path, lineno, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})")
            except ValueError as exc:
                problem = DataError(path, lineno, None, str(exc))
            if errors is None:
                raise problem
            errors.append(problem)


def describe(value: Any) -> str:
    """What a JSON value is, for messages: ``an integer``, ``a string``, ``null``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # nan, inf: as the file has them
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        return "a huge integer"
    for kind, name in ((int, "an integer"), (float, "a number"), (str, "a string"), (list, "a list"),
                       (dict, "an object")):
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"


def not_a(record: Any, key: str, expected: str) -> str:
    """The message for ``record[key]`` that is not ``expected`` (``"a string"``): ``is missing``, or
    ``is an integer, not a string``."""
    if not isinstance(record, dict) or key not in record:
        return "is missing"
    return f"is {describe(record[key])}, not {expected}"


def write_jsonl(path: str | Path, records: Iterable[Any]) -> None:
    """Write records atomically (temporary file then rename), so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class JsonlAppender:
    """Append records one at a time and flush each, for long jobs that must resume after a kill.

    ``done_ids()`` reads back the ids already written (a trailing partial line from a killed run is
    dropped, so the record is simply computed again).
    """

    def __init__(self, path: str | Path, id_field: str = "annotation_id"):
        self.path = Path(path)
        self.id_field = id_field
        self._fh = None

    def done_ids(self) -> set[str]:
        """Ids of the records already in the file; a partial last line from a killed run is removed from it."""
        if not self.path.exists():
            return set()
        good: list[str] = []
        ids: set[str] = set()
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    break  # a partial last line from a killed run
                good.append(line if line.endswith("\n") else line + "\n")
                ids.add(str(rec[self.id_field]))
        # rewrite without the partial tail so appends stay valid JSONL
        with self.path.open("w", encoding="utf-8") as fh:
            fh.writelines(good)
        return ids

    def append(self, record: Any) -> None:
        """Write one record as a JSON line and flush it (opens the file on first use)."""
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8")
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        """Close the file if open (safe to call twice)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Line-numbered JSON Lines reading and atomic writing, shared by every loader and results file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rationalize.errors import DataError


def iter_jsonl(path: str | Path, errors: list[DataError] | None = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, object)`` for every non-blank line; bad JSON raises :class:`DataError`, or,
    when an ``errors`` list is given, is appended to it and skipped (to report every problem in one pass)."""
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line.rstrip("\r\n"))  # without the newline: columns stay on this line
            except json.JSONDecodeError as exc:
                problem = DataError(path, lineno, None, f"is not valid JSON ({exc.msg} at column {exc.colno})")
                if errors is None:
                    raise problem from None
                errors.append(problem)


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
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8")
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

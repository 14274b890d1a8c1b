"""Bring your own data: JSON Lines or CSV with a text, an optional query, a label and rationales.

One record per line (JSONL) or row (CSV, with a header). Default field names (all configurable through
:class:`GenericFormat`):

``id``            optional; default ``{split}_{line}``
``text``          the document text (required unless ``tokens`` is given); lines become sentences
``tokens``        optional pre-tokenised document (a list of strings); then ``text`` is ignored
``query``         optional question / hypothesis / claim
``label``         required (string or integer)
``rationales``    optional; spans ``[[start, end], ...]`` (one annotator) or ``[[[s, e], ...], [[s, e]]]``
                  (one list per annotator: kept as separate evidence groups); end-exclusive
``explanations``  optional list of free-text explanations (or one string)
``split``         optional; else the file name (``train``, ``val``/``dev``, ``test``), else ``train``

``span_unit`` says what the rationale offsets count: ``char`` (characters of ``text``; each span becomes
the tokens it overlaps) or ``token`` (indices into the tokens). Text is tokenised on whitespace
(``tokenizer="whitespace"``, ERASER's convention) or with ``simple`` (punctuation split off). In CSV,
list-valued cells hold JSON (``"[[0, 4]]"``). ``labels`` declares the label set: any other label is an
error. Every problem is reported with file, line and field.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rationalize.data.jsonl import describe, iter_jsonl, parse_json
from rationalize.data.loaders._util import (
    TOKENIZERS,
    char_span_to_tokens,
    document_from_text,
    finish_example,
    make_evidence,
)
from rationalize.data.registry import register_loader
from rationalize.data.schema import Dataset, Document, Example
from rationalize.errors import DataError, DataErrors

SPLIT_NAMES = {"train": "train", "val": "val", "dev": "val", "validation": "val", "test": "test"}
SUFFIXES = (".jsonl", ".csv")


@dataclass(frozen=True)
class GenericFormat:
    """Field names and conventions of a generic JSONL/CSV file (see the module docstring)."""

    id_field: str = "id"
    text_field: str = "text"
    tokens_field: str = "tokens"
    query_field: str = "query"
    label_field: str = "label"
    rationale_field: str = "rationales"
    explanations_field: str = "explanations"
    split_field: str = "split"
    span_unit: str = "char"
    tokenizer: str = "whitespace"
    labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.span_unit not in ("char", "token"):
            raise ValueError(f"span_unit must be 'char' or 'token', not {self.span_unit!r}")
        if self.tokenizer not in TOKENIZERS:
            raise ValueError(f"tokenizer must be one of {TOKENIZERS}, not {self.tokenizer!r}")


def _records(f: Path, problems: list[DataError]) -> Iterator[tuple[int, Any]]:
    """``(line, record)`` from a JSONL or CSV file; unreadable lines are reported and skipped."""
    if f.suffix == ".csv":
        with f.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            _ = reader.fieldnames  # reads the header, so line_num counts it
            start = reader.line_num + 1
            for row in reader:
                yield start, row
                start = reader.line_num + 1
        return
    yield from iter_jsonl(f, errors=problems)


def _cell(value: Any, csv_file: bool) -> Any:
    """CSV cells are strings: list-valued fields hold JSON; an empty cell is a missing value."""
    if csv_file and isinstance(value, str):
        if value.strip() == "":
            return None
        if value.lstrip()[:1] in "[{":
            return parse_json(value)
    return value


def _spans(value: Any) -> list[list[Any]] | None:
    """Normalise rationales to a list of groups of ``[start, end]`` pairs (``None`` if malformed)."""
    if value is None:
        return []
    if not isinstance(value, list):
        return None
    if not value:
        return []
    if all(isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in v) for v in value):
        return [value]  # one group of pairs
    if all(isinstance(g, list) for g in value):
        return value
    return None


def parse_record(rec: Any, f: Path, line: int, split: str, fmt: GenericFormat) -> tuple[Document | None, Example | None, list[DataError]]:
    """One record -> (document, example, problems)."""
    errs: list[DataError] = []
    is_csv = f.suffix == ".csv"

    def err(fieldname: str | None, msg: str) -> None:
        errs.append(DataError(f, line, fieldname, msg))

    if not isinstance(rec, dict):
        err(None, "is not a JSON object")
        return None, None, errs
    get: dict[str, Any] = {}
    for key in (fmt.id_field, fmt.text_field, fmt.tokens_field, fmt.query_field, fmt.label_field,
                fmt.rationale_field, fmt.explanations_field):
        try:
            get[key] = _cell(rec.get(key), is_csv)
        except ValueError as exc:
            err(key, str(exc))
    if errs:
        return None, None, errs
    eid = get[fmt.id_field]
    if eid is not None and (isinstance(eid, bool) or not isinstance(eid, (str, int)) or str(eid) == ""):
        err(fmt.id_field, "is empty" if eid == "" else f"is {describe(eid)}, not a string or an integer")
        return None, None, errs
    eid = f"{split}_{line}" if eid is None else str(eid)
    label = get[fmt.label_field]
    if isinstance(label, bool) or not isinstance(label, (str, int)) or str(label).strip() == "":
        err(fmt.label_field, "is missing or not a string/integer")
    elif fmt.labels is not None and str(label) not in fmt.labels:
        err(fmt.label_field, f"{label!r} is an unknown label (expected one of {', '.join(fmt.labels)})")
    query = get[fmt.query_field]
    if query is not None and not isinstance(query, str):
        err(fmt.query_field, "must be a string")
    expl = get[fmt.explanations_field]
    expl = [expl] if isinstance(expl, str) else (expl or [])
    if not (isinstance(expl, list) and all(isinstance(x, str) for x in expl)):
        err(fmt.explanations_field, "must be a string or a list of strings")
    offsets: list[tuple[int, int]] | None = None
    text = get[fmt.text_field]
    tokens = get[fmt.tokens_field]
    doc: Document | None = None
    if tokens is not None:
        if not isinstance(tokens, list) or not all(isinstance(t, str) and t.strip() and not any(c.isspace() for c in t) for t in tokens):
            err(fmt.tokens_field, "must be a list of non-empty strings without spaces")
        elif not tokens:
            err(fmt.tokens_field, "is empty (an empty document)")
        else:
            doc = Document(eid, list(tokens), [(0, len(tokens))])
            if fmt.span_unit == "char" and get[fmt.rationale_field]:
                err(fmt.rationale_field, "character spans need a text; with a tokens field use span_unit='token'")
    elif not isinstance(text, str):
        err(fmt.text_field, "is missing or not a string")
    else:
        doc, offsets = document_from_text(eid, text, fmt.tokenizer)
        if len(doc) == 0:
            err(fmt.text_field, "has no tokens (an empty document)")
            doc = None
    raw = get[fmt.rationale_field]
    groups_raw = _spans(raw)
    if groups_raw is None:
        err(fmt.rationale_field, "must be a list of [start, end] pairs, or a list of such lists (one per annotator)")
        groups_raw = []
    flat = len(groups_raw) == 1 and groups_raw[0] is raw  # one group given as a flat list of pairs
    groups = []
    if doc is not None and not errs:
        sent_of = doc.sentence_of_token()
        limit = len(text) if fmt.span_unit == "char" and isinstance(text, str) else len(doc)
        unit = "characters" if fmt.span_unit == "char" else "tokens"
        for gi, group in enumerate(groups_raw):
            evs = []
            for si, span in enumerate(group if isinstance(group, list) else [None]):
                where = f"{fmt.rationale_field}[{si}]" if flat else f"{fmt.rationale_field}[{gi}][{si}]"
                if not (isinstance(span, list) and len(span) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in span)):
                    err(where, "must be a [start, end] pair of integers")
                    continue
                s, e = span
                if not 0 <= s < e <= limit:
                    err(where, f"[{s}, {e}] is not a non-empty range inside the document ({limit} {unit})")
                    continue
                if offsets is not None and fmt.span_unit == "char":
                    rng = char_span_to_tokens(offsets, s, e)
                    if rng is None:
                        err(where, f"[{s}, {e}] covers only whitespace")
                        continue
                    s, e = rng
                evs.append(make_evidence(doc, s, e, sent_of))
            groups.append(evs)
    if errs or doc is None:
        return None, None, errs
    return doc, Example(eid, [eid], str(label), query, groups, list(expl)), errs


def _files(root: Path) -> list[tuple[Path, str | None]]:
    if root.is_file():
        return [(root, SPLIT_NAMES.get(root.stem.lower()))]
    out = []
    for f in sorted(root.iterdir()):
        if f.suffix in SUFFIXES and f.stem.lower() in SPLIT_NAMES:
            out.append((f, SPLIT_NAMES[f.stem.lower()]))
    return out


def load_generic(path: str | Path, fmt: GenericFormat | None = None, name: str | None = None, **options: Any) -> Dataset:
    """Load a generic JSONL/CSV file, or a folder of ``{train,val,dev,test}.{jsonl,csv}``. ``options``
    override :class:`GenericFormat` fields. Raises :class:`DataErrors` with every problem."""
    fmt = GenericFormat(**options) if fmt is None else fmt
    root = Path(path)
    try:
        files = _files(root) if root.exists() else []
    except OSError as exc:
        raise DataError(root, None, None, f"cannot be read ({exc.strerror})") from None
    if not files:
        raise DataError(root, None, None, "is not a .jsonl/.csv file nor a folder with {train,val,test}.{jsonl,csv}")
    problems: list[DataError] = []
    documents: dict[str, Document] = {}
    splits: dict[str, list[Example]] = {}
    seen: dict[str, tuple[str, int]] = {}
    for f, file_split in files:
        n_records = 0
        try:
            for line, rec in _records(f, problems):
                n_records += 1
                split = file_split or "train"
                if isinstance(rec, dict) and rec.get(fmt.split_field) not in (None, ""):
                    raw = str(rec[fmt.split_field]).lower()
                    if raw not in SPLIT_NAMES:
                        problems.append(DataError(f, line, fmt.split_field, f"{raw!r} is not one of train, val, dev, test"))
                        continue
                    split = SPLIT_NAMES[raw]
                doc, ex, errs = parse_record(rec, f, line, split, fmt)
                problems.extend(errs)
                if ex is None or doc is None:
                    continue
                if ex.id in seen:
                    dup_file, dup_line = seen[ex.id]
                    problems.append(DataError(f, line, fmt.id_field,
                                              f"{ex.id!r} duplicates {Path(dup_file).name}:{dup_line}"))
                    continue
                seen[ex.id] = (str(f), line)
                documents[doc.docid] = doc
                splits.setdefault(split, []).append(finish_example(ex))
        except UnicodeDecodeError as exc:  # CSV (JSONL lines are decoded one by one)
            problems.append(DataError(f, None, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})"))
        except csv.Error as exc:
            problems.append(DataError(f, None, None, f"cannot be read as CSV ({exc})"))
        if n_records == 0 and file_split is not None:
            splits.setdefault(file_split, [])  # an empty split file: ``data validate`` reports it
    if problems:
        raise DataErrors(problems)
    if not any(splits.values()):
        raise DataError(root, None, None, "has no records")
    labels = list(fmt.labels) if fmt.labels else sorted({ex.label for v in splits.values() for ex in v})  # type: ignore[type-var]
    return Dataset(name or root.stem, splits, documents, labels, source=str(root),  # type: ignore[arg-type]
                   metadata={"format": "generic", "label_field": fmt.label_field,
                             **({"declared_labels": list(fmt.labels)} if fmt.labels else {})}, locations=seen)


def _looks_like_eraser(f: Path) -> bool:
    """An ERASER annotation file (e.g. a folder whose docs/ is missing) is not generic data."""
    try:
        with f.open(encoding="utf-8") as fh:
            return '"annotation_id"' in fh.readline()
    except (OSError, UnicodeDecodeError):
        return False


def is_generic(path: Path) -> bool:
    """Whether ``path`` is a generic JSONL/CSV file, or a folder of them, that is not in ERASER format."""
    if path.is_file():
        return path.suffix in SUFFIXES and not _looks_like_eraser(path)
    return path.is_dir() and bool(_files(path)) and not any(_looks_like_eraser(f) for f, _ in _files(path))


register_loader("jsonl", load_generic, lambda p: is_generic(p) and (p.is_dir() or p.suffix == ".jsonl"),
                "generic JSON Lines: text (+query) + label + character/token rationale spans")
register_loader("csv", load_generic, lambda p: p.is_file() and p.suffix == ".csv",
                "generic CSV: the same fields as jsonl, list cells as JSON")

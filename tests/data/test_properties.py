"""Property tests: any truncated, mutated or wrongly typed line of a dataset or results file gives
rationalize's own error (a :class:`DataError`) naming the file, the line and, for a bad field, the field,
and never another exception.

Each example starts from a valid file (the ERASER fixture, the generic JSONL fixture, a results file for the
ERASER fixture), mutates one line in one way, and loads it again: with the ERASER loader, the generic
loader, the results reader + validator, then ``evaluate`` on whatever validated.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rationalize.data import load_eraser
from rationalize.data.loaders import load_generic
from rationalize.data.results import DocRationale, Result, ThresholdedScores, write_results
from rationalize.errors import DataError, DataErrors
from rationalize.metrics import evaluate, validate_results

FIX = Path(__file__).parent / "fixtures"
SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


def field_paths(obj: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every key / index path below the top of a JSON value."""
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else []
    for key, value in items:
        yield (*prefix, key)
        yield from field_paths(value, (*prefix, key))


@st.composite
def mutated_line(draw, line: bytes) -> tuple[bytes, bool]:
    """``(new line, field_mutation)``: a truncated line, changed bytes, another JSON value, or one field
    deleted or replaced by a JSON value of any type (``field_mutation``: the line is still a JSON object)."""
    kind = draw(st.sampled_from(["truncate", "bytes", "line", "field", "field", "delete"]))
    if kind == "line":  # the whole line another JSON value (a list, a string, an object without the fields)
        return json.dumps(draw(JSON_VALUES)).encode(), False
    if kind == "truncate":
        return line[: draw(st.integers(0, max(0, len(line) - 1)))], False
    if kind == "bytes":
        pos = draw(st.integers(0, len(line)))
        junk = draw(st.sampled_from([b'"', b"{", b"]", b",", b"\\", b"\xff", b"\xc3", b"\x00", b"\r", b"1e999",
                                     "é".encode(), b"null", b" "]))
        return line[:pos] + junk + line[pos + draw(st.integers(0, 2)):], False
    rec = json.loads(line)
    paths = list(field_paths(rec))
    top = [p for p in paths if len(p) == 1]  # half the time a top-level field: the ones every line has
    path = draw(st.sampled_from(top if top and draw(st.booleans()) else paths))
    parent = rec
    for key in path[:-1]:
        parent = parent[key]
    if kind == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON_VALUES)
    return json.dumps(rec).encode(), True


def mutate_file(draw, f: Path) -> tuple[int, bool]:
    """Mutate one non-blank line of ``f`` in place; returns its line number and whether a field was mutated."""
    lines = f.read_bytes().split(b"\n")
    candidates = [i for i, line in enumerate(lines) if line.strip()]
    i = draw(st.sampled_from(candidates))
    lines[i], field_mutation = draw(mutated_line(lines[i]))
    f.write_bytes(b"\n".join(lines))
    return i + 1, field_mutation


def names_line(e: DataError, f: Path, line: int) -> bool:
    """The problem is on ``f:line``, or points at it (``duplicates train.jsonl:1``, ``but line 1 has``)."""
    return (Path(e.file) == f and e.line == line) or f"{f.name}:{line}" in e.message or f"line {line}" in e.message


def check_problems(exc: DataError, f: Path, line: int, field_mutation: bool) -> None:
    errors = exc.errors if isinstance(exc, DataErrors) else [exc]
    assert all(isinstance(e, DataError) and e.file for e in errors)
    assert any(names_line(e, f, line) for e in errors), [str(e) for e in errors]
    if field_mutation:  # the line is a JSON object with a bad field: the problems on it name the field
        assert all(e.field for e in errors if Path(e.file) == f and e.line == line), [str(e) for e in errors]
    str(exc)  # printable


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


def fresh_copy(src: Path, workdir: Path) -> Path:
    dst = Path(tempfile.mkdtemp(dir=workdir))
    shutil.copytree(src, dst, dirs_exist_ok=True)
    return dst


@SETTINGS
@given(data=st.data(), docs_jsonl=st.booleans())
def test_eraser_loader_reports_every_mutation_as_a_data_error(workdir, data, docs_jsonl):
    root = fresh_copy(FIX / "eraser_small", workdir)
    if docs_jsonl:
        docs = root / "docs"
        (root / "docs.jsonl").write_text("".join(
            json.dumps({"docid": d.name, "document": d.read_text()}) + "\n" for d in sorted(docs.iterdir())))
        shutil.rmtree(docs)
    names = ["train.jsonl", "val.jsonl", *(["docs.jsonl"] if docs_jsonl else [])]
    f = root / data.draw(st.sampled_from(names))
    line, field_mutation = mutate_file(data.draw, f)
    try:
        load_eraser(root)
    except DataError as exc:
        if f.name == "docs.jsonl":  # a changed document shows up on the annotations that use it
            assert all(isinstance(e, DataError) for e in getattr(exc, "errors", [exc]))
        else:
            check_problems(exc, f, line, field_mutation)


@SETTINGS
@given(data=st.data())
def test_generic_loader_reports_every_mutation_as_a_data_error(workdir, data):
    root = fresh_copy(FIX / "generic", workdir)
    (root / "val.csv").unlink()
    f = root / "train.jsonl"
    line, field_mutation = mutate_file(data.draw, f)
    try:
        load_generic(f, labels=("NEG", "POS"))
    except DataError as exc:
        check_problems(exc, f, line, field_mutation)


def fixture_results(path: Path) -> Path:
    """A valid results file for the ERASER fixture's train split, with every optional field."""
    ds = load_eraser(FIX / "eraser_small")
    probs = {"NEG": 0.3, "POS": 0.7}
    results = []
    for ex in ds["train"]:
        doc = ds.doc(ex.docids[0])
        results.append(Result(
            ex.id, [DocRationale(doc.docid, [(0, 1), (2, 4)], soft=[0.5] * len(doc),
                                 soft_sentences=[0.1] * len(doc.sentences))],
            "POS", probs, {"NEG": 0.4, "POS": 0.6}, {"NEG": 0.2, "POS": 0.8},
            [ThresholdedScores(t, {"NEG": 0.5, "POS": 0.5}, {"NEG": 0.1, "POS": 0.9}) for t in (0.1, 0.5)]))
    write_results(path, results)
    return path


@SETTINGS
@given(data=st.data())
def test_results_reader_and_validator_report_every_mutation_as_a_data_error(workdir, data):
    ds = load_eraser(FIX / "eraser_small")
    f = fixture_results(Path(tempfile.mkdtemp(dir=workdir)) / "results.jsonl")
    line, field_mutation = mutate_file(data.draw, f)
    try:
        results = validate_results(ds, "train", f)
    except DataError as exc:
        check_problems(exc, f, line, field_mutation)
        return
    try:
        evaluate(ds, "train", results, aopc_thresholds=None)
    except DataError:
        pass  # e.g. no predictions for an AOPC bin: a clear error too

"""ERASER directory format: ``{train,val,test}.jsonl`` plus ``docs/`` (one file per document) or
``docs.jsonl`` (``{"docid": ..., "document": ...}`` per line).

Every ERASER dataset (movies, fever, boolq, multirc, cose, esnli, evidence_inference) uses this layout.
Reading checks every record and reports *all* problems with file, line and field (see
:func:`parse_annotation`), so that ``rationalize data validate`` and the loader agree by construction.

Annotation ids may be JSON integers, as in some of ERASER's released files; like the official scorer, we
compare ids as strings, so they become ``str`` here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from sys import intern
from typing import Any

from rationalize.data.jsonl import describe, iter_jsonl, not_a, write_jsonl
from rationalize.data.schema import Dataset, Document, Evidence, Example
from rationalize.errors import DataError, DataErrors, MissingSplitError

SPLITS = ("train", "val", "test")


def is_eraser_dir(path: str | Path) -> bool:
    """Whether ``path`` looks like an ERASER dataset folder (a split JSONL plus ``docs/`` or ``docs.jsonl``)."""
    p = Path(path)
    return p.is_dir() and any((p / f"{s}.jsonl").exists() for s in SPLITS) and (
        (p / "docs").is_dir() or (p / "docs.jsonl").exists()
    )


def read_documents(
    root: str | Path, docids: Iterable[str] | None = None, problems: list[DataError] | None = None
) -> dict[str, Document]:
    """Read ``docs/`` or ``docs.jsonl`` under ``root``; ``docids`` limits reading to those documents.

    Bad documents (not UTF-8, bad JSON, missing fields, duplicate docids) raise :class:`DataError`, or are
    appended to ``problems`` when a list is given.
    """
    root = Path(root)
    docs: dict[str, Document] = {}
    wanted = set(docids) if docids is not None else None
    found: list[DataError] = []
    if (root / "docs").is_dir():
        names = sorted(wanted) if wanted is not None else sorted(p.name for p in (root / "docs").iterdir())
        for name in names:
            f = _doc_file(root, name)
            if f is not None:
                try:
                    docs[name] = Document.from_text(name, f.read_text(encoding="utf-8"))
                except UnicodeDecodeError as exc:
                    found.append(DataError(f, None, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})"))
    elif (root / "docs.jsonl").exists():
        f = root / "docs.jsonl"
        first_line: dict[str, int] = {}
        for lineno, rec in iter_jsonl(f, errors=found):
            docid = rec.get("docid") if isinstance(rec, dict) else None
            if not isinstance(rec, dict):
                found.append(DataError(f, lineno, None, "is not a JSON object"))
            elif not isinstance(docid, str):
                found.append(DataError(f, lineno, "docid", not_a(rec, "docid", "a string")))
            elif wanted is not None and docid not in wanted:
                continue  # a document no loaded annotation uses is not checked
            elif not isinstance(rec.get("document"), str):
                found.append(DataError(f, lineno, "document", not_a(rec, "document", "a string")))
            elif docid in first_line:
                found.append(DataError(f, lineno, "docid", f"{docid!r} duplicates line {first_line[docid]}"))
            else:
                first_line[docid] = lineno
                docs[docid] = Document.from_text(docid, rec["document"])
    else:
        found.append(DataError(root, None, None, "has neither a docs/ folder nor a docs.jsonl file"))
    if found:
        if problems is None:
            raise DataErrors(found) if len(found) > 1 else found[0]
        problems.extend(found)
    return docs


def _doc_file(root: Path, name: str) -> Path | None:
    """``docs/NAME`` if it is a file; ``None`` for a name that is no plain file name (``../x``, too long)."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        return None
    f = root / "docs" / name
    try:
        return f if f.is_file() else None
    except OSError:  # e.g. a name longer than the file system allows
        return None


def _evidence_docids(rec: dict[str, Any]) -> list[str]:
    """The string docids of the evidences of an annotation record, in order, without repeats."""
    seen: list[str] = []
    groups = rec.get("evidences")
    for group in groups if isinstance(groups, list) else []:
        for ev in group if isinstance(group, list) else [group]:
            if isinstance(ev, dict) and isinstance(ev.get("docid"), str) and ev["docid"] not in seen:
                seen.append(ev["docid"])
    return seen


def _docids_of(rec: dict[str, Any]) -> list[str]:
    """ERASER's rule: explicit ``docids`` if given, else the evidence documents, else the annotation id."""
    if isinstance(rec.get("docids"), list) and rec["docids"]:
        return [str(d) for d in rec["docids"]]
    return _evidence_docids(rec) or [str(rec.get("annotation_id"))]


def annotation_id(value: Any) -> str | None:
    """An annotation id as we store and compare it: a non-empty string, or an integer as its string (some of
    ERASER's released files have integer ids; the official scorer accepts them); ``None`` for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None


def parse_annotation(
    rec: Any, file: Path, lineno: int, documents: dict[str, Document] | None = None
) -> tuple[Example | None, list[DataError]]:
    """Turn one ERASER annotation into an :class:`Example`, with every problem found in it."""
    errs: list[DataError] = []

    def err(fieldname: str | None, msg: str) -> None:
        errs.append(DataError(file, lineno, fieldname, msg))

    if not isinstance(rec, dict):
        err(None, "is not a JSON object")
        return None, errs
    aid = annotation_id(rec.get("annotation_id"))
    if aid is None:
        err("annotation_id", "is empty" if rec.get("annotation_id") == "" else
            not_a(rec, "annotation_id", "a string or an integer"))
    label = rec.get("classification")
    if label is not None and not isinstance(label, str):
        err("classification", f"must be a string, got {type(label).__name__}")
    query = rec.get("query")
    if query is not None and not isinstance(query, str):
        err("query", f"must be a string or null, got {type(query).__name__}")
    if rec.get("docids") is not None:
        if not isinstance(rec["docids"], list):
            err("docids", f"is {describe(rec['docids'])}; expected a list of strings or null")
        for i, d in enumerate(rec["docids"] if isinstance(rec["docids"], list) else []):
            if not isinstance(d, str):
                err(f"docids[{i}]", f"is {describe(d)}, not a string")
    groups_raw = rec.get("evidences", [])
    if groups_raw is None:
        groups_raw = []
    if not isinstance(groups_raw, list):
        err("evidences", "must be a list of evidence groups (a list of lists)")
        groups_raw = []
    groups: list[list[Evidence]] = []
    for gi, group in enumerate(groups_raw):
        if isinstance(group, dict):  # tolerate a flat list of evidences: one group each
            group = [group]
        if not isinstance(group, list):
            err(f"evidences[{gi}]", "must be a list of evidences")
            continue
        evs: list[Evidence] = []
        for ei, ev in enumerate(group):
            path = f"evidences[{gi}][{ei}]"
            ev_obj = _parse_evidence(ev, path, err, documents)
            if ev_obj is not None:
                evs.append(ev_obj)
        groups.append(evs)
    docids = _docids_of(rec)
    if documents is not None and aid is not None and not any(e.field and e.field.startswith("docids") for e in errs):
        for d in docids:
            if d not in documents:
                err("docids", f"names document {d!r}, which is not in docs")
            elif len(documents[d]) == 0:
                err("docids", f"names document {d!r}, which is empty")
    if errs:
        return None, errs
    explanations = rec.get("explanations") or []
    if not (isinstance(explanations, list) and all(isinstance(x, str) for x in explanations)):
        err("explanations", "must be a list of strings")
        return None, errs
    skip = {"annotation_id", "classification", "query", "docids", "evidences", "explanations"}
    meta = {k: v for k, v in rec.items() if k not in skip}
    if rec.get("docids") is not None:
        meta["explicit_docids"] = True
    assert aid is not None  # an unusable id is an error above
    return Example(
        id=aid, docids=docids, label=label, query=query, evidence_groups=groups,
        explanations=list(explanations), metadata=meta,
    ), errs


def _parse_evidence(ev: Any, path: str, err, documents: dict[str, Document] | None) -> Evidence | None:
    if not isinstance(ev, dict):
        err(path, "is not an object")
        return None
    ok = True
    if not isinstance(ev.get("docid"), str):
        err(f"{path}.docid", not_a(ev, "docid", "a string"))
        ok = False
    for key in ("start_token", "end_token"):
        if not isinstance(ev.get(key), int) or isinstance(ev.get(key), bool):
            err(f"{path}.{key}", not_a(ev, key, "an integer"))
            ok = False
    for key in ("start_sentence", "end_sentence"):
        if key in ev and ev[key] is not None and (not isinstance(ev[key], int) or isinstance(ev[key], bool)):
            err(f"{path}.{key}", not_a(ev, key, "an integer"))
            ok = False
    if ev.get("text") is not None and not isinstance(ev["text"], str):
        err(f"{path}.text", not_a(ev, "text", "a string"))
        ok = False
    if not ok:
        return None
    s, e = ev["start_token"], ev["end_token"]
    if s < 0:
        err(f"{path}.start_token", f"{s} is negative")
        ok = False
    if e < s:
        err(f"{path}.end_token", f"{e} is before start_token {s}")
        ok = False
    ss = ev.get("start_sentence", -1)
    es = ev.get("end_sentence", -1)
    ss = -1 if ss is None else ss
    es = -1 if es is None else es
    doc = documents.get(ev["docid"]) if documents is not None else None
    if documents is not None and doc is None:
        err(f"{path}.docid", f"names document {ev['docid']!r}, which is not in docs")
        ok = False
    if doc is not None and ok:
        if e > len(doc):
            err(f"{path}.end_token", f"{e} is past the end of {doc.docid} ({len(doc)} tokens)")
            ok = False
        elif "text" in ev and isinstance(ev["text"], str):
            actual = " ".join(doc.tokens[s:e])
            if " ".join(ev["text"].split()) != actual:
                err(f"{path}.text", f"{ev['text']!r} differs from the document tokens {s}:{e} {actual!r}")
                ok = False
        if ss != -1 or es != -1:
            n_sent = len(doc.sentences)
            if 0 <= es <= ss <= n_sent:
                what = "is empty" if ss == es else "ends before it starts"
                err(f"{path}.end_sentence", f"sentence range {ss}:{es} {what} (end_sentence is exclusive)")
                ok = False
            elif not (0 <= ss < es <= n_sent):
                err(f"{path}.start_sentence", f"sentence range {ss}:{es} is outside {doc.docid} ({n_sent} sentences)")
                ok = False
            elif ok and not (doc.sentences[ss][0] <= s and e <= doc.sentences[es - 1][1]):
                err(f"{path}.start_sentence", f"sentences {ss}:{es} do not contain tokens {s}:{e}")
                ok = False
    if not ok:
        return None
    # one string per distinct document id and evidence text (claims share them: FEVER repeats each many times)
    return Evidence(intern(ev["docid"]), s, e, ss, es, intern(ev.get("text", "") or ""))


def load_eraser(path: str | Path, splits: Iterable[str] | None = None, name: str | None = None) -> Dataset:
    """Load an ERASER-format folder. Raises :class:`DataErrors` listing every problem found.

    ``splits=None`` loads every split file there is and every document. Given ``splits``, only those split
    files and the documents they use are read and checked (``evaluate --split val`` does not fail on a
    problem in ``test.jsonl``); the other split files are only skimmed for their annotation ids and labels,
    so that ``labels`` is that of the whole dataset and a results file of another split can be named. A
    requested split without a file raises :class:`MissingSplitError`.
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError(root, None, None, "is not a folder")
    present = [s for s in SPLITS if (root / f"{s}.jsonl").exists()]
    wanted = present if splits is None else list(dict.fromkeys(splits))
    for split in wanted:
        if split not in present:
            raise MissingSplitError(name or root.name, split, present)
    problems: list[DataError] = []
    # some splits: a first streaming pass collects the documents they use (its bad lines are reported by the
    # second pass), so that only those are read and no split's parsed lines are ever held all at once
    used = None if splits is None else {
        d for split in wanted for _, rec in iter_jsonl(root / f"{split}.jsonl", errors=[]) if isinstance(rec, dict)
        for d in [*_docids_of(rec), *_evidence_docids(rec)]}
    doc_problems: list[DataError] = []
    documents = read_documents(root, docids=used, problems=doc_problems)
    problems = doc_problems + problems
    if not documents and doc_problems:  # no usable documents: every annotation would repeat the same problem
        raise DataErrors(sorted(problems, key=_file_order))
    data: dict[str, list[Example]] = {}
    locations: dict[str, tuple[str, int]] = {}
    for split in wanted:
        f = root / f"{split}.jsonl"
        examples: list[Example] = []
        for lineno, rec in iter_jsonl(f, errors=problems):
            ex, errs = parse_annotation(rec, f, lineno, documents)
            problems.extend(errs)
            if ex is None:
                continue
            if ex.id in locations:
                pf, pl = locations[ex.id]
                problems.append(DataError(f, lineno, "annotation_id", f"{ex.id!r} duplicates {Path(pf).name}:{pl}"))
                continue
            locations[ex.id] = (str(f), lineno)
            examples.append(ex)
        data[split] = examples
    if not data and not problems:
        problems.append(DataError(root, None, None, "has no train.jsonl, val.jsonl or test.jsonl"))
    if problems:
        raise DataErrors(sorted(problems, key=_file_order))
    labels = {ex.label for exs in data.values() for ex in exs if ex.label is not None}
    unloaded: dict[str, frozenset[str]] = {}
    for split in present:
        if split not in data:
            ids, split_labels = _skim(root / f"{split}.jsonl")
            unloaded[split] = ids
            labels |= split_labels
    return Dataset(name or root.name, data, documents, sorted(labels), source=str(root),
                   metadata={"label_field": "classification"}, unloaded_ids=unloaded, locations=locations)


def _file_order(e: DataError) -> tuple[int, str, int]:
    """Problems of the split files in split order, each file by line; document problems first."""
    names = [f"{s}.jsonl" for s in SPLITS]
    name = Path(e.file).name
    return (names.index(name) + 1 if name in names else 0, e.file, e.line or 0)


def _skim(f: Path) -> tuple[frozenset[str], set[str]]:
    """The annotation ids and labels of a split file that is not loaded, without checking it."""
    ids, labels = set(), set()
    for _, rec in iter_jsonl(f, errors=[]):
        if isinstance(rec, dict):
            aid = annotation_id(rec.get("annotation_id"))
            if aid is not None:
                ids.add(aid)
            if isinstance(rec.get("classification"), str):
                labels.add(rec["classification"])
    return frozenset(ids), labels


def example_to_record(ex: Example) -> dict[str, Any]:
    """The ERASER annotation dict of an example (inverse of :func:`parse_annotation`)."""
    rec: dict[str, Any] = {"annotation_id": ex.id, "classification": ex.label}
    rec["evidences"] = [
        [
            {
                "docid": ev.docid,
                "end_sentence": ev.end_sentence,
                "end_token": ev.end_token,
                "start_sentence": ev.start_sentence,
                "start_token": ev.start_token,
                "text": ev.text,
            }
            for ev in group
        ]
        for group in ex.evidence_groups
    ]
    rec["query"] = ex.query
    meta = dict(ex.metadata)
    explicit = meta.pop("explicit_docids", False)
    if explicit or ex.docids != _docids_of({**rec, "docids": None}):
        rec["docids"] = list(ex.docids)
    if ex.explanations:
        rec["explanations"] = list(ex.explanations)
    rec.update({k: v for k, v in meta.items() if _jsonable(v)})
    return rec


def _jsonable(v: Any) -> bool:
    try:
        json.dumps(v)
        return True
    except (TypeError, ValueError):
        return False


def write_eraser(dataset: Dataset, out: str | Path, docs_format: str = "dir") -> Path:
    """Write ``dataset`` as an ERASER folder (``docs/`` or, with ``docs_format='jsonl'``, ``docs.jsonl``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if docs_format == "dir":
        (out / "docs").mkdir(exist_ok=True)
        for doc in dataset.documents.values():
            (out / "docs" / doc.docid).write_text(doc.to_text(), encoding="utf-8")
    elif docs_format == "jsonl":
        write_jsonl(out / "docs.jsonl", ({"docid": d.docid, "document": d.to_text()} for d in dataset.documents.values()))
    else:
        raise ValueError(f"docs_format must be 'dir' or 'jsonl', not {docs_format!r}")
    for split, examples in dataset.splits.items():
        write_jsonl(out / f"{split}.jsonl", (example_to_record(ex) for ex in examples))
    return out

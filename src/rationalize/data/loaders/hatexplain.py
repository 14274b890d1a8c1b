"""HateXplain (Mathew et al., AAAI 2021): posts with three annotators, each giving a label
(hatespeech / offensive / normal) and, for non-normal labels, a token-level rationale mask.

Layout: ``{train,val,test}.json`` (each a JSON object keyed by post id, the official ``dataset.json``
schema), or ``dataset.json`` plus ``post_id_divisions.json`` (the official split ids).

Mapping to the schema: one document per post (its ``post_tokens``, one sentence); the label is the
majority of the annotator labels (a label more frequent than every other); every rationale mask becomes
one evidence group (its runs of 1s), in file order. Masks cannot be paired with annotators reliably in the
source, so groups are not attributed; annotator labels, ids and targets are kept in ``metadata``. A mask
with no 1s stays as an empty group. Posts without a majority (all annotators differ) are *undecided*: the
paper drops them, and so does the loader by default, listing their ids in ``dataset.metadata["undecided"]``;
``undecided="keep"`` keeps them with ``label=None``.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rationalize.data.jsonl import json_problem
from rationalize.data.loaders._util import finish_example, make_evidence, mask_to_spans
from rationalize.data.registry import only_splits, register_loader
from rationalize.data.schema import Dataset, Document, Example
from rationalize.errors import DataError, DataErrors, MissingSplitError

LABELS = ("hatespeech", "normal", "offensive")
SPLIT_FILES = {"train": "train.json", "val": "val.json", "test": "test.json"}


def _read_json(f: Path, problems: list[DataError]) -> tuple[Any, str]:
    try:
        text = f.read_text(encoding="utf-8")
        return json.loads(text), text
    except UnicodeDecodeError as exc:
        problems.append(DataError(f, None, None, f"is not UTF-8 text ({exc.reason})"))
    except json.JSONDecodeError as exc:
        problems.append(DataError(f, exc.lineno, None, json_problem(exc)))
    except (ValueError, RecursionError) as exc:
        problems.append(DataError(f, None, None, json_problem(exc)))
    return None, ""


def _line_finder(text: str):
    """post id -> line number of its ``"post_id"`` field (for error messages)."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    where = {m.group(1): bisect.bisect_left(newlines, m.start()) + 1
             for m in re.finditer(r'"post_id"\s*:\s*"([^"]*)"', text)}
    return where.get


def majority(labels: list[str]) -> str | None:
    """The label more frequent than every other one, or ``None`` on a tie for first place."""
    top = Counter(labels).most_common()
    if not top or (len(top) > 1 and top[0][1] == top[1][1]):
        return None
    return top[0][0]


def parse_post(key: str, post: Any, f: Path, line: int | None) -> tuple[Document | None, Example | None, list[DataError]]:
    """One post -> (document, example without the label decision applied, problems)."""
    errs: list[DataError] = []

    def err(fieldname: str, msg: str) -> None:
        errs.append(DataError(f, line, f"{key}.{fieldname}", msg))

    if not isinstance(post, dict):
        errs.append(DataError(f, line, key, "is not a JSON object"))
        return None, None, errs
    if post.get("post_id", key) != key:
        err("post_id", f"{post.get('post_id')!r} differs from its key")
    tokens = post.get("post_tokens")
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        err("post_tokens", "is missing or not a list of strings")
        tokens = None
    elif not tokens:
        err("post_tokens", "is empty (an empty document)")
        tokens = None
    else:
        bad = next((i for i, t in enumerate(tokens) if not t or t != "".join(t.split())), None)
        if bad is not None:  # ERASER documents are whitespace-tokenised: such a token cannot round-trip
            err(f"post_tokens[{bad}]", f"{tokens[bad]!r} is empty or contains whitespace")
            tokens = None
    annotators = post.get("annotators")
    labels: list[str] = []
    if not isinstance(annotators, list) or not annotators:
        err("annotators", "is missing or not a non-empty list")
    else:
        for i, a in enumerate(annotators):
            lab = a.get("label") if isinstance(a, dict) else None
            if lab not in LABELS:
                err(f"annotators[{i}].label", f"{lab!r} is not one of {', '.join(LABELS)}")
            else:
                labels.append(lab)
    masks = post.get("rationales", [])
    if not isinstance(masks, list):
        err("rationales", "must be a list of token masks")
        masks = []
    for i, mask in enumerate(masks):
        if not isinstance(mask, list) or any(v not in (0, 1) or isinstance(v, float) for v in mask):
            err(f"rationales[{i}]", "must be a list of 0/1 values")
        elif tokens is not None and len(mask) != len(tokens):
            err(f"rationales[{i}]", f"has {len(mask)} values but the post has {len(tokens)} tokens")
    if errs or tokens is None:
        return None, None, errs
    doc = Document(key, list(tokens), [(0, len(tokens))])
    sent_of = doc.sentence_of_token()
    groups = [[make_evidence(doc, s, e, sent_of) for s, e in mask_to_spans(mask)] for mask in masks]
    meta = {
        "annotator_labels": labels,
        "annotator_ids": [a.get("annotator_id") for a in annotators],
        "targets": [a.get("target") for a in annotators],
    }
    return doc, Example(key, [key], majority(labels), None, groups, metadata=meta), errs


def _skim(f: Path, undecided: str) -> tuple[frozenset[str], set[str]]:
    """The ids and labels of a split file that is not loaded (the ids :func:`load_hatexplain` would give
    it); its problems are left to a load of that split."""
    data, _ = _read_json(f, [])
    ids, labels = set(), set()
    if isinstance(data, dict):
        for key, post in data.items():
            _, ex, errs = parse_post(key, post, f, None)
            if ex is None or errs or (ex.label is None and undecided == "drop"):
                continue
            ids.add(key)
            if ex.label is not None:
                labels.add(ex.label)
    return frozenset(ids), labels


def load_hatexplain(path: str | Path, undecided: str = "drop", name: str = "hatexplain",
                    splits: Sequence[str] | None = None) -> Dataset:
    """Load a HateXplain folder (see the module docstring). Raises :class:`DataErrors` with every problem.

    ``splits``: build only those splits; with split files, the other files are skimmed one at a time for
    their ids and labels before the wanted ones are read, so the documents of other splits are never held.
    A requested split the folder lacks raises :class:`MissingSplitError`."""
    if undecided not in ("drop", "keep"):
        raise ValueError(f"undecided must be 'drop' or 'keep', not {undecided!r}")
    root = Path(path)
    problems: list[DataError] = []
    sources: list[tuple[str, Path, dict[str, Any], Any]] = []  # split, file, posts, post id -> line
    unloaded: dict[str, frozenset[str]] = {}
    other_labels: set[str] = set()
    if splits is not None and not (root / "dataset.json").exists():
        present = [split for split, fname in SPLIT_FILES.items() if (root / fname).exists()]
        for split in splits:
            if split not in present:
                raise MissingSplitError(name, split, present)
        for split in present:
            if split not in splits:
                unloaded[split], found = _skim(root / SPLIT_FILES[split], undecided)
                other_labels |= found
    if (root / "dataset.json").exists():
        data, text = _read_json(root / "dataset.json", problems)
        divisions, _ = _read_json(root / "post_id_divisions.json", problems) if (root / "post_id_divisions.json").exists() else ({}, "")
        if isinstance(data, dict):
            line_of = _line_finder(text)
            if not divisions:
                sources.append(("train", root / "dataset.json", data, line_of))
            elif isinstance(divisions, dict):
                for split in ("train", "val", "test"):
                    ids = divisions.get(split, [])
                    missing = [i for i in ids if i not in data]
                    if missing:
                        problems.append(DataError(root / "post_id_divisions.json", None, split,
                                                  f"lists {len(missing)} post ids not in dataset.json (first: {missing[0]!r})"))
                    sources.append((split, root / "dataset.json", {i: data[i] for i in ids if i in data}, line_of))
        elif data is not None:
            problems.append(DataError(root / "dataset.json", None, None, "must be a JSON object keyed by post id"))
    else:
        for split, fname in SPLIT_FILES.items():
            f = root / fname
            if f.exists() and split not in unloaded:
                data, text = _read_json(f, problems)
                if isinstance(data, dict):
                    sources.append((split, f, data, _line_finder(text)))
                elif data is not None:
                    problems.append(DataError(f, None, None, "must be a JSON object keyed by post id"))
    if not sources and not problems:
        raise DataError(root, None, None, "has no dataset.json nor train.json/val.json/test.json (HateXplain layout)")
    documents: dict[str, Document] = {}
    built: dict[str, list[Example]] = {}
    dropped: list[str] = []
    seen: dict[str, str] = {}
    text = data = None  # the files' text and parsed objects live on only in ``sources``, which is consumed below
    for split, f, posts, line_of in sources:
        examples = built.setdefault(split, [])
        for key in list(posts):
            post = posts.pop(key)  # each parsed post is freed once built: its JSON and its Document never both peak
            doc, ex, errs = parse_post(key, post, f, line_of(key))
            problems.extend(errs)
            if ex is None or doc is None:
                continue
            if key in seen:
                problems.append(DataError(f, line_of(key), key, f"is a duplicate post id (already in {seen[key]})"))
                continue
            seen[key] = split
            if ex.label is None and undecided == "drop":
                dropped.append(key)
                continue
            documents[key] = doc
            examples.append(finish_example(ex))
    if problems:
        raise DataErrors(problems)
    labels = sorted({ex.label for exs in built.values() for ex in exs if ex.label is not None} | other_labels)
    ds = Dataset(name, built, documents, labels, source=str(root),
                 metadata={"format": "hatexplain", "declared_labels": list(LABELS),
                           "undecided": dropped if undecided == "drop" else
                           [ex.id for exs in built.values() for ex in exs if ex.label is None]},
                 unloaded_ids=unloaded)
    if splits is not None and (root / "dataset.json").exists():  # one file: read whole, then set aside
        ds = only_splits(ds, splits)
    return ds


def _looks_like_hatexplain(f: Path) -> bool:
    try:
        with f.open(encoding="utf-8") as fh:
            return '"post_tokens"' in fh.read(20000)
    except (OSError, UnicodeDecodeError):
        return False


def is_hatexplain_dir(path: Path) -> bool:
    """Whether ``path`` holds HateXplain JSON (split files or ``dataset.json``)."""
    if not path.is_dir():
        return False
    files = [path / "dataset.json", *(path / f for f in SPLIT_FILES.values())]
    return any(f.is_file() and _looks_like_hatexplain(f) for f in files)


register_loader("hatexplain", load_hatexplain, is_hatexplain_dir,
                "HateXplain: {train,val,test}.json or dataset.json + post_id_divisions.json", partial=True)

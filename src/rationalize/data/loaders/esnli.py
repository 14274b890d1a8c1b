"""e-SNLI (Camburu et al., NeurIPS 2018): SNLI pairs with up to three free-text explanations.

Layout: the authors' line-aligned files, line *i* of every file of a split being the same example:
``s1.{split}`` (premise, space-tokenised), ``s2.{split}`` (hypothesis), ``labels.{split}``
(entailment / neutral / contradiction), ``preproc1_expl_{1,2,3}.{split}`` (explanations; the train split
has only the first). Split suffixes ``train``, ``dev`` (loaded as ``val``) and ``test``.

Mapping to the schema, as ERASER does for e-SNLI: each example has two documents,
``{id}_premise`` and ``{id}_hypothesis`` (one sentence each), no query, the label, and its explanations
in ``Example.explanations`` (blank ones skipped). The files carry no pair ids, so the id is
``{split}_{line}`` (1-based line number). No extractive rationales: the highlighted-word annotations
exist only in the original CSVs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rationalize.data.loaders._util import finish_example
from rationalize.data.registry import register_loader
from rationalize.data.schema import Dataset, Document, Example
from rationalize.errors import DataError, DataErrors, MissingSplitError

LABELS = ("contradiction", "entailment", "neutral")
SPLITS = {"train": "train", "dev": "val", "test": "test"}
EXPLANATION_FILES = ("preproc1_expl_1", "preproc1_expl_2", "preproc1_expl_3")


def _lines(f: Path, problems: list[DataError]) -> list[str] | None:
    """Lines of ``f`` without the final newline (the explanation files have none, the others do)."""
    try:
        text = f.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(DataError(f, None, None, f"is not UTF-8 text ({exc.reason})"))
        return None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def _skim(labels_file: Path, split: str) -> tuple[frozenset[str], set[str]]:
    """The ids and labels of a split that is not loaded, from its labels file alone (one line per example)."""
    ids, labels = [], set()
    with labels_file.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            ids.append(f"{split}_{lineno}")
            if line.strip() in LABELS:
                labels.add(line.strip())
    return frozenset(ids), labels


def load_esnli(path: str | Path, name: str = "esnli", splits: Sequence[str] | None = None) -> Dataset:
    """Load the line-aligned e-SNLI files under ``path``. Raises :class:`DataErrors` with every problem.

    ``splits``: read only those splits' files (the others' ids and labels come from their labels files, so
    that ``labels`` is the whole dataset's and a results file of another split can be named); a requested
    split without files raises :class:`MissingSplitError`."""
    root = Path(path)
    present = [split for suffix, split in SPLITS.items()
               if any((root / f"{key}.{suffix}").exists() for key in ("s1", "s2", "labels"))]
    for split in splits or ():
        if split not in present:
            raise MissingSplitError(name, split, present)
    problems: list[DataError] = []
    documents: dict[str, Document] = {}
    data: dict[str, list[Example]] = {}
    unloaded: dict[str, frozenset[str]] = {}
    other_labels: set[str] = set()
    for suffix, split in SPLITS.items():
        core = {key: root / f"{key}.{suffix}" for key in ("s1", "s2", "labels")}
        if split not in present:
            continue
        if splits is not None and split not in splits:
            if core["labels"].exists():
                unloaded[split], found = _skim(core["labels"], split)
                other_labels |= found
            continue
        missing = [f.name for f in core.values() if not f.exists()]
        if missing:
            problems.append(DataError(root, None, None, f"has {split} files but lacks {', '.join(missing)}"))
            continue
        columns = {key: _lines(f, problems) for key, f in core.items()}
        expl_files = [root / f"{e}.{suffix}" for e in EXPLANATION_FILES if (root / f"{e}.{suffix}").exists()]
        expls = [_lines(f, problems) for f in expl_files]
        if any(c is None for c in columns.values()) or any(e is None for e in expls):
            continue
        n = len(columns["labels"])
        before = len(problems)
        for f, rows in [*zip(core.values(), columns.values()), *zip(expl_files, expls)]:
            if len(rows) != n:
                problems.append(DataError(f, None, None, f"has {len(rows)} lines but {core['labels'].name} has {n}"))
        if len(problems) > before:
            continue
        examples = data.setdefault(split, [])
        for i in range(n):
            lineno = i + 1
            label = columns["labels"][i].strip()
            bad = False
            if label not in LABELS:
                problems.append(DataError(core["labels"], lineno, "label", f"{label!r} is not one of {', '.join(LABELS)}"))
                bad = True
            texts = {}
            for key, part in (("s1", "premise"), ("s2", "hypothesis")):
                tokens = columns[key][i].split()
                if not tokens:
                    problems.append(DataError(core[key], lineno, part, "is empty (an empty document)"))
                    bad = True
                texts[part] = tokens
            if bad:
                continue
            eid = f"{split}_{lineno}"
            docids = [f"{eid}_premise", f"{eid}_hypothesis"]
            for docid, part in zip(docids, ("premise", "hypothesis")):
                documents[docid] = Document(docid, texts[part], [(0, len(texts[part]))])
            explanations = [e[i].strip() for e in expls if e[i].strip()]
            examples.append(finish_example(Example(eid, docids, label, None, [], explanations)))
    if problems:
        raise DataErrors(problems)
    if not data:
        raise DataError(root, None, None, "has no e-SNLI files (s1.dev, s2.dev, labels.dev, preproc1_expl_1.dev, ...)")
    labels = {ex.label for v in data.values() for ex in v} | other_labels
    return Dataset(name, data, documents, sorted(labels),  # type: ignore[arg-type]
                   source=str(root), metadata={"format": "esnli", "declared_labels": list(LABELS)},
                   unloaded_ids=unloaded)


def is_esnli_dir(path: Path) -> bool:
    """Whether ``path`` holds e-SNLI line-aligned files (``labels.{split}`` and ``s1.{split}`` for some split)."""
    return path.is_dir() and any((path / f"labels.{s}").exists() and (path / f"s1.{s}").exists() for s in SPLITS)


register_loader("esnli", load_esnli, is_esnli_dir, "e-SNLI line-aligned files: s1/s2/labels/preproc1_expl_k.{train,dev,test}",
                partial=True)

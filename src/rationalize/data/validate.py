"""Dataset validation (``rationalize data validate``) and dataset comparison (lossless round trips).

Validation *is* loading: the loaders already check every record and collect every problem as a
:class:`DataError` (JSON syntax, required fields and types, evidence offsets inside the document, evidence
text equal to the document tokens, sentence indices, duplicate ids, missing and empty documents), so
``validate`` and the loaders agree by construction. On top of that, :func:`check_labels` flags unknown
labels, which a loader cannot judge record by record:

* with a declared label set (``labels=``), any other label is an error;
* otherwise, where a non-empty ``train`` split exists, a label of another split that never occurs in
  ``train`` is an error: a classifier cannot predict it and it is most often a typo (``positive`` vs
  ``POS``). Datasets without train (FEVER, HateXplain here) are not checked this way.

Loaders accept such labels (a subsample can legitimately miss a rare label in train); ``validate`` is
the strict gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rationalize.data.eraser import is_eraser_dir
from rationalize.data.schema import Dataset
from rationalize.errors import DataError, DataErrors


def _eraser_lines(path: Path) -> list[int]:
    """Line numbers of the non-blank lines of an ERASER split file (the i-th example's line)."""
    with path.open(encoding="utf-8") as fh:
        return [i for i, line in enumerate(fh, start=1) if line.strip()]


def check_labels(ds: Dataset, labels: Sequence[str] | None = None) -> list[DataError]:
    """Unknown labels (see the module docstring), located by file and line for ERASER folders."""
    errors: list[DataError] = []
    train = [ex.label for ex in ds.splits.get("train", [])]
    known = set(labels) if labels is not None else set(train) if train else None
    if known is None:
        return errors
    source = Path(ds.source) if ds.source else None
    eraser = source is not None and is_eraser_dir(source)
    for split, examples in ds.splits.items():
        if labels is None and split == "train":
            continue
        lines = _eraser_lines(source / f"{split}.jsonl") if eraser and source is not None else None
        for i, ex in enumerate(examples):
            if ex.label is None or ex.label in known:
                continue
            why = "is not in the declared labels" if labels is not None else "never occurs in train"
            expected = ", ".join(sorted(known))
            if lines is not None and source is not None:
                errors.append(DataError(source / f"{split}.jsonl", lines[i], "classification",
                                        f"{ex.label!r} {why} ({expected})"))
            else:
                errors.append(DataError(source or ds.name, None, f"{split}[{ex.id}].label", f"{ex.label!r} {why} ({expected})"))
    return errors


def validate(source: str | Path, labels: Sequence[str] | None = None) -> tuple[Dataset | None, list[DataError]]:
    """Load ``source`` (anything :func:`load_dataset` accepts) and return ``(dataset or None, problems)``."""
    from rationalize.data.registry import load_dataset

    try:
        ds = load_dataset(source)
    except DataErrors as exc:
        return None, list(exc.errors)
    except DataError as exc:
        return None, [exc]
    return ds, check_labels(ds, labels)


def dataset_differences(a: Dataset, b: Dataset, limit: int = 20) -> list[str]:
    """Where ``b`` differs from ``a`` (splits, examples, documents, labels); empty when identical."""
    out: list[str] = []
    if a.labels != b.labels:
        out.append(f"labels {a.labels} != {b.labels}")
    if list(a.splits) != list(b.splits):
        out.append(f"splits {list(a.splits)} != {list(b.splits)}")
    for split in a.splits:
        xs, ys = a.splits[split], b.splits.get(split, [])
        if len(xs) != len(ys):
            out.append(f"{split}: {len(xs)} != {len(ys)} examples")
        for x, y in zip(xs, ys):
            if vars(x) != vars(y):
                keys = [k for k in vars(x) if vars(x)[k] != vars(y).get(k)]
                out.append(f"{split}: example {x.id!r} differs in {', '.join(keys)}")
    if set(a.documents) != set(b.documents):
        out.append(f"documents: {len(set(a.documents) ^ set(b.documents))} ids differ")
    for docid, doc in a.documents.items():
        other = b.documents.get(docid)
        if other is not None and vars(doc) != vars(other):
            out.append(f"document {docid!r} differs")
    return out[:limit]

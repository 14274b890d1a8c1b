"""Dataset validation (``rationalize data validate``) and dataset comparison (lossless round trips).

Validation *is* loading: the loaders already check every record and collect every problem as a
:class:`DataError` (JSON syntax, required fields and types, evidence offsets inside the document, evidence
text equal to the document tokens, sentence indices, duplicate ids, missing and empty documents), so
``validate`` and the loaders agree by construction. On top of that, :func:`validate` flags what a loader
cannot judge record by record:

* an empty split (a split file without a single example);
* unknown labels (:func:`check_labels`): with a declared label set (``labels=``), any other label is an
  error; otherwise, where a non-empty ``train`` split exists, a label of another split that never occurs
  in ``train`` is an error: a classifier cannot predict it and it is most often a typo (``positive`` vs
  ``POS``); without train, against the label set the loader declared, if any. Without any of these
  there is nothing to check against: :func:`label_check_note` says so.

Loaders accept such labels and splits (a subsample can legitimately miss a rare label in train);
``validate`` is the strict gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rationalize.data.eraser import is_eraser_dir
from rationalize.data.schema import Dataset, Example
from rationalize.errors import DataError, DataErrors

NOT_IN_TRAIN = "never occurs in train"
NOT_DECLARED = "is not in the declared labels"


def known_labels(ds: Dataset, labels: Sequence[str] | None = None) -> tuple[set[str], str] | None:
    """The labels every example's label must be one of, and how a label outside them is described:
    ``labels`` if given, else those of a non-empty train split, else the label set the loader declared
    (``metadata["declared_labels"]``: HateXplain, e-SNLI, generic data read with ``labels=``); ``None``
    when there is none of these (no check is possible)."""
    if labels is not None:
        return set(labels), NOT_DECLARED
    train = {ex.label for ex in ds.splits.get("train", []) if ex.label is not None}
    if train:
        return train, NOT_IN_TRAIN
    declared = ds.metadata.get("declared_labels")
    return (set(declared), NOT_DECLARED) if declared else None


def label_check_note(ds: Dataset, labels: Sequence[str] | None = None) -> str | None:
    """Why labels were not checked (a dataset without a train split and no declared labels), else ``None``."""
    if known_labels(ds, labels) is not None:
        return None
    splits = ", ".join(ds.splits) or "none"
    return (f"note: {ds.source or ds.name} has no train split with labels (it has: {splits}) and declares no label "
            "set, so labels were not checked; give --labels to check them")


def _where(ds: Dataset, split: str, ex: Example, fieldname: str) -> tuple[str, int | None, str]:
    """File, line and field of ``ex`` for a problem found after loading (its line where the loader kept it)."""
    if ex.id in ds.locations:
        file, line = ds.locations[ex.id]
        return file, line, fieldname
    return ds.source or ds.name, None, f"{split}[{ex.id}].label"


def check_labels(ds: Dataset, labels: Sequence[str] | None = None) -> list[DataError]:
    """Unknown labels (see the module docstring), located by file and line where the loader kept them."""
    errors: list[DataError] = []
    reference = known_labels(ds, labels)
    if reference is None:
        return errors
    known, why = reference
    label_field = str(ds.metadata.get("label_field", "label"))
    expected = ", ".join(sorted(known))
    for split, examples in ds.splits.items():
        if why == NOT_IN_TRAIN and split == "train":
            continue
        for ex in examples:
            if ex.label is not None and ex.label not in known:
                file, line, fieldname = _where(ds, split, ex, label_field)
                errors.append(DataError(file, line, fieldname, f"{ex.label!r} {why} ({expected})"))
    return errors


def check_splits(ds: Dataset) -> list[DataError]:
    """A split without any example is a problem (most often a file written by a failed run)."""
    source = Path(ds.source) if ds.source else None
    errors = []
    for split, examples in ds.splits.items():
        if not examples:
            file = source / f"{split}.jsonl" if source is not None and is_eraser_dir(source) else (source or ds.name)
            errors.append(DataError(file, None, None, f"has no examples (split {split!r} is empty)"))
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
    return ds, check_splits(ds) + check_labels(ds, labels)


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

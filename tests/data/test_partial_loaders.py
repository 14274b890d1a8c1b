"""Loaders that read only the requested splits give, for those splits, what a full load gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rationalize.data import load_dataset, make_synthetic
from rationalize.data.registry import LOADERS, only_splits
from rationalize.errors import MissingSplitError

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """The loaders' fixtures, with a second e-SNLI split (the fixture has only ``dev``): its first two lines."""
    root = tmp_path_factory.mktemp("partial")
    esnli = shutil.copytree(FIX / "esnli", root / "esnli")
    for f in list(esnli.iterdir()):
        lines = f.read_text(encoding="utf-8").splitlines()
        (esnli / f.name.replace(".dev", ".test")).write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    return {"esnli": esnli, "hatexplain": FIX / "hatexplain", "zaidan": FIX / "zaidan"}


def _docs_used(ds):
    return {d for exs in ds.splits.values() for ex in exs for d in (*ex.docids, *(ev.docid for ev in ex.evidences))}


@pytest.mark.parametrize("loader", ["esnli", "hatexplain", "zaidan"])
def test_partial_load_equals_the_full_load_of_that_split(loader, folders):
    path = folders[loader]
    assert LOADERS[loader].partial
    full = load_dataset(f"{loader}:{path}")
    assert len(full.splits) >= 2  # otherwise nothing is left out
    for split in full.splits:
        part = load_dataset(f"{loader}:{path}", splits=[split])
        assert list(part.splits) == [split]
        assert [ex.id for ex in part[split]] == [ex.id for ex in full[split]]
        assert [ex.evidences for ex in part[split]] == [ex.evidences for ex in full[split]]
        assert part.labels == full.labels  # the label set still covers the whole dataset
        assert set(part.documents) == _docs_used(part)  # no document of another split is held
        assert all(part.documents[d].tokens == full.documents[d].tokens for d in part.documents)
        others = {s: frozenset(ex.id for ex in exs) for s, exs in full.splits.items() if s != split}
        assert part.unloaded_ids == others


@pytest.mark.parametrize("loader", ["esnli", "hatexplain", "zaidan"])
def test_partial_load_of_a_missing_split_names_the_splits_there_are(loader, folders):
    with pytest.raises(MissingSplitError, match="has no split 'nope'"):
        load_dataset(f"{loader}:{folders[loader]}", splits=["nope"])


def test_only_splits_drops_the_documents_of_the_other_splits():
    ds = make_synthetic(seed=0, train=6, val=2, test=3)
    kept = only_splits(ds, ["test"])
    assert set(kept.documents) == {d for ex in kept["test"] for d in ex.docids}
    assert set(kept.unloaded_ids) == {"train", "val"}

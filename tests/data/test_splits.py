"""Loading only the splits a job uses (:func:`rationalize.data.load_splits`), quick-run subsamples, and
the memory a loaded document takes."""

from __future__ import annotations

import sys

import pytest

from rationalize.data import load_splits, make_synthetic, write_eraser
from rationalize.data.schema import Document
from rationalize.errors import MissingSplitError


@pytest.fixture(scope="module")
def eraser_dir(tmp_path_factory):
    ds = make_synthetic(seed=0, train=12, val=4, test=5)
    out = tmp_path_factory.mktemp("ds") / "synth"
    write_eraser(ds, out)
    (out / "val.jsonl").unlink()  # a dataset without val: val is optional for training
    return out, ds


def test_only_the_loaded_splits_documents_are_read(eraser_dir):
    path, full = eraser_dir
    ds = load_splits(path, ["train"], ["val"])
    assert list(ds.splits) == ["train"] and set(ds.unloaded_ids) == {"test"}
    assert set(ds.documents) == {d for ex in full["train"] for d in ex.docids}
    assert ds.labels == full.labels  # the label set still covers every split


def test_a_missing_required_split_names_the_splits_there_are(eraser_dir):
    path, _ = eraser_dir
    with pytest.raises(MissingSplitError, match=r"has no split 'val' \(it has: .*train.*test"):
        load_splits(path, ["val"])


def test_subsample_is_seeded_in_split_order_and_shares_the_rest():
    ds = make_synthetic(seed=0, train=30, val=5, test=5)
    a, b, c = ds.subsample("train", 10, 1), ds.subsample("train", 10, 1), ds.subsample("train", 10, 2)
    ids = [ex.id for ex in a["train"]]
    assert len(ids) == 10 and ids == [ex.id for ex in b["train"]] and ids != [ex.id for ex in c["train"]]
    order = {ex.id: i for i, ex in enumerate(ds["train"])}
    assert [order[i] for i in ids] == sorted(order[i] for i in ids)
    assert a["val"] is ds["val"] and a.documents is ds.documents and len(ds["train"]) == 30
    assert ds.subsample("train", None) is ds and ds.subsample("train", 99) is ds
    with pytest.raises(ValueError, match="at least 1"):
        ds.subsample("train", 0)


def test_document_tokens_share_one_string_per_word():
    a = Document.from_text("a", "the film was the best film")
    b = Document.from_text("b", "".join(["the", " ", "film"]))  # built at run time: not interned by Python
    assert a.tokens[0] is a.tokens[3] and a.tokens[1] is b.tokens[1] is sys.intern("film")

from __future__ import annotations

import json

import pytest

from rationalize.data import Document, load_dataset, load_eraser, make_synthetic, write_eraser
from rationalize.errors import DataErrors, MissingSplitError
from tests.conftest import shared_path
from tests.data._paths import messages


def test_document_from_text_keeps_sentences():
    doc = Document.from_text("d", "a b c\n\nd e\n")
    assert doc.tokens == ["a", "b", "c", "d", "e"]
    assert doc.sentences == [(0, 3), (3, 3), (3, 5)]
    assert Document.from_text("d", doc.to_text()).sentences == doc.sentences


def test_round_trip_is_lossless(tmp_path):
    ds = make_synthetic(seed=1, train=20, val=5, test=5, query="What is the label?")
    for fmt in ("dir", "jsonl"):
        out = write_eraser(ds, tmp_path / fmt, docs_format=fmt)
        back = load_eraser(out)
        assert back.labels == ds.labels
        assert {k: [vars(e) for e in v] for k, v in back.splits.items()} == {
            k: [vars(e) for e in v] for k, v in ds.splits.items()
        }
        assert {k: vars(d) for k, d in back.documents.items()} == {k: vars(d) for k, d in ds.documents.items()}


def _write(tmp_path, docs, lines):
    (tmp_path / "docs").mkdir()
    for name, text in docs.items():
        (tmp_path / "docs" / name).write_text(text)
    (tmp_path / "val.jsonl").write_text("\n".join(json.dumps(x) if not isinstance(x, str) else x for x in lines) + "\n")
    return tmp_path


def test_all_problems_reported_with_file_line_field(tmp_path):
    ev = {"docid": "d1", "start_token": 0, "end_token": 1000000, "start_sentence": 0, "end_sentence": 1, "text": "x"}
    root = _write(tmp_path, {"d1": "a b c\nd e\n"}, [
        {"annotation_id": "d1", "classification": "POS", "evidences": [[ev]]},
        "{not json",
    ])
    with pytest.raises(DataErrors) as info:
        load_eraser(root)
    msgs = messages(info.value.errors, root)
    assert msgs[0] == "val.jsonl:1: evidences[0][0].end_token 1000000 is past the end of d1 (5 tokens)"
    assert msgs[1].startswith("val.jsonl:2: is not valid JSON")


def _three_splits(tmp_path, docs_format="dir"):
    """train has the only NEU label; test.jsonl gets a broken line and a bad evidence; docs of test are broken."""
    ds = make_synthetic(seed=2, train=12, val=4, test=4, labels=("NEG", "POS"))
    ds["train"][0].label = "NEU"
    root = write_eraser(ds, tmp_path / "d", docs_format=docs_format)
    with (root / "test.jsonl").open("a") as fh:
        fh.write('{"annotation_id": "t9", "evidences": [[{"docid": "nope", "start_token": 0, "end_token": 1}]]}\n')
        fh.write("{oops\n")
    if docs_format == "dir":
        (root / "docs" / ds["test"][0].docids[0]).write_bytes(b"\xff\n")
    return ds, root


@pytest.mark.parametrize("docs_format", ["dir", "jsonl"])
def test_loading_some_splits_checks_only_those(tmp_path, docs_format):
    ds, root = _three_splits(tmp_path, docs_format)
    with pytest.raises(DataErrors):
        load_eraser(root)  # everything: test's problems are found
    val = load_eraser(root, splits=["val"])
    assert list(val.splits) == ["val"] and [ex.id for ex in val["val"]] == [ex.id for ex in ds["val"]]
    assert set(val.documents) == {d for ex in ds["val"] for d in ex.docids}  # only the documents val uses
    assert val.labels == ["NEG", "NEU", "POS"]  # the labels of the whole dataset, NEU from train
    assert val.unloaded_ids["train"] == frozenset(ex.id for ex in ds["train"])
    assert "t9" in val.unloaded_ids["test"]
    assert val.id_matches({ex.id for ex in ds["test"]}) == {"test": 4}
    assert list(load_dataset(str(root), splits=["val"]).splits) == ["val"]  # through the registry


def test_a_split_that_is_not_there(tmp_path):
    _, root = _three_splits(tmp_path)
    (root / "train.jsonl").unlink()
    with pytest.raises(MissingSplitError) as info:
        load_dataset(str(root), splits=["train"])
    assert str(info.value) == "dataset 'd' has no split 'train' (it has: val, test)"
    assert isinstance(info.value, KeyError)  # what dataset[split] raised before
    val = load_eraser(root, splits=["val"])
    with pytest.raises(KeyError, match=r"^split 'test' of dataset 'd' was not loaded \(loaded: val\)$"):
        val["test"]
    with pytest.raises(MissingSplitError, match=r"^dataset 'd' has no split 'dev' \(it has: val, test\)$"):
        val.check_split("dev")


def test_other_loaders_keep_only_the_splits_asked_for(tmp_path):
    (tmp_path / "train.jsonl").write_text('{"id": "a", "text": "good", "label": "POS"}\n')
    (tmp_path / "test.jsonl").write_text('{"id": "b", "text": "bad", "label": "NEG"}\n')
    ds = load_dataset(str(tmp_path), splits=["test"])
    assert list(ds.splits) == ["test"] and ds.unloaded_ids == {"train": frozenset({"a"})}
    assert ds.labels == ["NEG", "POS"]
    with pytest.raises(MissingSplitError, match="has no split 'val'"):
        load_dataset(str(tmp_path), splits=["val"])
    assert list(load_dataset("synthetic:train=5,val=2,test=3", splits=["val"]).splits) == ["val"]


def test_integer_annotation_ids_become_strings(tmp_path):
    root = _write(tmp_path, {"7": "a b c\n"}, [
        {"annotation_id": 7, "classification": "POS",
         "evidences": [[{"docid": "7", "start_token": 0, "end_token": 1}]]},
        {"annotation_id": 8, "classification": "NEG", "docids": ["7"]},
    ])
    ds = load_eraser(root)
    assert [(ex.id, ex.docids) for ex in ds["val"]] == [("7", ["7"]), ("8", ["7"])]


def test_synthetic_is_deterministic_and_planted_spans_hold_signal():
    a, b = make_synthetic(seed=3, train=30, val=5, test=5), make_synthetic(seed=3, train=30, val=5, test=5)
    assert [vars(x) for x in a["train"]] == [vars(x) for x in b["train"]]
    from rationalize.data.synthetic import LEXICONS

    for ex in a["train"]:
        doc = a.doc(ex.docids[0])
        for ev in ex.evidences:
            assert all(t in LEXICONS[ex.label] for t in doc.tokens[ev.start_token:ev.end_token])
        outside = [t for t, m in zip(doc.tokens, ex.gold_token_mask(doc)) if not m]
        assert not any(t in LEXICONS[ex.label] for t in outside)


def test_load_dataset_names_and_errors(tmp_path):
    assert load_dataset("synthetic:train=4,val=2,test=2,seed=5").stats()["train"]["examples"] == 4
    with pytest.raises(Exception, match="does not exist"):
        load_dataset(tmp_path / "nope")


@pytest.mark.realdata
def test_movies_counts():
    ds = load_dataset(shared_path("movies"))
    assert {k: len(v) for k, v in ds.splits.items()} == {"train": 1600, "val": 200, "test": 199}
    assert ds.labels == ["NEG", "POS"]


@pytest.mark.realdata
def test_fever_counts():
    ds = load_dataset(shared_path("fever"))
    assert {k: len(v) for k, v in ds.splits.items()} == {"val": 6122, "test": 6111}

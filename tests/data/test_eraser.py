from __future__ import annotations

import json

import pytest

from rationalize.data import Document, load_dataset, load_eraser, make_synthetic, write_eraser
from rationalize.errors import DataErrors
from tests.conftest import shared_path


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
    msgs = [str(e) for e in info.value.errors]
    assert msgs[0] == "val.jsonl:1: evidences[0][0].end_token 1000000 is past the end of d1 (5 tokens)"
    assert msgs[1].startswith("val.jsonl:2: is not valid JSON")


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

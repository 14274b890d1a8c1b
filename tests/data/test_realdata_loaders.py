"""Every format loader on the real copies in ../shared/data, with the exact counts of their SOURCE.md files,
plus lossless ERASER round trips of each converted dataset."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from rationalize.data import load_dataset, load_eraser, write_eraser
from rationalize.data.loaders import load_cose, load_esnli, load_zaidan
from rationalize.data.validate import dataset_differences
from tests.conftest import shared_path

pytestmark = pytest.mark.realdata


def sizes(ds):
    return {k: len(v) for k, v in ds.splits.items()}


def round_trip(ds, tmp_path):
    back = load_eraser(write_eraser(ds, tmp_path / ds.name, docs_format="jsonl"))
    assert dataset_differences(ds, back) == []


@pytest.fixture(scope="module")
def movies():
    return load_eraser(shared_path("movies"))


@pytest.fixture(scope="module")
def zaidan():
    return load_zaidan(shared_path("zaidan_movie_rationales"))


def test_zaidan_counts(zaidan, tmp_path):
    assert sizes(zaidan) == {"train": 1600, "val": 200, "test": 200} and len(zaidan.documents) == 2000
    examples = [ex for v in zaidan.splits.values() for ex in v]
    assert sum(len(ex.evidence_groups) for ex in examples) == 15397  # SOURCE.md: 15,397 rationale spans
    assert sum(bool(ex.evidence_groups) for ex in examples) == 1799  # posR_161 has none; fold 9 none
    assert not zaidan.example_index("train")["posR_161.txt"].evidence_groups
    assert all(not ex.evidence_groups for ex in zaidan["test"])
    assert Counter(ex.label for ex in examples) == {"NEG": 1000, "POS": 1000}
    round_trip(zaidan, tmp_path)


def test_zaidan_tokens_agree_with_eraser_movies(zaidan, movies):
    """The rule-based re-tokenisation reproduces ERASER's tokens exactly for 1836 of 2000 reviews; the 164
    others differ in ERASER artefacts not derivable from the Zaidan text (``t .`` vs ``t.``, an ellipsis
    split ``. ..`` where ERASER's sentence splitter cut it, ...). Spans agree wherever tokens do, except
    where ERASER merged two adjacent Zaidan spans into one."""
    same = [d for d in zaidan.documents if zaidan.doc(d).tokens == movies.doc(d).tokens]
    assert len(same) == 1836
    assert sum(len(zaidan.doc(d)) for d in zaidan.documents) == 1548740
    assert sum(len(movies.doc(d)) for d in zaidan.documents) == 1548499
    agree = total = 0
    differ = []
    same_set = set(same)
    for split in ("train", "val"):
        ours = zaidan.example_index(split)
        for ex in movies[split]:
            if ex.id not in same_set:
                continue
            total += 1
            a = sorted((e.start_token, e.end_token, e.text) for e in ex.evidences)
            b = sorted((e.start_token, e.end_token, e.text) for e in ours[ex.id].evidences)
            agree += a == b
            if a != b:
                differ.append(ex.id)
    assert (agree, total) == (1748, 1750) and differ == ["posR_110.txt", "posR_206.txt"]
    # rule-based sentences vs ERASER's lines on those documents: boundary precision 0.941, recall 0.868
    tp = fp = fn = 0
    for d in same:
        ours = {e for s, e in zaidan.doc(d).sentences if s < e}
        theirs = {e for s, e in movies.doc(d).sentences if s < e}
        tp, fp, fn = tp + len(ours & theirs), fp + len(ours - theirs), fn + len(theirs - ours)
    assert (tp, fp, fn) == (57950, 3646, 8797)


def test_zaidan_aligned_to_eraser_agrees_exactly(movies):
    aligned = load_zaidan(shared_path("zaidan_movie_rationales"), align_to=shared_path("movies"))
    assert all(aligned.doc(d).tokens == movies.doc(d).tokens and aligned.doc(d).sentences == movies.doc(d).sentences
               for d in movies.documents)
    differ = []
    for split in ("train", "val"):
        ours = aligned.example_index(split)
        for ex in movies[split]:
            key = lambda e: (e.start_token, e.end_token, e.start_sentence, e.end_sentence, e.text)  # noqa: E731
            if sorted(map(key, ex.evidences)) != sorted(map(key, ours[ex.id].evidences)):
                differ.append(ex.id)
    # ERASER merged adjacent spans "<POS> ... ! </POS> <POS> it's got style </POS>" into one in these two
    assert differ == ["posR_110.txt", "posR_206.txt"]


def test_hatexplain_counts(tmp_path):
    ds = load_dataset(shared_path("hatexplain"))
    assert ds.name == "hatexplain" and sizes(ds) == {"val": 1922, "test": 1924} and ds.metadata["undecided"] == []
    assert Counter(ex.label for ex in ds["val"]) == {"normal": 781, "hatespeech": 593, "offensive": 548}
    assert Counter(ex.label for ex in ds["test"]) == {"normal": 782, "hatespeech": 594, "offensive": 548}
    assert Counter(len(ex.evidence_groups) for ex in ds["val"]) == {0: 781, 2: 726, 3: 415}
    assert Counter(len(ex.evidence_groups) for ex in ds["test"]) == {0: 782, 2: 685, 3: 457}
    assert sum(g == [] for ex in ds["test"] for g in ex.evidence_groups) == 1  # one all-zero mask
    divisions = json.loads((shared_path("hatexplain") / "post_id_divisions.json").read_text())
    assert {ex.id for ex in ds["val"]} == set(divisions["val"]) and {ex.id for ex in ds["test"]} == set(divisions["test"])
    assert all(len(m) == len(ds.doc(ex.id)) for ex in ds["val"] for m in [ex.gold_token_mask(ds.doc(ex.id))])
    round_trip(ds, tmp_path)


def test_esnli_counts(tmp_path):
    ds = load_esnli(shared_path("esnli"))
    assert sizes(ds) == {"val": 9842, "test": 9824} and len(ds.documents) == 2 * (9842 + 9824)
    assert Counter(ex.label for ex in ds["val"]) == {"entailment": 3329, "contradiction": 3278, "neutral": 3235}
    assert Counter(ex.label for ex in ds["test"]) == {"entailment": 3368, "contradiction": 3237, "neutral": 3219}
    assert all(len(ex.explanations) == 3 for v in ds.splits.values() for ex in v)
    first = ds["val"][0]
    assert " ".join(ds.doc(first.docids[0]).tokens) == "Two women are embracing while holding to go packages ."
    assert first.label == "neutral" and first.explanations[0] == "the to go packages may not be from lunch ."
    round_trip(ds, tmp_path)


@pytest.mark.parametrize("version,processed,expected,selected", [
    ("v1.0", False, {"train": 7610, "val": 950}, {"train": 7349, "val": 913}),
    ("v1.0", True, {"train": 7610, "val": 950}, {"train": 7364, "val": 918}),
    ("v1.11", False, {"val": 1221}, {"val": 1200}),
    ("v1.11", True, {"val": 1221}, {"val": 1203}),
])
def test_cose_counts(tmp_path, version, processed, expected, selected):
    ds = load_cose(shared_path("cose"), version=version, processed=processed)
    assert sizes(ds) == expected
    assert {k: sum(ex.metadata["selected_in_question"] for ex in v) for k, v in ds.splits.items()} == selected
    assert ds.labels == (["A", "B", "C"] if version == "v1.0" else ["A", "B", "C", "D", "E"])
    assert all(len(ex.metadata["choices"]) == len(ds.labels) and ex.explanations for v in ds.splits.values() for ex in v)
    if version == "v1.11":
        assert set(ds.metadata["skipped"]) == {"train"}  # CQA v1.11 train questions are missing
    if not processed:
        round_trip(ds, tmp_path)

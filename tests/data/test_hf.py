"""The Hugging Face ``datasets`` bridge: converters on in-memory ``datasets`` objects built with the Hub
features, and the offline failure of the real ``datasets.load_dataset``."""

from __future__ import annotations

import pytest

datasets = pytest.importorskip("datasets")

from rationalize.data import load_dataset, load_eraser, write_eraser  # noqa: E402
from rationalize.data.loaders.hf import load_hf  # noqa: E402
from rationalize.data.validate import dataset_differences  # noqa: E402
from rationalize.errors import DataError  # noqa: E402

F = datasets.Features
V = datasets.Value
CL = datasets.ClassLabel


def _dict(features, **splits):
    return datasets.DatasetDict({k: datasets.Dataset.from_dict(v, features=features) for k, v in splits.items()})


def fake_hub(name, config=None):
    if name == "eraser-benchmark/movie_rationales":
        feats = F({"review": V("string"), "label": CL(names=["NEG", "POS"]), "evidences": datasets.Sequence(V("string"))})
        return _dict(feats, train={"review": ["a dull film .\ni was bored .", "great fun ."], "label": [0, 1],
                                   "evidences": [["dull film", "i was bored", "not in the text"], ["great"]]},
                     validation={"review": ["fine ."], "label": [1], "evidences": [[]]})
    if name == "Hate-speech-CNERG/hatexplain":
        feats = F({"id": V("string"),
                   "annotators": datasets.Sequence({"label": CL(names=["hatespeech", "normal", "offensive"]),
                                                    "annotator_id": V("int32"), "target": datasets.Sequence(V("string"))}),
                   "rationales": datasets.Sequence(datasets.Sequence(V("int32"))),
                   "post_tokens": datasets.Sequence(V("string"))})
        return _dict(feats, validation={
            "id": ["p1", "p2"],
            "annotators": [{"label": [0, 0, 2], "annotator_id": [1, 2, 3], "target": [["X"], ["X"], ["None"]]},
                           {"label": [0, 1, 2], "annotator_id": [1, 2, 3], "target": [["X"], ["None"], ["None"]]}],
            "rationales": [[[0, 1, 1], [1, 1, 0]], []], "post_tokens": [["you", "bad", "people"], ["hmm", "ok"]]})
    if name == "esnli/esnli":
        feats = F({"premise": V("string"), "hypothesis": V("string"),
                   "label": CL(names=["entailment", "neutral", "contradiction"]),
                   "explanation_1": V("string"), "explanation_2": V("string"), "explanation_3": V("string")})
        return _dict(feats, test={"premise": ["A man plays guitar.", "Kids run."], "hypothesis": ["A man makes music.", "Kids sleep."],
                                  "label": [0, 2], "explanation_1": ["Playing is making music.", "Run is not sleep."],
                                  "explanation_2": ["", "x"], "explanation_3": ["", "y"]})
    if name == "Salesforce/cos_e":
        assert config == "v1.11"
        feats = F({"id": V("string"), "question": V("string"), "choices": datasets.Sequence(V("string")),
                   "answer": V("string"), "abstractive_explanation": V("string"), "extractive_explanation": V("string")})
        return _dict(feats, validation={"id": ["c1"], "question": ["Where is a revolving door a security measure?"],
                                        "choices": [["bank", "library", "mall"]], "answer": ["bank"],
                                        "abstractive_explanation": ["Banks need security."],
                                        "extractive_explanation": ["security measure"]})
    if name == "me/my_rationales":
        feats = F({"text": V("string"), "label": V("string")})
        return _dict(feats, train={"text": ["so good", "so bad"], "label": ["POS", "NEG"]})
    raise FileNotFoundError(name)


def spans(ex):
    return [[(ev.start_token, ev.end_token, ev.text) for ev in g] for g in ex.evidence_groups]


def round_trip(ds, tmp_path):
    assert dataset_differences(ds, load_eraser(write_eraser(ds, tmp_path / ds.name, docs_format="jsonl"))) == []


def test_movie_rationales(tmp_path):
    ds = load_hf("movie_rationales", hf_load=fake_hub)
    assert list(ds.splits) == ["train", "val"] and ds.labels == ["NEG", "POS"]
    ex = ds["train"][0]
    assert ex.label == "NEG" and spans(ex) == [[(1, 3, "dull film")], [(4, 7, "i was bored")]]
    assert ds.doc(ex.docids[0]).sentences == [(0, 4), (4, 8)] and ds.metadata["unaligned_evidences"] == 1
    round_trip(ds, tmp_path)


def test_hatexplain_majority_and_groups(tmp_path):
    ds = load_hf("hatexplain", hf_load=fake_hub)
    assert [e.id for e in ds["val"]] == ["p1"] and ds.metadata["undecided"] == 1
    assert ds["val"][0].label == "hatespeech" and [[(s, e) for s, e, _ in g] for g in spans(ds["val"][0])] == [[(1, 3)], [(0, 2)]]
    round_trip(ds, tmp_path)


def test_esnli_and_cose(tmp_path):
    es = load_hf("esnli", hf_load=fake_hub)
    ex = es["test"][0]
    assert ex.label == "entailment" and [d.tokens for d in es.docs_of(ex)] == [["A", "man", "plays", "guitar", "."],
                                                                                ["A", "man", "makes", "music", "."]]
    assert ex.explanations == ["Playing is making music."] and es["test"][1].explanations == ["Run is not sleep.", "x", "y"]
    round_trip(es, tmp_path)
    co = load_hf("cos_e", hf_load=fake_hub)
    c1 = co["val"][0]
    assert c1.label == "A" and c1.query == "bank [sep] library [sep] mall" and spans(c1) == [[(6, 8, "security measure")]]
    round_trip(co, tmp_path)


def test_other_hub_datasets_read_as_generic_records():
    ds = load_hf("me/my_rationales", hf_load=fake_hub)
    assert [(e.id, e.label) for e in ds["train"]] == [("train_1", "POS"), ("train_2", "NEG")]


def test_offline_fails_with_what_to_do_instead(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(DataError) as info:
        load_dataset("hf:movie_rationales")  # the real datasets.load_dataset, no network here
    msg = str(info.value)
    assert msg.startswith("hf:movie_rationales: could not be loaded from the Hugging Face Hub as 'eraser-benchmark/movie_rationales'")
    assert "local datasets cache" in msg and "ERASER movies folder" in msg

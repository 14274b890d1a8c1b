"""Every format loader on small hand-written fixtures (tests/data/fixtures), plus lossless ERASER round trips."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rationalize.data import load_dataset, load_eraser, write_eraser
from rationalize.data.loaders import load_cose, load_esnli, load_generic, load_hatexplain, load_zaidan
from rationalize.data.loaders._util import char_span_to_tokens, document_from_text, mask_to_spans, sentence_split
from rationalize.data.loaders.zaidan import eraser_tokens
from rationalize.data.validate import dataset_differences
from rationalize.errors import DataErrors
from tests.data._paths import messages

FIX = Path(__file__).parent / "fixtures"


def spans(ex):
    return [[(ev.start_token, ev.end_token, ev.text) for ev in group] for group in ex.evidence_groups]


def assert_round_trip(ds, tmp_path):
    for fmt in ("dir", "jsonl"):
        back = load_eraser(write_eraser(ds, tmp_path / f"rt_{fmt}", docs_format=fmt))
        assert dataset_differences(ds, back) == []


# --- helpers -------------------------------------------------------------------------------------------
def test_mask_and_char_span_helpers():
    assert mask_to_spans([0, 1, 1, 0, 1]) == [(1, 3), (4, 5)]
    assert mask_to_spans([1, 1]) == [(0, 2)]
    assert mask_to_spans([0, 0]) == []
    doc, offsets = document_from_text("d", "ab cd\nef", "whitespace")
    assert doc.tokens == ["ab", "cd", "ef"] and doc.sentences == [(0, 2), (2, 3)]
    assert char_span_to_tokens(offsets, 1, 4) == (0, 2)  # partial overlap covers both tokens
    assert char_span_to_tokens(offsets, 2, 3) is None  # only the space


def test_sentence_split_keeps_closing_quotes_and_brackets():
    toks = 'he said " go ! " and left . ( really . ) ok'.split()
    assert [toks[s:e] for s, e in sentence_split(toks)] == [
        ['he', 'said', '"', 'go', '!', '"'], ['and', 'left', '.'], ['(', 'really', '.', ')'], ['ok']]


# --- Zaidan -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("word,expected", [
    ("what's", ["what", "'s"]), ("doesn't", ["does", "n't"]), ("can't", ["ca", "n't"]), ("cannot", ["can", "not"]),
    ("mind-fuck", ["mind", "-", "fuck"]), ("12-year", ["12-year"]), ("writer/director", ["writer", "/", "director"]),
    ("i'll", ["i", "'ll"]), ("characters'", ["characters", "'"]), ("`the", ["`", "the"]), ("$100", ["$", "100"]),
    ("8mm", ["8", "mm"]), ("1970s", ["1970s"]), ("gonna", ["gon", "na"]), ("gridlock'd", ["gridlock'd"]),
])
def test_eraser_tokens_rules(word, expected):
    assert list(eraser_tokens(word)) == expected


def test_zaidan_fixture(tmp_path):
    ds = load_zaidan(FIX / "zaidan")
    assert {k: [e.id for e in v] for k, v in ds.splits.items()} == {
        "train": ["negR_000.txt", "posR_100.txt"], "val": ["posR_800.txt"], "test": ["negR_900.txt"]}
    neg = ds.example_index("train")["negR_000.txt"]
    doc = ds.doc("negR_000.txt")
    assert " ".join(doc.tokens) == ("plot : two teen couples go to a church party . what 's the deal ? it 's a mind - fuck "
                                    "movie that does n't work . ca n't recommend it .")
    assert [e[0][2] for e in spans(neg)] == ["what 's the deal ?", "ca n't recommend it"]
    assert neg.evidence_groups[0][0].start_sentence == 1 and neg.evidence_groups[0][0].end_sentence == 2
    assert [doc.tokens[s:e][-1] for s, e in doc.sentences] == [".", "?", ".", "."]
    assert neg.label == "NEG" and neg.metadata["fold"] == 0
    assert [e[0][2] for e in spans(ds.example_index("train")["posR_100.txt"])] == ["a wonderful , well - acted film", "bravo", "truly"]
    test = ds["test"][0]
    assert test.evidence_groups == [] and test.metadata["source_file"] == "neg_900.txt"
    assert load_dataset(FIX / "zaidan").splits.keys() == ds.splits.keys()  # detected by path
    assert_round_trip(ds, tmp_path)


def test_zaidan_align_to_eraser_adopts_its_tokens_and_sentences(tmp_path):
    (tmp_path / "z" / "withRats_neg").mkdir(parents=True)
    shutil.copy(FIX / "zaidan/withRats_neg/negR_000.txt", tmp_path / "z/withRats_neg/")
    (tmp_path / "movies" / "docs").mkdir(parents=True)
    eraser_text = ("plot : two teen couples go to a church party .\nwhat 's the deal ?\n"
                   "it 's a mind-fuck movie that does n't work . ca n't recommend it .\n")
    (tmp_path / "movies/docs/negR_000.txt").write_text(eraser_text)
    ds = load_zaidan(tmp_path / "z", align_to=tmp_path / "movies")
    doc = ds.doc("negR_000.txt")
    assert doc.tokens == eraser_text.split() and len(doc.sentences) == 3
    ev = [g[0] for g in ds["train"][0].evidence_groups]
    assert [(e.text, e.start_sentence, e.end_sentence) for e in ev] == [("what 's the deal ?", 1, 2), ("ca n't recommend it", 2, 3)]
    (tmp_path / "movies/docs/negR_000.txt").write_text(eraser_text.replace("plot", "story"))
    with pytest.raises(DataErrors, match="differs from negR_000.txt"):
        load_zaidan(tmp_path / "z", align_to=tmp_path / "movies")


@pytest.mark.parametrize("text,message", [
    ("a <NEG> b <NEG> c </NEG> .", "negR_001.txt:1: <NEG> opens a rationale inside the one opened on line 1"),
    ("a b </NEG> .", "negR_001.txt:1: </NEG> closes a rationale that was never opened"),
    ("a <NEG> b .", "negR_001.txt:1: <NEG> is never closed"),
    ("a <NEG> </NEG> b .", "negR_001.txt:1: </NEG> closes an empty rationale"),
    ("a <POS> b </POS> .", "negR_001.txt:1: <POS> is a POS tag in a NEG review"),
    ("<NEG> </NEG>", "negR_001.txt: is an empty review"),
])
def test_zaidan_tag_errors(tmp_path, text, message):
    (tmp_path / "withRats_neg").mkdir()
    (tmp_path / "withRats_neg/negR_001.txt").write_text(text + "\n")
    with pytest.raises(DataErrors) as info:
        load_zaidan(tmp_path)
    assert message in messages(info.value.errors, tmp_path / "withRats_neg")


# --- HateXplain -------------------------------------------------------------------------------------
def test_hatexplain_fixture(tmp_path):
    ds = load_hatexplain(FIX / "hatexplain")
    assert {k: [e.id for e in v] for k, v in ds.splits.items()} == {"val": ["p1", "p2"], "test": ["p4"]}
    assert ds.metadata["undecided"] == ["p3"]
    p1 = ds.example_index("val")["p1"]
    assert p1.label == "hatespeech"
    assert [[(s, e) for s, e, _ in g] for g in spans(p1)] == [[(1, 3), (4, 5)], [(1, 2)], []]
    assert p1.metadata["annotator_labels"] == ["hatespeech", "hatespeech", "offensive"]
    assert ds.example_index("val")["p2"].label == "normal" and ds.example_index("val")["p2"].evidence_groups == []
    assert ds.labels == ["hatespeech", "normal", "offensive"]
    kept = load_hatexplain(FIX / "hatexplain", undecided="keep")
    assert kept.example_index("val")["p3"].label is None and kept.metadata["undecided"] == ["p3"]
    assert load_dataset(FIX / "hatexplain").name == "hatexplain"
    assert_round_trip(ds, tmp_path)
    assert_round_trip(kept, tmp_path / "kept")


def test_hatexplain_dataset_json_with_divisions(tmp_path):
    import json

    posts = {**json.loads((FIX / "hatexplain/val.json").read_text()), **json.loads((FIX / "hatexplain/test.json").read_text())}
    (tmp_path / "dataset.json").write_text(json.dumps(posts))
    (tmp_path / "post_id_divisions.json").write_text(json.dumps({"train": ["p1", "p2"], "val": ["p4"], "test": ["p3", "nope"]}))
    with pytest.raises(DataErrors, match="lists 1 post ids not in dataset.json"):
        load_hatexplain(tmp_path)
    (tmp_path / "post_id_divisions.json").write_text(json.dumps({"train": ["p1", "p2"], "val": ["p4"], "test": ["p3"]}))
    ds = load_hatexplain(tmp_path, undecided="keep")
    assert {k: [e.id for e in v] for k, v in ds.splits.items()} == {"train": ["p1", "p2"], "val": ["p4"], "test": ["p3"]}


def test_hatexplain_errors(tmp_path):
    bad = (FIX / "hatexplain/val.json").read_text().replace('[0, 1, 0, 0, 0]', '[0, 1, 0]').replace('"normal", "annotator_id": 5', '"spam", "annotator_id": 5')
    (tmp_path / "val.json").write_text(bad)
    with pytest.raises(DataErrors) as info:
        load_hatexplain(tmp_path)
    msgs = messages(info.value.errors, tmp_path)
    assert "val.json:2: p1.rationales[1] has 3 values but the post has 5 tokens" in msgs
    assert "val.json:8: p2.annotators[1].label 'spam' is not one of hatespeech, normal, offensive" in msgs
    (tmp_path / "val.json").write_text('{"p9": {"post_id": "p9", "annotators": [{"label": "normal"}], "post_tokens": ["a", "b c"]}}')
    with pytest.raises(DataErrors, match=r"val.json:1: p9.post_tokens\[1\] 'b c' is empty or contains whitespace"):
        load_hatexplain(tmp_path)


# --- e-SNLI -----------------------------------------------------------------------------------------
def test_esnli_fixture(tmp_path):
    ds = load_esnli(FIX / "esnli")
    assert list(ds.splits) == ["val"] and len(ds["val"]) == 3
    ex = ds["val"][0]
    assert ex.id == "val_1" and ex.label == "neutral" and ex.query is None
    assert [" ".join(d.tokens) for d in ds.docs_of(ex)] == ["Two women are embracing .", "The sisters are hugging ."]
    assert ex.explanations == ["not all women are sisters .", "embracing is not necessarily hugging .", "the women may be friends ."]
    assert len(ds["val"][1].explanations) == 2  # blank third explanation skipped
    assert ds["val"][2].explanations[0] == "kids can not run and sleep at once ."  # last line has no newline
    assert_round_trip(ds, tmp_path)


def test_esnli_errors(tmp_path):
    for f in (FIX / "esnli").iterdir():
        shutil.copy(f, tmp_path)
    (tmp_path / "labels.dev").write_text("neutral\nmaybe\ncontradiction\n")
    with pytest.raises(DataErrors, match=r"labels.dev:2: label 'maybe' is not one of contradiction, entailment, neutral"):
        load_esnli(tmp_path)
    (tmp_path / "labels.dev").write_text("neutral\nentailment\n")
    with pytest.raises(DataErrors, match="s1.dev: has 3 lines but labels.dev has 2"):
        load_esnli(tmp_path)


# --- CoS-E ------------------------------------------------------------------------------------------
def test_cose_v10_fixture(tmp_path):
    ds = load_cose(FIX / "cose", version="v1.0")
    assert [e.id for e in ds["val"]] == ["q1", "q2"]  # q9 has a question but no explanation
    q1, q2 = ds["val"]
    assert q1.label == "B" and q1.query == "born again [sep] unable to work [sep] no longer exist"
    assert q1.metadata["answer_text"] == "unable to work" and q1.explanations == ["People who are dying cannot work."]
    assert spans(q1) == [[(2, 6, "people who are dying")]]  # "Question:" prefix dropped, found case-insensitively
    assert ds.doc("q1").tokens[-1] == "?"
    assert q2.evidence_groups == [] and q2.metadata["selected"] == "a nap" and not q2.metadata["selected_in_question"]
    assert load_cose(FIX / "cose" / "v1.0").splits.keys() == ds.splits.keys()
    assert_round_trip(ds, tmp_path)


def test_cose_v111_hf_format_and_skipped_train(tmp_path):
    ds = load_cose(FIX / "cose")
    assert list(ds.splits) == ["val"] and ds.metadata["skipped"] == {"train": "no CQA v1.11 train questions next to cose_train_v1.11.jsonl"}
    h1 = ds["val"][0]
    assert h1.label == "A" and h1.metadata["choices"]["E"] == "new york" and h1.metadata["question_concept"] == "revolving door"
    assert spans(h1) == [[(5, 7, "security measure")]]
    assert_round_trip(ds, tmp_path)


def test_cose_unknown_id(tmp_path):
    shutil.copytree(FIX / "cose", tmp_path / "cose")
    with (tmp_path / "cose/v1.0/cose_dev_v1.0.jsonl").open("a") as fh:
        fh.write('{"id": "zzz", "explanation": {"open-ended": "x", "selected": "y"}}\n')
    with pytest.raises(DataErrors, match="cose_dev_v1.0.jsonl:3: id 'zzz' has no CQA question in dev_rand_split.jsonl"):
        load_cose(tmp_path / "cose", version="v1.0")


# --- generic JSONL / CSV ----------------------------------------------------------------------------
def test_generic_jsonl_char_spans_groups_and_ids(tmp_path):
    ds = load_generic(FIX / "generic" / "train.jsonl")
    g1, g2, g3 = ds["train"]
    assert g1.query == "What is the sentiment?" and ds.doc("g1").sentences == [(0, 5), (5, 8)]
    assert spans(g1) == [[(3, 5, "great fun."), (6, 8, "loved it!")]]  # one annotator, chars -> covering tokens
    assert spans(g2) == [[(1, 3, "dull, boring")], [(2, 3, "boring")]]  # two annotators kept apart
    assert g2.explanations == ["dull and boring are negative"]
    assert g3.id == "train_4" and g3.evidence_groups == []
    simple = load_generic(FIX / "generic" / "train.jsonl", tokenizer="simple")
    assert spans(simple["train"][1]) == [[(1, 4, "dull , boring")], [(3, 4, "boring")]]
    assert_round_trip(ds, tmp_path)


def test_generic_folder_csv_split_column_and_token_spans(tmp_path):
    ds = load_dataset(FIX / "generic")
    assert {k: [e.id for e in v] for k, v in ds.splits.items()} == {"train": ["g1", "g2", "train_4"], "val": ["c1"], "test": ["c2"]}
    assert spans(ds["val"][0]) == [[(0, 2, "Truly wonderful")]]
    (tmp_path / "t.jsonl").write_text('{"tokens": ["a", "b", "c"], "label": 1, "rationales": [[1, 3]]}\n')
    tok = load_generic(tmp_path / "t.jsonl", span_unit="token")
    assert tok["train"][0].label == "1" and spans(tok["train"][0]) == [[(1, 3, "b c")]]
    with pytest.raises(DataErrors, match="t.jsonl:1: rationales character spans need a text"):
        load_generic(tmp_path / "t.jsonl")
    (tmp_path / "u.jsonl").write_text('{"tokens": ["a", "b"], "label": "x"}\n{"tokens": ["a b"], "label": "x"}\n')
    with pytest.raises(DataErrors) as info:
        load_generic(tmp_path / "u.jsonl")  # no rationales: char span_unit is fine; a token with a space is not
    assert messages(info.value.errors, tmp_path) == [
        "u.jsonl:2: tokens must be a list of non-empty strings without spaces"]


def test_generic_errors_name_file_line_field(tmp_path):
    f = tmp_path / "val.jsonl"
    f.write_text("\n".join([
        '{"id": "a", "text": "one two", "label": "POS", "rationales": [[0, 99]]}',
        '{"id": "a", "text": "one two", "label": "POS"}',
        '{"id": "b", "text": "   ", "label": "POS"}',
        '{"id": "c", "text": "x", "label": ["POS"]}',
        '{"id": "d", "text": "x y", "label": "MAYBE"}',
        '{"id": "e", "text": "x y", "label": "POS", "rationales": [[1, 2]]}',
        '{bad json',
        '{"id": "f", "text": "x y", "label": "POS", "rationales": "0-3"}',
    ]) + "\n")
    with pytest.raises(DataErrors) as info:
        load_generic(f, labels=("NEG", "POS"))
    assert messages(info.value.errors, tmp_path) == [
        "val.jsonl:1: rationales[0] [0, 99] is not a non-empty range inside the document (7 characters)",
        "val.jsonl:3: text has no tokens (an empty document)",
        "val.jsonl:4: label is missing or not a string/integer",
        "val.jsonl:5: label 'MAYBE' is an unknown label (expected one of NEG, POS)",
        "val.jsonl:6: rationales[0] [1, 2] covers only whitespace",
        "val.jsonl:7: is not valid JSON (Expecting property name enclosed in double quotes at column 2)",
        "val.jsonl:8: rationales must be a list of [start, end] pairs, or a list of such lists (one per annotator)",
    ]
    f.write_text('{"id": "a", "text": "one", "label": "POS"}\n{"id": "a", "text": "two", "label": "POS"}\n')
    with pytest.raises(DataErrors, match="val.jsonl:2: id 'a' duplicates val.jsonl:1"):
        load_generic(f)
    c = tmp_path / "x.csv"
    c.write_text('text,label,rationales\n"multi\nline",POS,"[[0, 3]"\n')
    with pytest.raises(DataErrors, match=r"x.csv:2: rationales is not valid JSON"):
        load_generic(c)

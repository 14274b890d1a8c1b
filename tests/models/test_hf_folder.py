"""A user's own fine-tuned Hugging Face classifier folder (``save_pretrained``, no ``rationalize.json``):
loading, labels matched by name, query handling, window size, clear errors, and ``rationalize explain``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from rationalize.data import make_synthetic, write_eraser
from rationalize.errors import DataError
from rationalize.models.base import ClassifierInput, load_model, match_labels
from rationalize.models.hf_classifier import HFClassifier, max_positions

QUERY = "What is the sentiment of this review ?"


def tiny_hf_folder(folder: Path, words: list[str], id2label: dict[int, str] | None = None, max_positions: int = 64,
                   head: bool = True, tokenizer: bool = True, seed: int = 0) -> Path:
    """Save an untrained 2-layer, 32-d BERT sequence classifier with a tiny WordPiece vocabulary (``words``
    plus the specials) the way a user does: ``model.save_pretrained(folder)``, ``tokenizer.save_pretrained``."""
    from transformers import BertConfig, BertForSequenceClassification, BertModel, BertTokenizerFast

    id2label = {0: "NEG", 1: "POS"} if id2label is None else id2label
    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted({w.lower() for w in words})]
    vocab_file = folder.parent / f"{folder.name}-vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=max_positions, hidden_dropout_prob=0.0,
                     attention_probs_dropout_prob=0.0, initializer_range=0.3, num_labels=len(id2label),
                     id2label=id2label, label2id={v: k for k, v in id2label.items()})
    (BertForSequenceClassification(cfg) if head else BertModel(cfg)).save_pretrained(folder)
    if tokenizer:
        BertTokenizerFast(vocab=str(vocab_file), do_lower_case=True).save_pretrained(folder)
    return folder


def raw_probs(folder: Path, tokens: list[str]) -> np.ndarray:
    """Softmax of the saved model's own logits on ``[CLS] tokens [SEP]``, in the model's output order."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModelForSequenceClassification.from_pretrained(str(folder)).eval()
    enc = tok(tokens, is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        return torch.softmax(model(**enc).logits[0].double(), -1).numpy()


@pytest.fixture(scope="module")
def data():
    return make_synthetic(seed=0, train=4, val=2, test=6, sentences=(2, 3), sentence_length=(5, 8))


@pytest.fixture(scope="module")
def words(data) -> list[str]:
    return sorted({t for d in data.documents.values() for t in d.tokens} | set(QUERY.split()))


@pytest.fixture(scope="module")
def folder(tmp_path_factory, words) -> Path:
    return tiny_hf_folder(tmp_path_factory.mktemp("hf") / "sentiment", words)


def short(data) -> list[str]:
    return data.documents[data["test"][0].docids[0]].tokens[:12]


def test_load_model_wraps_a_plain_folder_and_matches_the_raw_model(folder, data):
    clf = load_model(folder)
    assert isinstance(clf, HFClassifier)
    assert clf.labels == ["NEG", "POS"] and clf.window_size == 64 and clf.query_mode == "include"
    tokens = short(data)
    np.testing.assert_allclose(clf.predict_proba([ClassifierInput(tokens)])[0], raw_probs(folder, tokens), atol=1e-5)


def test_reversed_id2label_follows_names_not_positions(tmp_path, words, data):
    rev = tiny_hf_folder(tmp_path / "rev", words, id2label={0: "pos", 1: "neg"}, seed=3)
    clf = load_model(rev, data)  # dataset labels: NEG, POS
    assert data.labels == ["NEG", "POS"] and clf.labels == ["POS", "NEG"]
    tokens = short(data)
    raw = raw_probs(rev, tokens)  # raw[0] is the model's "pos", raw[1] its "neg"
    got = clf.predict_proba([ClassifierInput(tokens)])[0]
    assert abs(raw[0] - raw[1]) > 1e-3  # the check below could not tell the orders apart otherwise
    np.testing.assert_allclose(got[clf.labels.index("POS")], raw[0], atol=1e-5)
    np.testing.assert_allclose(got[clf.labels.index("NEG")], raw[1], atol=1e-5)
    res = clf.predict_results(data, "test")
    for r, ex in zip(res, data["test"]):
        tokens = [t for d in data.docs_of(ex) for t in d.tokens]
        assert len(tokens) <= 62  # one window: the raw model sees the same input
        p = raw_probs(rev, tokens)
        assert r.classification == ("POS", "NEG")[int(np.argmax(p))]
        assert r.classification_scores["POS"] == pytest.approx(p[0], abs=1e-5)


@pytest.mark.parametrize(("model", "dataset", "expected"), [
    (["negative", "positive"], ["NEG", "POS"], ["NEG", "POS"]),
    (["Positive", "NEGATIVE"], ["neg", "pos"], ["pos", "neg"]),
    (["entails", "neutral", "contradiction"], ["contradiction", "entailment", "neutral"],
     ["entailment", "neutral", "contradiction"]),
    (["yes", "no"], ["False", "True"], ["True", "False"]),
    (["not entailed", "entailed"], ["NOT_ENTAILED", "ENTAILED"], ["NOT_ENTAILED", "ENTAILED"]),
    (["LABEL_0", "LABEL_1"], ["0", "1"], ["0", "1"]),
    (["LABEL_0", "LABEL_1"], ["label_0", "label_1"], ["label_0", "label_1"]),
])
def test_match_labels_rule(model, dataset, expected):
    assert match_labels(model, dataset, source="config.json") == expected


@pytest.mark.parametrize(("model", "dataset", "says"), [
    (["bad", "good"], ["NEG", "POS"], "cannot be matched"),
    (["NEG", "NEU", "POS"], ["NEG", "POS"], "cannot be matched"),
    (["neg", "negative"], ["NEG", "POS"], "cannot be matched"),
    (["LABEL_0", "LABEL_1"], ["NEG", "POS"], 'generic names'),
    (["LABEL_1", "LABEL_0"], ["0", "1"], "cannot be matched"),  # LABEL_i only matches its own position
])
def test_match_labels_refuses_with_both_sets(model, dataset, says):
    with pytest.raises(DataError, match=says) as err:
        match_labels(model, dataset, source="config.json")
    text = str(err.value)
    assert "\n" not in text and f"({', '.join(model)})" in text and f"({', '.join(dataset)})" in text
    assert err.value.field == "id2label"


def test_mismatched_folder_raises_one_line_error(tmp_path, words, data):
    bad = tiny_hf_folder(tmp_path / "bad", words, id2label={0: "bad", 1: "good"})
    with pytest.raises(DataError) as err:
        load_model(bad, data)
    message = ("(bad, good) cannot be matched to the dataset's labels (NEG, POS) by name (case-insensitive, "
               "aliases such as negative = NEG); rename the outputs in id2label, or pass model_labels (--labels)")
    assert (err.value.file, err.value.field, err.value.message) == (str(bad / "config.json"), "id2label", message)
    assert str(err.value).endswith(f"config.json: id2label {message}") and "\n" not in str(err.value)
    generic = tiny_hf_folder(tmp_path / "generic", words, id2label={0: "LABEL_0", 1: "LABEL_1"})
    with pytest.raises(DataError, match=r'"id2label": \{"0": "NEG", "1": "POS"\}'):
        load_model(generic, data)
    named = load_model(generic, data, model_labels=["negative", "positive"])  # the user names the outputs
    assert named.labels == ["NEG", "POS"]
    with pytest.raises(DataError, match="names 2 outputs but 3 model_labels"):
        load_model(generic, data, model_labels=["NEG", "NEU", "POS"])


def test_constant_query_is_dropped_and_varying_query_kept(folder, words):
    ds = make_synthetic(seed=1, train=2, val=1, test=3, query=QUERY, sentences=(2, 3), sentence_length=(5, 8))
    clf = load_model(folder, ds)
    assert clf.query_mode == "drop"
    doc = words[:62]  # 62 pieces fill one 64-piece window exactly: [CLS] doc [SEP]
    assert len(clf.pieces(doc)[0]) == 62
    with_query = ClassifierInput(doc, QUERY.split())
    (w,) = clf.windows([with_query])
    assert len(w.ids) == 64 and (w.token_index[1:-1] == np.arange(62)).all()
    np.testing.assert_allclose(clf.predict_proba([with_query]), clf.predict_proba([ClassifierInput(doc)]))
    kept = load_model(folder, ds, query="include")
    assert kept.query_mode == "include" and len(kept.windows([with_query])) == 2  # the query pushes it to 2
    for i, ex in enumerate(ds["test"]):
        ex.query = f"is it about thing {i} ?"
    assert load_model(folder, ds).query_mode == "include"


def test_window_size_defaults_to_the_models_positions(tmp_path, words):
    from transformers import AutoTokenizer, BertConfig, RobertaConfig

    f = tiny_hf_folder(tmp_path / "p48", words, max_positions=48)
    tok_cfg = f / "tokenizer_config.json"
    cfg = json.loads(tok_cfg.read_text())
    cfg["model_max_length"] = 16  # a fine-tuning script's truncation length, not a model limit
    tok_cfg.write_text(json.dumps(cfg))
    assert AutoTokenizer.from_pretrained(str(f)).model_max_length == 16
    clf = load_model(f)
    assert clf.window_size == 48 and all(len(w.ids) <= 48 for w in clf.windows([ClassifierInput(words)]))
    assert len(clf.windows([ClassifierInput(words[:46])])) == 1
    assert max_positions(RobertaConfig(max_position_embeddings=514, pad_token_id=1), None) == 512
    assert max_positions(BertConfig(max_position_embeddings=512), None) == 512
    with pytest.raises(DataError, match="exceeds the model limit 48"):
        HFClassifier.from_hf_folder(f, window_size=100)


def test_folder_without_head_or_tokenizer_is_refused(tmp_path, words):
    with pytest.raises(DataError, match="no trained classification head .*classifier.bias"):
        load_model(tiny_hf_folder(tmp_path / "bare", words, head=False))
    with pytest.raises(DataError, match="has no usable tokenizer"):
        load_model(tiny_hf_folder(tmp_path / "notok", words, tokenizer=False))
    with pytest.raises(DataError, match="nor a Hugging Face model folder"):
        load_model(tmp_path / "bare-nothing-here")


def test_save_reload_keeps_names_and_query(tmp_path, words):
    ds = make_synthetic(seed=1, train=2, val=1, test=2, query=QUERY)
    src = tiny_hf_folder(tmp_path / "rev", words, id2label={0: "positive", 1: "negative"})
    clf = load_model(src, ds)
    clf.save(tmp_path / "saved")
    again = load_model(tmp_path / "saved")
    assert again.labels == ["POS", "NEG"] and again.query_mode == "drop" and again.window_size == clf.window_size
    inp = [ClassifierInput(words[:30], QUERY.split())]
    np.testing.assert_allclose(again.predict_proba(inp), clf.predict_proba(inp), atol=1e-6)
    with pytest.raises(DataError, match="apply only to a plain Hugging Face folder"):
        load_model(tmp_path / "saved", model_labels=["NEG", "POS"])


def test_cli_explain_runs_on_a_plain_folder(tmp_path, words, data, monkeypatch, capsys):
    from typer.testing import CliRunner

    from rationalize.cli import app, main

    eraser = write_eraser(data, tmp_path / "eraser")
    rev = tiny_hf_folder(tmp_path / "rev", words, id2label={0: "Positive", 1: "Negative"})
    out = tmp_path / "sal.jsonl"
    args = ["explain", "--model", str(rev), "--data", str(eraser), "--method", "saliency", "--limit", "3",
            "--out", str(out), "--no-progress", "--threads", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3 and {r["classification"] for r in rows} <= {"NEG", "POS"}
    for r in rows:  # the predicted label is the raw model's by name (id2label is reversed: 0 = Positive)
        tokens = [t for d in data.docs_of(data.example_index("test")[r["annotation_id"]]) for t in d.tokens]
        p = raw_probs(rev, tokens)
        assert r["classification"] == ("POS", "NEG")[int(np.argmax(p))]
        assert r["classification_scores"] == pytest.approx({"POS": p[0], "NEG": p[1]}, abs=1e-5)
    bad = tiny_hf_folder(tmp_path / "bad", words, id2label={0: "bad", 1: "good"})
    monkeypatch.setattr(sys, "argv", ["rationalize", *args[:2], str(bad), *args[3:]])
    with pytest.raises(SystemExit) as stop:
        main()
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("error:")]  # not progress bars
    assert stop.value.code == 2 and len(lines) == 1
    assert lines[0].startswith("error: ") and "config.json: id2label (bad, good) cannot be matched" in lines[0]
    assert lines[0].endswith("labels (NEG, POS) by name (case-insensitive, aliases such as negative = NEG); "
                             "rename the outputs in id2label, or pass model_labels (--labels)")  # all on that one line


def test_cli_labels_and_query_options_reach_the_loader(tmp_path, words, data, monkeypatch, capsys):
    """``--labels`` names a generic-label folder's outputs in ``predict`` and ``faithfulness``; a bad ``--query``
    is one line before any work."""
    from tests.cli_run import run_main

    eraser = write_eraser(data, tmp_path / "eraser")
    generic = tiny_hf_folder(tmp_path / "generic", words, id2label={0: "LABEL_0", 1: "LABEL_1"})
    base = ["--model", str(generic), "--data", str(eraser), "--split", "test", "--threads", "1"]
    refused = run_main(["predict", *base, "--out", str(tmp_path / "p.jsonl")], capsys, monkeypatch)
    assert refused.code == 2 and "generic names" in refused.error_line
    out = tmp_path / "p.jsonl"
    ran = run_main(["predict", *base, "--labels", "POS,NEG", "--out", str(out)], capsys, monkeypatch)
    assert ran.code == 0, ran.err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    for r in rows[:3]:  # output 0 was named POS
        tokens = [t for d in data.docs_of(data.example_index("test")[r["annotation_id"]]) for t in d.tokens]
        p = raw_probs(generic, tokens)
        assert r["classification_scores"] == pytest.approx({"POS": p[0], "NEG": p[1]}, abs=1e-5)
    faith = run_main(["faithfulness", *base, "--labels", "POS,NEG", "--results", str(out), "--out",
                      str(tmp_path / "f.jsonl")], capsys, monkeypatch)
    assert faith.code == 0, faith.err
    bad = run_main(["predict", *base, "--query", "sometimes", "--out", str(out)], capsys, monkeypatch)
    assert bad.error_line == "error: --query 'sometimes' is not one of auto, include, drop"

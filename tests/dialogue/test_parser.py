"""Slots, intents and follow-ups of the question parser; held-out accuracy of the TF-IDF fallback."""

from __future__ import annotations

import pytest

from rationalize.dialogue.grammar import parse_program
from rationalize.dialogue.parser import Parser, extract_slots, load_questions

METHODS = ["attention", "attention-rollout", "integrated-gradients", "kernel-shap", "lime", "occlusion", "saliency"]


@pytest.mark.parametrize("question, ids", [
    ("why id 54?", ["54"]), ("show #54", ["54"]), ("example no. 54 please", ["54"]), ("what about negR_054.txt", ["negR_054.txt"]),
    ("instance number 7", ["7"]), ("show me 3 examples", []), ("top 5 words", []), ("id=12", ["12"]),
])
def test_id_forms(question, ids):
    assert extract_slots(question, ["NEG", "POS"], METHODS).ids == ids


def test_slots_labels_methods_numbers_length_quotes():
    s = extract_slots("top 3 words by integrated gradiants for negatve reviews longer than 500 words", ["NEG", "POS"], METHODS)
    assert s.methods == ["integrated-gradients"] and s.numbers == [3] and s.length == (">", 500)
    assert s.labels == [("NEG", None)]
    s = extract_slots('examples you predicted as positive containing "special effects"', ["NEG", "POS"], METHODS)
    assert s.labels == [("POS", "pred")] and s.contains == "special effects"
    s = extract_slots("compare SHAP and attention rollout", ["NEG", "POS"], METHODS)
    assert s.methods == ["kernel-shap", "attention-rollout"]
    assert extract_slots("the third example", ["NEG", "POS"], METHODS).positions == [3]
    assert extract_slots("the first 3 examples", ["NEG", "POS"], METHODS).positions == []
    s = extract_slots("what if I replace bad with good in id 4", ["NEG", "POS"], METHODS)
    assert s.replace == ("bad", "good") and s.ids == ["4"]


def test_dataset_ids_are_found_as_written():
    s = extract_slots("why val_12?", ["entailment", "neutral", "contradiction"], METHODS, ids=["val_12", "val_13"])
    assert s.ids == ["val_12"]


def test_question_set_is_large_varied_and_split_by_phrasing():
    rows = load_questions()
    assert len(rows) >= 400 and {r["split"] for r in rows} == {"train", "dev"}
    train = {r["template"] for r in rows if r["split"] == "train"}
    dev = {r["template"] for r in rows if r["split"] == "dev"}
    assert train.isdisjoint(dev) and len(dev) >= 60
    assert {r["style"] for r in rows} == {"terse", "polite", "casual", "misspelt", "verbose"}
    for r in rows:  # every gold parse is a valid program
        if r["parse"]:
            parse_program(r["parse"])


def test_dev_accuracy_tfidf():
    """The TF-IDF fallback trained on ``train`` alone, on the ``dev`` phrasings (0.97 when this was written;
    benchmarks/dialogue.py scores the untouched fresh set)."""
    base = Parser.train(["NEG", "POS"], encoder=None, split="train")
    rows = load_questions(split="dev")
    hits = 0
    for r in rows:
        p = Parser(base.classifier, r["labels"], methods=base.methods)
        prev = parse_program(r["context"]) if r.get("context") else None
        gold = parse_program(r["parse"]).to_text() if r["parse"] else ""
        hits += p.parse(r["question"], prev).text == gold
    assert hits / len(rows) >= 0.9


def test_followups_use_the_previous_program(tfidf_parser):
    p = Parser(tfidf_parser.classifier, ["NEG", "POS"], methods=tfidf_parser.methods)
    prev = parse_program("filter id 4 and attribute")
    assert p.parse("why?", prev).text == "filter id 4 and attribute"
    assert p.parse("and for id 12?", parse_program("filter id 4 and predict")).text == "filter id 12 and predict"
    assert p.parse("what about lime?", prev).text == "filter id 4 and attribute method lime"
    assert p.parse("show me more", parse_program("mistakes sample 3")).text == "mistakes sample 6"
    assert p.parse("what do you predict for it?", parse_program("filter id 9 and show")).text == "filter id 9 and predict"
    assert p.parse("what is your accuracy?", prev).text == "score metric accuracy"  # no example inherited


def test_out_of_scope_and_programs(tfidf_parser):
    p = Parser(tfidf_parser.classifier, ["NEG", "POS"], methods=tfidf_parser.methods)
    r = p.parse("what's the weather in Paris?")
    assert r.program is None and r.suggestions
    assert p.parse("filter gold NEG and mistakes sample 2").text == "filter gold NEG and mistakes sample 2"


@pytest.mark.slow
def test_dev_accuracy_minilm():
    """MiniLM sentence embeddings + TF-IDF + cues + slot features (the parser the chat uses), trained on
    ``train`` alone, on the ``dev`` phrasings (0.977 when this was written)."""
    parser = Parser.train(["NEG", "POS"], encoder="minilm", split="train")
    rows = load_questions(split="dev")
    exact = 0
    for r in rows:
        p = Parser(parser.classifier, r["labels"], methods=parser.methods)
        prev = parse_program(r["context"]) if r.get("context") else None
        gold = parse_program(r["parse"]).to_text() if r["parse"] else ""
        exact += p.parse(r["question"], prev).text == gold
    assert exact / len(rows) >= 0.93


class ProgramWriter:
    """A stand-in generator that writes a fixed line after the few-shot prompt (and records the prompt)."""

    name = "program-writer"

    def __init__(self, line: str) -> None:
        self.line = line
        self.prompts: list[str] = []

    def generate(self, prompts, config=None, progress=False, prefixes=None):
        from rationalize.rationalizers.freetext.generators import Generation

        self.prompts += list(prompts)
        return [[Generation(f" {self.line}\nQuestion: next", 5)] for _ in prompts]


def test_llm_parser_for_questions_outside_the_classifier(tfidf_parser):
    from rationalize.dialogue.parser import LLMParser

    writer = ProgramWriter("filter gold NEG and mistakes sample 2")
    p = Parser(tfidf_parser.classifier, ["NEG", "POS"], methods=tfidf_parser.methods, llm=LLMParser(writer))
    r = p.parse("sad ones fumbled twice")
    assert r.text == "filter gold NEG and mistakes sample 2" and "LLM" in r.note
    prompt = writer.prompts[0]
    assert prompt.rstrip().endswith("Program:") and prompt.count("Question:") == 9  # 8 shots + the question
    bad = Parser(tfidf_parser.classifier, ["NEG", "POS"], methods=tfidf_parser.methods,
                 llm=LLMParser(ProgramWriter("rm -rf / and show")))
    assert bad.parse("sad ones fumbled twice").program is None  # invalid output never runs


@pytest.mark.parametrize("question, field, value", [
    ("how do you classify the fourth one?", "positions", [4]),
    ("Are there other reviews that resemble the first one?", "positions", [1]),
    ("the first five examples", "positions", []),
    ("What happens to id 115 if the word plot is taken out?", "remove", "plot"),
    ("re-predict id 4 with the word great replaced by superb", "replace", ("great", "superb")),
    ("re-predict id 4 with the word great replaced by superb", "contains", None),
    ("examples with the word great", "contains", "great"),
    ("token f1 of id 3", "metric", None),
    ("f1 of the model", "metric", "f1"),
])
def test_slot_rules(question, field, value):
    assert getattr(extract_slots(question, ["NEG", "POS"], METHODS), field) == value


def test_slot_features_and_what_an_operation_can_take():
    from rationalize.dialogue.parser import SLOT_FEATURES, dropped_slots, fits_slots, names_data, slot_vector

    s = extract_slots("explain id 5 with lime", ["NEG", "POS"], METHODS)
    v = slot_vector(s)
    assert v.shape == (len(SLOT_FEATURES),) and {k for k, x in zip(SLOT_FEATURES, v) if x} == {"example", "method"}
    assert not fits_slots("rationale", s) and fits_slots("attribute", s) and not fits_slots("data", s)
    assert dropped_slots("rationale", s) == 1 and dropped_slots("data", s) == 2 and dropped_slots("attribute", s) == 0
    assert names_data(s) and not names_data(extract_slots("what's the weather in Paris?", ["NEG", "POS"], METHODS))


def test_the_parse_respects_the_grammar_and_the_context(tfidf_parser):
    p = Parser(tfidf_parser.classifier, ["NEG", "POS"], methods=tfidf_parser.methods)
    assert p.parse("explain id 5 with lime").text == "filter id 5 and attribute method lime"
    r = p.parse("and for id 12?")  # reads like a follow-up, but there is nothing to follow: never a dead end
    assert r.program is not None and r.program.filters_of("id")[0].value == "12"
    assert p.parse("examples longer than 800 words").text == "filter length > 800 and show"
    loose = Parser(tfidf_parser.classifier, ["NEG", "POS"], methods=tfidf_parser.methods, hard_slots=False)
    assert loose.parse("and for id 12?").program is None  # without the rule: "no previous question to follow"


def test_misspelt_words_are_read_as_the_training_words(tfidf_parser):
    clf = tfidf_parser.classifier
    assert {"many", "errors"} <= set(clf.vocab_)
    assert clf.normalize("how manny errros do you make") == "how many errors do you make"
    assert clf.normalize("item 5 quote") == "item 5 quote"  # known words and short ones stay


def test_training_is_deterministic():
    import numpy as np

    a = Parser.train(["NEG", "POS"], encoder=None, questions=load_questions(split="train"))
    b = Parser.train(["NEG", "POS"], encoder=None, questions=load_questions(split="train"))
    for q in ["why id 4?", "how sure r u about #3", "compair lime and shap"]:
        s = a.slots(q)
        assert np.array_equal(a.classifier.proba(s.masked)[0], b.classifier.proba(s.masked)[0])

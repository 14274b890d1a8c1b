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
    assert len(rows) >= 400
    train = {r["template"] for r in rows if r["split"] == "train"}
    test = {r["template"] for r in rows if r["split"] == "test"}
    assert train.isdisjoint(test) and len(test) >= 60
    assert {r["style"] for r in rows} == {"terse", "polite", "casual", "misspelt", "verbose"}
    for r in rows:  # every gold parse is a valid program
        if r["parse"]:
            parse_program(r["parse"])


def test_heldout_accuracy_tfidf(tfidf_parser):
    """The TF-IDF fallback on the held-out phrasings (MiniLM does better: benchmarks/dialogue.py)."""
    rows = load_questions(split="test")
    hits = 0
    for r in rows:
        p = Parser(tfidf_parser.classifier, r["labels"], methods=tfidf_parser.methods)
        prev = parse_program(r["context"]) if r.get("context") else None
        gold = parse_program(r["parse"]).to_text() if r["parse"] else ""
        hits += p.parse(r["question"], prev).text == gold
    assert hits / len(rows) >= 0.7


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
def test_heldout_accuracy_minilm():
    """MiniLM sentence embeddings + TF-IDF + cues: the parser the chat uses."""
    parser = Parser.train(["NEG", "POS"], encoder="minilm")
    rows = load_questions(split="test")
    exact = 0
    for r in rows:
        p = Parser(parser.classifier, r["labels"], methods=parser.methods)
        prev = parse_program(r["context"]) if r.get("context") else None
        gold = parse_program(r["parse"]).to_text() if r["parse"] else ""
        exact += p.parse(r["question"], prev).text == gold
    assert exact / len(rows) >= 0.85


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

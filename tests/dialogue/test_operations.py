"""Every operation against the library's own computation, on a tiny trained CNN (synthetic data)."""

from __future__ import annotations

import numpy as np
import pytest

from rationalize.dialogue.operations import CHAT_SPLIT
from rationalize.models.windows import example_input


def probs_of(ds, clf, examples):
    return clf.predict_proba([example_input(ds, ex) for ex in examples])


def test_predict_likelihood_mistakes_labels(conversation, dialogue_data):
    ds, clf = dialogue_data
    test = ds["test"]
    p = probs_of(ds, clf, test)
    pred = [clf.labels[k] for k in p.argmax(1)]
    r = conversation.ask(f"what do you predict for id {test[2].id}?")
    assert r.parse == f"filter id {test[2].id} and predict"
    assert r.answer.data["prediction"] == pred[2]
    r = conversation.ask("how confident are you about it?")
    assert r.parse == f"filter id {test[2].id} and likelihood"
    np.testing.assert_allclose(list(r.answer.data["probabilities"].values()), p[2], rtol=1e-6)
    r = conversation.ask("how many mistakes?")
    wrong = [ex.id for ex, y in zip(test, pred) if y != ex.label]
    assert r.answer.data["wrong"] == len(wrong) and r.answer.data["ids"] == wrong
    r = conversation.run("labels")
    assert r.answer.data["predicted"] == {lab: pred.count(lab) for lab in set(pred)}


def test_score_is_evaluate(conversation, dialogue_data):
    from rationalize import evaluate

    ds, clf = dialogue_data
    results = clf.predict_results(ds, "test")
    expected = evaluate(ds, "test", results)["classification_scores"]
    r = conversation.ask("what is your accuracy?")
    assert r.parse == "score metric accuracy"
    assert r.answer.data["accuracy"] == pytest.approx(expected["accuracy"])
    r = conversation.run("score perclass")
    for lab in clf.labels:
        assert r.answer.data["per_class"][lab]["f1-score"] == pytest.approx(expected["prf"][lab]["f1-score"])
    assert conversation.run("score split val").answer.data["accuracy"] == pytest.approx(
        evaluate(ds, "val", clf.predict_results(ds, "val"))["classification_scores"]["accuracy"])


def test_attribute_agreement_are_the_registry_and_metrics(conversation, dialogue_data):
    import rationalize
    from rationalize.metrics import per_example_metrics
    from rationalize.rationalizers.posthoc.explain import default_k

    ds, clf = dialogue_data
    ex = ds["test"][1]
    r = conversation.ask(f"top 3 words for id {ex.id} by saliency")
    assert r.parse == f"filter id {ex.id} and attribute topk 3 method saliency"
    sub = conversation.workspace.subset([ex])
    res = rationalize.load_rationalizer("saliency", "posthoc", model=clf, k=default_k(ds, "test"), seed=0).rationalize(sub, CHAT_SPLIT)[0]
    soft = np.asarray(res.rationales[0].soft)
    assert r.answer.data["positions"] == np.argsort(-soft, kind="stable")[:3].tolist()
    r = conversation.ask("does it agree with the human rationale?")
    assert r.parse == f"filter id {ex.id} and agreement"
    res_ig = conversation.workspace.results("integrated-gradients", [1])[0]
    m = per_example_metrics(sub, CHAT_SPLIT, [res_ig])[ex.id]
    assert r.answer.data["token_f1"] == pytest.approx(m["token_f1"]) and r.answer.data["iou_f1"] == pytest.approx(m["iou_f1"])
    calls = conversation.workspace.model_calls
    conversation.run(f"filter id {ex.id} and attribute method saliency")
    assert conversation.workspace.model_calls == calls  # cached


def test_compare_is_engine_plus_evaluate(conversation, dialogue_data):
    import rationalize
    from rationalize.engine.faithfulness import FaithfulnessEngine

    _, clf = dialogue_data
    r = conversation.run("compare methods attention,occlusion")
    ws = conversation.workspace
    idx = list(range(ws.max_examples))
    sub = ws.subset([ws.examples[i] for i in idx])
    res = ws.results("occlusion", idx)
    scores = rationalize.evaluate(sub, CHAT_SPLIT, FaithfulnessEngine(clf, progress=False).run(sub, CHAT_SPLIT, res))
    got = r.answer.data["methods"]["occlusion"]
    assert got["comprehensiveness"] == pytest.approx(scores["classification_scores"]["comprehensiveness"])
    assert got["token_f1"] == pytest.approx(scores["token_prf"]["instance_macro"]["f1"])


def test_counterfactual_whatif_similar_keywords(conversation, dialogue_data):
    from rationalize.models.base import ClassifierInput

    ds, clf = dialogue_data
    ex = ds["test"][3]
    r = conversation.ask(f"how would id {ex.id} have to change to flip the prediction?")
    assert r.parse == f"filter id {ex.id} and counterfactual"
    toks = example_input(ds, ex).tokens
    kept = [t for j, t in enumerate(toks) if j not in set(r.answer.data["removed"])]
    p = clf.predict_proba([ClassifierInput(kept, ex.query_tokens)])[0]
    assert clf.labels[int(p.argmax())] == r.answer.data["new_label"]
    assert r.answer.data["flipped"] == (r.answer.data["new_label"] != conversation.workspace.predicted()[3])
    word = toks[5]
    r = conversation.run(f"filter id {ex.id} and whatif remove {word}")
    p = clf.predict_proba([ClassifierInput([t for t in toks if t.casefold() != word.casefold()], None)])[0]
    np.testing.assert_allclose(list(r.answer.data["probabilities"].values()), p, rtol=1e-6)
    r = conversation.run(f"filter id {ex.id} and similar topk 2")
    assert len(r.answer.data["ids"]) == 2 and ex.id not in r.answer.data["ids"]
    assert r.answer.data["similarities"][0] >= r.answer.data["similarities"][1]
    r = conversation.run("keywords topk 3")
    counts = {}
    for e in ds["test"]:
        for t in example_input(ds, e).tokens:
            counts[t.lower()] = counts.get(t.lower(), 0) + 1
    assert r.answer.data["words"][0][1] == max(c for w, c in counts.items() if w.isalpha() and w not in ("a", "the"))


def test_data_important_rationale_help_self(conversation, dialogue_data):
    ds, _ = dialogue_data
    assert conversation.run("data").answer.data["splits"] == {s: len(v) for s, v in ds.splits.items()}
    r = conversation.run("important topk 4 label POS")
    assert len(r.answer.data["words"]) <= 4 and r.answer.data["method"] == "integrated-gradients"
    r = conversation.run(f"filter id {ds['test'][0].id} and rationale")
    assert r.answer.data["spans"] and not r.answer.error
    assert conversation.run("help").answer.table is not None
    assert conversation.run("self").answer.data["labels"] == ["NEG", "POS"]


def test_bad_input_is_an_answer_with_suggestions(conversation, dialogue_data):
    ds, _ = dialogue_data
    for text in ["show id nope_99", "what is the weather in Paris?", f"explain id {ds['test'][0].id} in your own words",
                 "filter position 999 and show", "filter gold NEG and filter gold POS and predict", "why?",
                 "attribute method nonsense", "filter id 1 and attribute method magic", "score split train2"]:
        r = conversation.ask(text)
        assert r.answer.error, text
        assert r.answer.text and "Traceback" not in r.answer.to_text()
        assert r.answer.suggestions, text
    r = conversation.ask("show id nope_99")
    assert "no example with id 'nope_99'" in r.answer.text
    r = conversation.ask(f"explain id {ds['test'][0].id} in your own words")
    assert "no free-text generator" in r.answer.text


def test_freetext_rationale_from_a_generator(dialogue_data, tfidf_parser):
    from rationalize.dialogue import Conversation
    from tests.rationalizers.test_contract import ScriptedGenerator

    ds, clf = dialogue_data
    conv = Conversation(ds, clf, "test", encoder=None, parser=tfidf_parser, generator=ScriptedGenerator("explain-then-predict"))
    r = conv.ask(f"explain id {ds['test'][0].id} in your own words")
    assert r.parse == f"filter id {ds['test'][0].id} and rationale source generator"
    assert r.answer.data["explanation"].startswith("the review has")

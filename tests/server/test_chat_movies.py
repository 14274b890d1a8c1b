"""The chat panel on ERASER movies in headless Chromium: a CNN trained in the test, five questions, each answer
checked against the library's own computation (evaluate, the rationalizer registry, per_example_metrics)."""

from __future__ import annotations

import time

import pytest

from tests.conftest import shared_path
from tests.server.browser import ARTIFACTS, browser, serve

pytestmark = [pytest.mark.realdata, pytest.mark.browser, pytest.mark.slow]


def test_five_questions_on_movies(tmp_path):
    import numpy as np
    import torch

    import rationalize
    from rationalize.data import load_dataset
    from rationalize.data.schema import Dataset
    from rationalize.dialogue import Conversation
    from rationalize.dialogue.operations import CHAT_SPLIT
    from rationalize.metrics import per_example_metrics
    from rationalize.models.training import train_classifier
    from rationalize.rationalizers.posthoc.explain import default_k
    from rationalize.server import ViewerState, create_app

    t0 = time.perf_counter()
    torch.manual_seed(0)
    full = load_dataset(shared_path("movies"))
    ds = Dataset(full.name, {"train": full["train"][::8], "test": full["test"][:12] + full["test"][-12:]}, full.documents,
                 full.labels)
    clf, _ = train_classifier(ds, "cnn", None, epochs=2, progress=False, vectors="glove50", hidden=32, val_split="test")
    state = ViewerState(ds, "test", [clf.predict_results(ds, "test")], names=["cnn"])
    conv = Conversation(ds, clf, "test", encoder=None, max_examples=4)
    ex = ds["test"][5]
    scores = rationalize.evaluate(ds, "test", clf.predict_results(ds, "test"))["classification_scores"]
    att = rationalize.load_rationalizer("attention", "posthoc", model=clf, k=default_k(ds, "test"), seed=0)
    res = att.rationalize(conv.workspace.subset([ex]), CHAT_SPLIT)[0]
    doc_tokens = ds.doc(ex.docids[0]).tokens
    top3 = [doc_tokens[j] for j in np.argsort(-np.asarray(res.rationales[0].soft), kind="stable")[:3]]
    ig = conv.workspace.results("integrated-gradients", [5])[0]
    agree = per_example_metrics(conv.workspace.subset([ex]), CHAT_SPLIT, [ig])[ex.id]
    pred = res.classification

    with serve(create_app(state, conv)) as base, browser() as b:
        page = b.new_page(viewport={"width": 1300, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/chat")
        page.wait_for_selector("body[data-ready='1']")

        def ask(question: str) -> tuple[str, str, object]:
            n = page.locator(".turn[data-state='done']").count()
            page.fill("#chat-input", question)
            page.click("#chat-form button[type=submit]")
            page.locator(".turn[data-state='done']").nth(n).wait_for(timeout=60_000)
            turn = page.locator(".turn").nth(n)
            return turn.locator("input.parse-text").input_value(), turn.locator(".answer-text").inner_text(), turn

        parse, text, _ = ask(f"what do you predict for review {ex.id}?")
        assert parse == f"filter id {ex.id} and predict" and f"predicts {pred} " in text
        parse, text, _ = ask("what's the accuracy?")
        assert parse == "score metric accuracy" and f"{scores['accuracy']:.3f}" in text
        parse, text, turn = ask(f"top 3 words for {ex.id} by attention")
        assert parse == f"filter id {ex.id} and attribute topk 3 method attention"
        assert turn.locator(".chat-table tbody tr td:first-child").all_inner_texts() == top3
        assert turn.locator(".chat-tokens .tok.hl").count() == 3
        parse, text, _ = ask("does it agree with the human rationale?")
        assert parse == f"filter id {ex.id} and agreement" and f"token F1 {agree['token_f1']:.3f}" in text
        parse, text, _ = ask("how many mistakes?")
        wrong = sum(r.classification != e.label for r, e in zip(clf.predict_results(ds, "test"), ds["test"]))
        assert f"gets {wrong} of {len(ds['test'])}" in text
        page.screenshot(path=str(ARTIFACTS / "viewer-chat-movies.png"), full_page=True)
        assert errors == []
    assert time.perf_counter() - t0 < 60

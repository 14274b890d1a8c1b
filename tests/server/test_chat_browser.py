"""The chat panel in headless Chromium: five questions, each answer checked against the library's computation."""

from __future__ import annotations

import numpy as np
import pytest

from tests.server.browser import ARTIFACTS, browser, serve, watch
from tests.server.fixtures import SCRIPT_TOKEN

pytestmark = pytest.mark.browser


def test_five_questions_in_chromium(viewer_state):
    import torch

    from rationalize import evaluate
    from rationalize.dialogue import Conversation
    from rationalize.models.training import train_classifier
    from rationalize.models.windows import example_input
    from rationalize.server import create_app

    torch.manual_seed(0)
    ds = viewer_state.dataset
    clf, _ = train_classifier(ds, "cnn", None, epochs=1, progress=False, vectors=None, hidden=16, train_split="val")
    conv = Conversation(ds, clf, "val", encoder=None, max_examples=3)
    examples = ds["val"]
    probs = clf.predict_proba([example_input(ds, ex) for ex in examples])
    pred = [clf.labels[k] for k in probs.argmax(1)]
    first = examples[0]
    accuracy = evaluate(ds, "val", clf.predict_results(ds, "val"))["classification_scores"]["accuracy"]
    with serve(create_app(viewer_state, conv)) as base, browser() as b:
        page = b.new_page(viewport={"width": 1300, "height": 1000})
        dialogs, errors = watch(page)
        page.goto(base + "/chat")
        page.wait_for_selector("body[data-ready='1']")

        def ask(question: str) -> object:
            n = page.locator(".turn[data-state='done']").count()
            page.fill("#chat-input", question)
            page.click("#chat-form button[type=submit]")
            page.locator(".turn[data-state='done']").nth(n).wait_for()
            return page.locator(".turn").nth(n)

        turn = ask(f"what do you predict for id {first.id}?")
        assert turn.locator("input.parse-text").input_value() == f"filter id {first.id} and predict"
        assert f"predicts {pred[0]} " in turn.locator(".answer-text").inner_text()

        turn = ask("what is your accuracy?")
        assert f"{accuracy:.3f}" in turn.locator(".answer-text").inner_text()

        turn = ask("how many mistakes?")
        wrong = sum(p != ex.label for p, ex in zip(pred, examples))
        assert f"gets {wrong} of {len(examples)}" in turn.locator(".answer-text").inner_text()

        turn = ask("and the label distribution?")
        cells = turn.locator("table.chat-table tbody tr").all_inner_texts()
        assert [c.split("\t")[-1].strip() for c in cells] == [str(pred.count(lab)) for lab in clf.labels]
        turn.locator("div.chat-plot[data-drawn='1']").wait_for()  # the bar chart, drawn by plotly.js

        turn = ask(f"show id {first.id} <script>alert(5)</script>")
        assert SCRIPT_TOKEN in turn.locator(".answer-text").inner_text()
        assert "<script>alert(5)</script>" in turn.locator(".question").inner_text()

        # the parse is editable: run an edited program
        box = turn.locator("input.parse-text")
        box.fill("filter gold NEG and labels source gold")
        n = page.locator(".turn[data-state='done']").count()
        turn.locator(".parse button").click()
        page.locator(".turn[data-state='done']").nth(n).wait_for()
        edited = page.locator(".turn").nth(n)
        neg = sum(ex.label == "NEG" for ex in examples)
        assert edited.locator("table.chat-table tbody tr").first.inner_text().split("\t")[-1].strip() == str(neg)

        assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
        page.screenshot(path=str(ARTIFACTS / "viewer-chat.png"), full_page=True)
        assert dialogs == [] and errors == [], (dialogs, errors)
        assert np.isfinite(probs).all()

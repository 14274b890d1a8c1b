"""End to end in headless Chromium: list -> example -> summary, highlighted tokens = predicted rationale."""

from __future__ import annotations

import pytest

from rationalize.server.state import predicted_mask
from tests.server.browser import ARTIFACTS, browser, serve, watch
from tests.server.fixtures import SCRIPT_TOKEN

pytestmark = pytest.mark.browser


def test_list_example_summary_in_chromium(viewer_state):
    from rationalize.server import create_app

    state = viewer_state
    ARTIFACTS.mkdir(exist_ok=True)
    with serve(create_app(state)) as base, browser() as b:
        page = b.new_page(viewport={"width": 1400, "height": 1000})
        dialogs, errors = watch(page)

        # List: every example of the split, sorted by id; filter to incorrect predictions.
        page.goto(base + "/?per_page=100")
        assert page.locator("#examples tbody tr").count() == len(state.examples)
        page.select_option("select[name=correct]", "no")
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        wrong = [r for r in state.runs[0].rows if r["correct"] is False]
        assert page.locator("#total").inner_text() == str(len(wrong))
        page.goto(base + "/")

        # Example: click through from the list to the first example (its document holds the script token).
        first = state.examples[0]
        page.click(f"#examples a[href='/example/{first.id}']")
        page.wait_for_selector("body[data-ready='1']")
        assert page.url.endswith(f"/example/{first.id}")
        for docid in first.docids:
            doc = state.dataset.doc(docid)
            section = page.locator(f"section.document[data-docid='{docid}']")
            gold = section.locator(".panel[data-kind=gold] .tok.gold")
            assert [int(x) for x in gold.evaluate_all("els => els.map(e => e.dataset.i)")] == \
                [i for i, g in enumerate(first.gold_token_mask(doc)) if g]
            for ri, run in enumerate(state.runs):
                hl = section.locator(f".panel[data-run='{ri}'] .tok.hl")
                shown = [int(x) for x in hl.evaluate_all("els => els.map(e => e.dataset.i)")]
                expected = [i for i, h in enumerate(predicted_mask(run.results.get(first.id), doc)) if h]
                assert shown == expected, run.name
                assert shown, "the fixture's first example has a predicted rationale"
            # The script token is text, highlighted like any token, and never ran.
            tok0 = section.locator(".panel[data-run='0'] .tok[data-i='0']")
            assert tok0.inner_text() == SCRIPT_TOKEN
            assert "hl" in tok0.get_attribute("class")
        assert page.locator("script:not([src])").count() == 0
        page.screenshot(path=str(ARTIFACTS / "viewer-example.png"), full_page=True)

        # Summary: score table and the three plots drawn by plotly.js (served by the app itself).
        page.click("header nav a[href='/summary']")
        page.wait_for_selector("div.plot[data-drawn='1']")
        page.wait_for_function("document.querySelectorAll('div.plot[data-drawn=\"1\"]').length === 3")
        assert page.locator("table.scores tbody tr").count() > 10
        assert page.locator("#plot-pr .main-svg").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "viewer-summary.png"), full_page=True)

        assert dialogs == []
        assert errors == [], errors

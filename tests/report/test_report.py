"""The static report: self-contained, escaped, same scores as evaluate, opens offline in Chromium."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from rationalize.cli import app
from rationalize.metrics import evaluate
from rationalize.report import build_report, sample_examples
from rationalize.server import ViewerState
from rationalize.server.state import predicted_mask
from tests.server.browser import ARTIFACTS, browser, watch
from tests.server.fixtures import SCRIPT_TOKEN


@pytest.fixture(scope="module")
def report_file(report_fixture, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "report.html"
    args = ["report", "--data", str(report_fixture["data"]), "--split", "val", *map(str, report_fixture["results"]),
            "--out", str(out), "--examples", "24"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    return out


def test_report_is_self_contained_and_escaped(report_file, report_fixture):
    html = report_file.read_text()
    # No external resource of any kind: every script and style is inline.
    assert not re.search(r'<(script|img|iframe)[^>]+src=', html)
    assert not re.search(r'<link[^>]+rel="stylesheet"', html)
    assert "http://" not in html.split("<script>", 1)[0] and "https://" not in html.split("<script>", 1)[0]
    assert html.count("<script>") == 2  # plotly.js and app.js; figures are type=application/json
    # The untrusted token is text, in the sample (it is example 0, which the 24-example sample includes).
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT_TOKEN not in html.split("<script>", 1)[0]
    assert html.count('<div class="example"') == 24
    acc = evaluate(report_fixture["dataset"], "val", str(report_fixture["results"][0]))
    assert f"{acc['classification_scores']['accuracy']:.4f}" in html
    assert f"{acc['token_prf']['instance_micro']['f1']:.4f}" in html


def test_sample_is_seeded_and_mixes_errors(report_fixture):
    state = ViewerState.from_paths(report_fixture["dataset"], "val", report_fixture["results"])
    a, b = sample_examples(state, 6, seed=1), sample_examples(state, 6, seed=1)
    assert a == b and len(a) == 6 and a == sorted(a)
    wrong = sum(state.runs[0].rows[i]["correct"] is False for i in a)
    assert wrong == 3
    assert sample_examples(state, 6, seed=2) != a or len(state.examples) <= 6
    assert '<div class="example"' not in build_report(state, n_examples=0)


@pytest.mark.browser
def test_report_opens_offline_in_chromium(report_file, report_fixture):
    state = ViewerState.from_paths(report_fixture["dataset"], "val", report_fixture["results"])
    ARTIFACTS.mkdir(exist_ok=True)
    with browser() as b:
        ctx = b.new_context(offline=True, viewport={"width": 1300, "height": 900})
        page = ctx.new_page()
        dialogs, errors = watch(page)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report_file.as_uri())
        page.wait_for_function("document.querySelectorAll('div.plot[data-drawn=\"1\"]').length === 3")
        first = state.examples[0]
        block = page.locator(f"div.example[data-id='{first.id}']")
        doc = state.dataset.doc(first.docids[0])
        for ri, run in enumerate(state.runs):
            shown = block.locator(f".panel[data-run='{ri}'] .tok.hl").evaluate_all("els => els.map(e => +e.dataset.i)")
            assert shown == [i for i, h in enumerate(predicted_mask(run.results[first.id], doc)) if h]
        assert block.locator(".panel[data-run='0'] .tok[data-i='0']").inner_text() == SCRIPT_TOKEN
        page.screenshot(path=str(ARTIFACTS / "report.png"))
        assert dialogs == [] and errors == [], (dialogs, errors)
        assert all(u.startswith(("file:", "data:")) for u in requests), requests

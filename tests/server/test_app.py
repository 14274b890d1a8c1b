"""Endpoint tests of the viewer app (FastAPI TestClient) on a small fixture with two results files."""

from __future__ import annotations

import json
import math
import re

import pytest

from rationalize.metrics import evaluate
from rationalize.server.render import score_rows
from rationalize.server.state import predicted_mask
from rationalize.server.templating import fmt
from tests.server.fixtures import SCRIPT_TOKEN

ROW = re.compile(r'<a href="/example/([^"]+)">')


def ids_on(html: str) -> list[str]:
    return ROW.findall(html.split('id="examples"', 1)[1])


def test_list_shows_every_example_paginated(client, viewer_state):
    n = len(viewer_state.examples)
    r = client.get("/?per_page=100")
    assert r.status_code == 200
    assert ids_on(r.text) == [ex.id for ex in viewer_state.examples]
    pages = [ids_on(client.get(f"/?per_page=10&page={p}").text) for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [10, 10, n - 20]
    assert [i for p in pages for i in p] == [ex.id for ex in viewer_state.examples]
    assert client.get("/?per_page=10&page=4").status_code == 400


def test_filters(client, viewer_state):
    rows = viewer_state.runs[0].rows
    for params, keep in [
        ("gold=NEG", lambda r: r["gold"] == "NEG"),
        ("pred=POS", lambda r: r["pred"] == "POS"),
        ("correct=no", lambda r: r["correct"] is False),
        ("correct=yes&gold=POS", lambda r: r["correct"] is True and r["gold"] == "POS"),
        ("min_token_f1=0.1&max_token_f1=0.5", lambda r: 0.1 <= r["metrics"]["token_f1"] <= 0.5),
        ("min_comprehensiveness=0", lambda r: r["metrics"]["comprehensiveness"] >= 0),
    ]:
        expected = sorted(r["id"] for r in rows if keep(r))
        got = ids_on(client.get(f"/?per_page=100&{params}").text)
        assert sorted(got) == expected, params
        assert 0 < len(expected) < len(rows), f"fixture should make {params} a real filter"
    # Filters of the second file (hard only, 3 examples without prediction).
    rows2 = viewer_state.runs[1].rows
    got = ids_on(client.get("/?per_page=100&run=1&correct=yes").text)
    assert sorted(got) == sorted(r["id"] for r in rows2 if r["correct"] is True)
    assert "comprehensiveness" not in viewer_state.runs[1].metric_keys
    assert client.get("/?run=1&min_comprehensiveness=0").status_code == 400


def test_search_id_query_and_text(client, viewer_state):
    ex = viewer_state.examples[5]
    assert ids_on(client.get(f"/?q={ex.id}").text) == [ex.id]
    assert ids_on(client.get("/?q=%3Cscript%3E&per_page=100").text) == [viewer_state.examples[0].id]
    word = viewer_state.dataset.doc(ex.docids[0]).tokens[3]
    expected = [e.id for e in viewer_state.examples
                if any(word.lower() in " ".join(viewer_state.dataset.doc(d).tokens).lower() for d in e.docids)]
    assert sorted(ids_on(client.get(f"/?q={word}&per_page=100").text)) == sorted(expected)


def test_sorting_by_metric_missing_last(client, viewer_state):
    rows = viewer_state.runs[0].rows
    got = ids_on(client.get("/?per_page=100&sort=token_f1&desc=1").text)
    values = [next(r for r in rows if r["id"] == i)["metrics"]["token_f1"] for i in got]
    assert values == sorted(values, reverse=True)
    got = ids_on(client.get("/?per_page=100&run=1&sort=prob").text)
    rows2 = {r["id"]: r for r in viewer_state.runs[1].rows}
    probs = [rows2[i]["prob"] for i in got]
    present = [p for p in probs if p is not None]
    assert present == sorted(present) and probs[len(present):] == [None] * 3


@pytest.mark.parametrize("query", [
    "run=2", "run=-1", "run=x", "gold=MAYBE", "pred=<b>", "correct=maybe", "sort=__class__", "desc=2",
    "per_page=0", "per_page=100000", "page=0", "page=abc", "min_token_f1=abc", "min_token_f1=nan",
    "max_not_a_metric=1", "path=/etc/passwd", "q=" + "x" * 201,
])
def test_bad_parameters_are_rejected(client, query):
    r = client.get("/?" + query)
    assert r.status_code == 400
    name = query.split("=")[0]
    assert f"query parameter &#39;{name}&#39;" in r.text
    assert "<b>" not in r.text


def test_api_examples_json(client, viewer_state):
    data = client.get("/api/examples?run=1&per_page=200&sort=id").json()
    assert data["total"] == len(viewer_state.examples)
    assert [r["id"] for r in data["rows"]] == [ex.id for ex in viewer_state.examples]
    assert client.get("/api/examples?run=9").json()["detail"].startswith("query parameter 'run'")


def test_only_known_examples_and_static_files_are_served(client):
    for url in ["/example/nope", "/example/../../etc/passwd", "/example/%2e%2e%2fpyproject.toml",
                "/static/../../pyproject.toml", "/static/%2e%2e/app.py", "/static/app.py", "/static/",
                "/etc/passwd", "/docs", "/openapi.json"]:
        r = client.get(url)
        assert r.status_code == 404, url
        assert "[build-system]" not in r.text and "root:" not in r.text
    assert client.get("/static/app.css").headers["content-type"].startswith("text/css")
    assert "Plotly" in client.get("/static/plotly.min.js").text[:5000]
    assert client.get("/example/x?layout=evil").status_code == 400


def test_example_page_escapes_and_highlights_exactly(client, viewer_state):
    ex = viewer_state.examples[0]
    r = client.get(f"/example/{ex.id}")
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    html = r.text
    assert SCRIPT_TOKEN not in html and "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;a&amp;b&#39;" in html
    assert html.count("<script") == 1 and '<script src="/static/app.js"' in html  # only the app's own script
    doc = viewer_state.dataset.doc(ex.docids[0])
    panels = html.split('<div class="panel ')[1:]
    gold_panel, run_panels = panels[0], panels[1:]
    assert [int(i) for i in re.findall(r'class="tok gold" data-i="(\d+)"', gold_panel)] == \
        [i for i, g in enumerate(ex.gold_token_mask(doc)) if g]
    assert len(run_panels) == len(viewer_state.runs)
    for run, panel in zip(viewer_state.runs, run_panels):
        shown = [int(i) for i in re.findall(r'class="tok hl[^"]*" data-i="(\d+)"', panel)]
        assert shown == [i for i, h in enumerate(predicted_mask(run.results[ex.id], doc)) if h]
    assert 'class="legend"' in run_panels[0] and 'class="legend"' not in run_panels[1]
    # Labels, probabilities and metrics of each file.
    res = viewer_state.runs[0].results[ex.id]
    assert f"{res.classification_scores[res.classification]:.3f}" in html
    assert fmt(viewer_state.runs[0].per_example[ex.id]["token_f1"]) in html


def test_example_without_prediction(client, viewer_state):
    ex = viewer_state.examples[-1]
    html = client.get(f"/example/{ex.id}?layout=columns").text
    assert "no prediction in this file" in html and 'class="panels columns"' in html


def test_summary_table_is_evaluate(client, viewer_state, viewer_fixture):
    """Every number of the score table is the one ``rationalize evaluate --json`` prints."""
    from typer.testing import CliRunner

    from rationalize.cli import app

    html = client.get("/summary").text
    cells = re.findall(r'<td class="num" data-key="([^"]+)">([^<]*)</td>', html)
    for run_i, path in enumerate(viewer_fixture["results"]):
        out = CliRunner().invoke(app, ["evaluate", "--data", str(viewer_fixture["data"]), "--split", "val",
                                       "--results", str(path), "--json"])
        assert out.exit_code == 0, out.output
        scores = json.loads(out.stdout[out.stdout.index("{"):])
        for section, metric, values in score_rows([scores]):
            key = f"{section}|{metric}"
            shown = [v for k, v in cells if k == key]
            assert shown, key
            assert shown[run_i] == fmt(values[0]).replace("&", "&amp;"), key
    acc = evaluate(viewer_fixture["dataset"], "val", str(viewer_fixture["results"][0]))["classification_scores"]
    assert f"{acc['accuracy']:.4f}" in html
    for name in ("pr", "aopc", "lengths"):
        assert f'id="fig-{name}"' in html
    assert client.get("/summary?x=1").status_code == 400


def test_score_rows_flatten():
    rows = score_rows([{"iou_scores": [{"threshold": 0.5, "micro": {"f1": 0.25}}], "a": {"b": 1.5, "c": None},
                        "x": [0.1, 0.2]}, {"a": {"b": 2.0}}])
    assert rows == [("iou_scores", "@0.5.micro.f1", [0.25, None]), ("a", "b", [1.5, 2.0]),
                    ("x", "x", ["0.1000, 0.2000", None])]
    assert math.isnan(float(fmt(float("nan"))))


def test_lazy_scores_summary_waits_for_background_scoring(viewer_fixture):
    import threading

    from fastapi.testclient import TestClient

    from rationalize.server import ViewerState, create_app

    state = ViewerState.from_paths(viewer_fixture["dataset"], "val", viewer_fixture["results"], lazy_scores=True)
    assert not any(r.scores_ready for r in state.runs)
    gate = threading.Event()
    for run in state.runs:
        fn = run.score_fn
        run.score_fn = lambda fn=fn: (gate.wait(30), fn())[1]
    client = TestClient(create_app(state))
    thread = state.score_in_background()
    assert client.get("/?sort=token_f1").status_code == 200  # the list does not wait for the scores
    r = client.get("/summary")
    assert r.status_code == 503 and "Computing the scores" in r.text and 'http-equiv="refresh"' in r.text
    gate.set()
    thread.join(30)
    r = client.get("/summary")
    assert r.status_code == 200 and 'id="fig-aopc"' in r.text
    assert state.runs[0].scores == evaluate(viewer_fixture["dataset"], "val", list(state.runs[0].results.values()))

"""The viewer and the report on real ERASER data (movies val, FEVER val with a partial results file)."""

from __future__ import annotations

import logging
import re

import pytest
from markupsafe import escape

from rationalize.data import load_dataset
from rationalize.data.results import write_results
from rationalize.report import build_report
from rationalize.server import ViewerState, create_app
from rationalize.server.state import predicted_mask
from tests.conftest import shared_path
from tests.server.fixtures import make_results

pytestmark = pytest.mark.realdata


@pytest.mark.parametrize("name,keep", [("movies", None), ("fever", 100)])
def test_view_and_report_on_real_data(name, keep, tmp_path, caplog):
    from fastapi.testclient import TestClient

    caplog.set_level(logging.ERROR)
    ds = load_dataset(shared_path(name))
    n = len(ds["val"])
    path = tmp_path / f"{name}.jsonl"
    write_results(path, make_results(ds, "val", seed=0, skip=n - keep if keep else 0))
    state = ViewerState.from_paths(ds, "val", [path])
    assert len(state.examples) == n
    client = TestClient(create_app(state))
    html = client.get("/?per_page=200").text
    assert f'<span id="total">{n}</span>' in html
    ex = state.examples[1]
    page = client.get(f"/example/{ex.id}").text
    panel = page.split('data-run="0"', 1)[1]
    doc = ds.doc(ex.docids[0])
    shown = [int(i) for i in re.findall(r'class="tok hl[^"]*" data-i="(\d+)"', panel.split("</section>")[0])]
    assert shown == [i for i, h in enumerate(predicted_mask(state.runs[0].results[ex.id], doc)) if h]
    if ex.query:
        assert str(escape(ex.query.split()[0])) in page
    assert client.get("/summary").status_code == 200
    report = build_report(state, n_examples=3)
    assert report.count('<div class="example"') == 3

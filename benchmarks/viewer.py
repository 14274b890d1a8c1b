"""Viewer and report timings on a whole split (default: ERASER FEVER val, 6,122 examples).

Writes a results file with random but valid rationales (hard spans, soft token scores, predictions and
faithfulness fields, via ``rationalize.data.results``), then measures: start-up (dataset load, results
validation, ``evaluate``, per-example metrics, rows), the list page, filtered/sorted/searched list pages,
an example page, the summary page (first request builds the plots, later ones are cached) and the
static report. Requests go through the full FastAPI app in-process (Starlette TestClient), median of
``--repeat`` runs. Prints one JSON object.

    python benchmarks/viewer.py [--data /work/shared/data/fever] [--split val] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def random_results(ds, split: str, seed: int = 0):
    from rationalize.data.results import DocRationale, Result, ThresholdedScores

    rng = np.random.default_rng(seed)
    labels = ds.labels
    out = []

    def probs():
        p = rng.dirichlet(np.ones(len(labels)))
        return {lab: float(v) for lab, v in zip(labels, p)}

    for ex in ds[split]:
        rats = []
        for docid in ex.docids:
            n = len(ds.doc(docid))
            start = int(rng.integers(0, max(n - 1, 1)))
            end = min(n, start + int(rng.integers(1, 30)))
            rats.append(DocRationale(docid, [(start, end)], rng.random(n).round(4).tolist()))
        full = probs()
        out.append(Result(ex.id, rats, max(full, key=full.get), full, probs(), probs(),
                          [ThresholdedScores(t, probs(), probs()) for t in (0.01, 0.05, 0.1, 0.2, 0.5)]))
    return out


def timed(fn, repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"median_ms": round(statistics.median(times) * 1000, 1), "max_ms": round(max(times) * 1000, 1)}


def screenshots(app, state, folder: Path) -> None:
    """List, example and summary pages in headless Chromium (as in tests/server/test_browser.py)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.server.browser import browser, serve

    folder.mkdir(parents=True, exist_ok=True)
    ex = next(e for e in state.examples if e.query and len(e.docids) == 1)
    with serve(app) as base, browser() as b:
        page = b.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(base + "/?sort=token_f1&desc=1&gold=REFUTES")
        page.screenshot(path=str(folder / "fever-list.png"))
        page.goto(base + f"/example/{ex.id}?layout=columns")
        page.screenshot(path=str(folder / "fever-example.png"), full_page=True)
        page.goto(base + "/summary")
        page.wait_for_function("document.querySelectorAll('div.plot[data-drawn=\"1\"]').length === 3")
        page.screenshot(path=str(folder / "fever-summary.png"), full_page=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/work/shared/data/fever")
    ap.add_argument("--split", default="val")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--screenshots", type=Path, default=None, help="Folder for PNGs of the pages (Chromium).")
    args = ap.parse_args()

    import logging

    logging.disable(logging.WARNING)
    from fastapi.testclient import TestClient

    from rationalize.data import load_dataset
    from rationalize.data.results import write_results
    from rationalize.report import build_report
    from rationalize.server import ViewerState, create_app

    out: dict[str, object] = {"data": args.data, "split": args.split}
    with tempfile.TemporaryDirectory() as tmp:
        ds = load_dataset(args.data)
        path = Path(tmp) / "random.jsonl"
        write_results(path, random_results(ds, args.split))
        out["results_mb"] = round(path.stat().st_size / 1e6, 1)
        t0 = time.perf_counter()
        ds = load_dataset(args.data)
        t1 = time.perf_counter()
        state = ViewerState.from_paths(ds, args.split, [path], lazy_scores=True)
        t2 = time.perf_counter()
        app = create_app(state)
        t3 = time.perf_counter()
        for run in state.runs:
            run.scores  # noqa: B018 - what `rationalize view` computes in a background thread
        t4 = time.perf_counter()
        out["examples"] = len(state.examples)
        out["startup_s"] = {"load_dataset": round(t1 - t0, 2),
                            "validate_per_example_metrics_rows": round(t2 - t1, 2),
                            "until_pages_served": round(t3 - t0, 2),
                            "evaluate_score_table_background": round(t4 - t3, 2)}
        client = TestClient(app)
        ex_id = state.examples[len(state.examples) // 2].id
        word = ds.doc(state.examples[0].docids[0]).tokens[5]

        def get(url: str):
            def f():
                r = client.get(url)
                assert r.status_code == 200, (url, r.status_code, r.text[:300])
            return f

        t0 = time.perf_counter()
        get("/summary")()
        out["summary_first_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        pages = {
            "list": "/",
            "list_page_50_of_123": "/?page=50",
            "filtered_list": "/?gold=SUPPORTS&correct=no&min_token_f1=0.1&max_comprehensiveness=0.5",
            "sorted_list": "/?sort=token_f1&desc=1",
            "search_text": f"/?q={word}",
            "example": f"/example/{ex_id}",
            "summary_cached": "/summary",
        }
        out["pages"] = {name: timed(get(url), args.repeat) for name, url in pages.items()}
        if args.screenshots is not None:
            screenshots(app, state, args.screenshots)
        t0 = time.perf_counter()
        html = build_report(state, n_examples=10)
        out["report"] = {"seconds": round(time.perf_counter() - t0, 2), "mb": round(len(html.encode()) / 1e6, 2)}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

"""The performance-vs-plausibility plot lists every point and marks exactly the non-dominated ones; the
report draws it from a benchmark summary; a file that is not a summary is one clear error."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rationalize.cli import app
from rationalize.errors import DataError
from rationalize.report import build_report, pareto_front, read_tradeoff, tradeoff_figure, tradeoff_points
from rationalize.server import ViewerState

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def _summary() -> dict:
    def iv(m):
        return {"mean": m, "ci95": 0.01, "n": 3}

    pts = [(0.0, 0.0, 0.73, 0.31), (0.1, 0.1, 0.74, 0.35), (1.0, 1.0, 0.74, 0.38), (10.0, 0.1, 0.60, 0.37),
           (10.0, 1.0, 0.66, 0.39), (1.0, 0.1, 0.68, 0.36)]
    return {"pareto_axes": ["macro_f1", "token_f1"],
            "points": [{"lambda": w, "fraction": f, "macro_f1": iv(x), "token_f1": iv(y)} for w, f, x, y in pts]}


def _brute_force(points):
    """Dominated = some other point is >= on both and > on one (written independently of the library)."""
    dominated = set()
    for i, (a, b) in enumerate(points):
        for j, (c, d) in enumerate(points):
            if i != j and c >= a and d >= b and (c, d) != (a, b):
                dominated.add(i)
    return [i not in dominated for i in range(len(points))]


def test_front_on_a_hand_example():
    assert pareto_front([(0.73, 0.31), (0.74, 0.38), (0.66, 0.39), (0.74, 0.35), (0.60, 0.37)]) == \
        [False, True, True, False, False]
    assert pareto_front([(1, 1), (1, 1)]) == [True, True]  # equal points do not dominate each other


def test_front_matches_brute_force_on_random_points():
    rng = random.Random(0)
    for _ in range(50):
        pts = [(rng.randint(0, 5) / 5, rng.randint(0, 5) / 5) for _ in range(rng.randint(1, 9))]
        assert pareto_front(pts) == _brute_force(pts)


def test_figure_lists_every_point_and_marks_exactly_the_non_dominated():
    points, axes = tradeoff_points(_summary())
    fig = tradeoff_figure(points, axes)
    names = [n for t in fig["data"] for n in t["text"]]
    assert sorted(names) == sorted(p.name for p in points) and len(names) == 6
    dominated, front = fig["data"]
    assert front["name"] == "Pareto front"
    assert set(front["text"]) == {"λ 1, 100% supervised", "λ 10, 100% supervised"}
    assert fig["layout"]["meta"]["pareto"] == ["λ 10, 100% supervised", "λ 1, 100% supervised"]  # along x
    assert "unsupervised" in dominated["text"]
    assert fig["layout"]["xaxis"]["title"]["text"] == "macro_f1"
    # every point at its coordinates, with its interval
    xy = {n: (x, y) for t in fig["data"] for n, x, y in zip(t["text"], t["x"], t["y"])}
    assert xy["unsupervised"] == (0.73, 0.31) and front["error_y"]["array"] == [0.01, 0.01]


def test_the_benchmark_files_plot(tmp_path):
    for path in sorted(RESULTS.glob("supervision_*.json")):
        summary = json.loads(path.read_text())
        if "points" not in summary:
            continue
        points, _ = read_tradeoff(path)
        assert len(points) == len(summary["points"])
        marked = [p for p in summary["points"] if p.get("pareto")]
        if marked and "pareto" in summary["points"][0]:
            assert {p.name for p, on in zip(points, pareto_front([(p.performance, p.plausibility) for p in points]))
                    if on} == {p.name for p, s in zip(points, summary["points"]) if s["pareto"]}


def test_not_a_summary_is_a_data_error(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"runs": []}')
    with pytest.raises(DataError, match="no 'points' list"):
        read_tradeoff(bad)
    bad.write_text("{")
    with pytest.raises(DataError, match="cannot be read as JSON"):
        read_tradeoff(bad)


def test_report_draws_the_tradeoff(report_fixture, tmp_path):
    summary = tmp_path / "sweep.json"
    summary.write_text(json.dumps(_summary()))
    state = ViewerState.from_paths(report_fixture["dataset"], "val", report_fixture["results"])
    html = build_report(state, n_examples=0, tradeoffs=[summary])
    assert 'id="plot-tradeoff0"' in html and "Performance vs plausibility: sweep.json" in html
    out = tmp_path / "r.html"
    args = ["report", "--data", str(report_fixture["data"]), "--split", "val", *map(str, report_fixture["results"]),
            "--out", str(out), "--examples", "0", "--tradeoff", str(summary)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert 'id="plot-tradeoff0"' in out.read_text()

"""The README's main job, ``rationalize demo``, for the methods whose objectives differ from the default."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rationalize.cli import app


@pytest.mark.parametrize("method", ["a2r", "refer"])
def test_demo_runs_the_methods_without_a_complement_term(tmp_path, method):
    # A2R and REFER refuse a complement weight; the demo used to pass one to every method but gumbel and fresh
    out = tmp_path / "demo"
    res = CliRunner().invoke(app, ["demo", "--method", method, "--out", str(out), "--epochs", "1"])
    assert res.exit_code == 0, res.output
    lines = (out / "results.jsonl").read_text().splitlines()
    assert lines and json.loads(lines[0])["rationales"]

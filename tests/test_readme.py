"""The README's Quick tour runs as written: its shell commands in order, in a fresh folder, then its Python.

Each command runs with ``bash`` in a temporary working directory (``runs/`` lands there), with the installed
``rationalize`` of this interpreter first on ``PATH``. Two kinds of line cannot run verbatim in a test:

* ``rationalize view`` serves until Ctrl+C: it is started on a free port (``--port 0``), its first page is
  fetched, and it is stopped;
* lines that read ``../shared/data`` get the real-data folder of this checkout (``RATIONALIZE_SHARED_DATA``);
  where it is absent they are left out, and ``test_tour_real_data_lines`` says so by skipping.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED_DATA, shared_path

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[1] / "README.md"
REAL_DATA = "../shared/data"


def tour_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("\n## Quick tour\n", 1)[1].split("\n## ", 1)[0]


def code_blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", section, flags=re.DOTALL | re.MULTILINE)


def shell_commands(block: str) -> list[str]:
    """The commands of a shell block: comment and blank lines dropped, ``\\`` continuations joined."""
    commands, current = [], ""
    for line in block.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1]
            continue
        commands.append(current + line)
        current = ""
    assert not current, f"the block ends inside a continued command: {current!r}"
    return commands


@dataclass
class Tour:
    folder: Path
    ran: list[tuple[str, int, str]] = field(default_factory=list)  # command, exit status, output tail
    left_out: list[str] = field(default_factory=list)  # commands that need the absent real data


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _serve_once(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Start the viewer on a free port, fetch its first page, stop it; 0 when the page came back."""
    proc = subprocess.Popen([*argv, "--port", "0"], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 300
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break  # the viewer exited before it served
            lines.append(line)
            found = re.search(r"viewer at (http://\S+/)", line)
            if found:
                for _ in range(100):  # uvicorn binds just after the line is printed
                    try:
                        with urllib.request.urlopen(found.group(1), timeout=30) as page:
                            return (0 if page.status == 200 else page.status), "".join(lines)
                    except OSError:
                        time.sleep(0.2)
        return 1, "".join(lines)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Tour:
    blocks = code_blocks(tour_section(), "bash")
    assert blocks, "the Quick tour has no bash block"
    result = Tour(tmp_path_factory.mktemp("tour"))
    env = _env()
    for command in (c for block in blocks for c in shell_commands(block)):
        if REAL_DATA in command:
            if not SHARED_DATA.exists():
                result.left_out.append(command)
                continue
            command = command.replace(REAL_DATA, shlex.quote(str(SHARED_DATA)))
        argv = shlex.split(command, comments=True)
        if argv[:2] == ["rationalize", "view"]:
            status, output = _serve_once(argv, result.folder, env)
        else:
            done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=result.folder, env=env,
                                  capture_output=True, text=True, timeout=900, check=False)
            status, output = done.returncode, done.stdout + done.stderr
        result.ran.append((command, status, output[-3000:]))
        if status != 0:
            break  # later commands read what this one should have written
    return result


def test_tour_runs_in_order(tour: Tour) -> None:
    for command, status, output in tour.ran:
        assert status == 0, f"README tour command failed ({status}): {command}\n{output}"
    ran = [command for command, _, _ in tour.ran]
    assert any(c.startswith("rationalize view") for c in ran)
    for command in ran:  # every file or folder the tour writes with --out is there
        argv = shlex.split(command, comments=True)
        for flag, value in itertools.pairwise(argv):
            if flag == "--out":
                assert (tour.folder / value).exists(), f"{command} did not write {value}"


def test_tour_real_data_lines(tour: Tour) -> None:
    shared_path()  # skips, with the reason, where ../shared/data is absent
    assert not tour.left_out
    assert any(str(SHARED_DATA) in c and status == 0 for c, status, _ in tour.ran)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def test_python_snippet_gives_the_cli_scores(tour: Tour, monkeypatch: pytest.MonkeyPatch) -> None:
    assert tour.ran and all(status == 0 for _, status, _ in tour.ran), "the shell tour failed"
    (snippet,) = code_blocks(tour_section(), "python")
    (results,) = re.findall(r'read_results\("([^"]+)"\)', snippet)
    # the file that `rationalize evaluate --results RESULTS --out FILE` wrote in the tour
    evaluated = [dict(itertools.pairwise(argv)) for argv in (shlex.split(c, comments=True) for c, _, _ in tour.ran)
                 if argv[:2] == ["rationalize", "evaluate"]]
    (scores_file,) = [opts["--out"] for opts in evaluated if opts.get("--results") == results]
    monkeypatch.chdir(tour.folder)
    namespace: dict[str, Any] = {}
    exec(compile(snippet, str(README), "exec"), namespace)  # noqa: S102 -- the README's own snippet
    cli = json.loads((tour.folder / scores_file).read_text(encoding="utf-8"))
    assert _same(json.loads(json.dumps(namespace["scores"])), cli)
    # the rationalizer lines: one result per test example, and one for the raw input, with provenance
    ds, raw = namespace["ds"], namespace["raw"]
    assert [r.annotation_id for r in namespace["results"]] == [ex.id for ex in ds["test"]]
    assert len(raw) == 1 and raw[0].annotation_id == "input-0" and raw[0].classification in ds.labels
    assert raw[0].extra["provenance"]["method"] == "integrated-gradients"

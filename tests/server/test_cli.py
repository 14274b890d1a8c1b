"""``rationalize view`` really serves the app (subprocess on a free port, local only)."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from tests.server.browser import free_port


def test_view_command_serves_pages(viewer_fixture):
    port = free_port()
    cmd = [sys.executable, "-m", "rationalize.cli", "view", "--data", str(viewer_fixture["data"]), "--split", "val",
           "--port", str(port), *map(str, viewer_fixture["results"])]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 90
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/summary", timeout=5)
                if r.status_code == 200 or time.time() > deadline:
                    break
                assert r.status_code == 503 and "Computing the scores" in r.text  # scored in the background
                time.sleep(0.3)
            except httpx.TransportError:
                if proc.poll() is not None or time.time() > deadline:
                    raise AssertionError(f"viewer did not start: {proc.stderr.read() if proc.poll() is not None else ''}")
                time.sleep(0.3)
        assert r.status_code == 200 and "attention" in r.text and "hard_only" in r.text
        assert httpx.get(f"http://127.0.0.1:{port}/?gold=NEG").status_code == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert f"viewer at http://127.0.0.1:{port}/" in out

"""Headless Chromium for the end-to-end tests (Debian's /usr/bin/chromium driven by Playwright) and a
viewer served on a free port in a background thread."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("RATIONALIZE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@contextlib.contextmanager
def browser() -> Iterator[object]:
    """A Playwright Chromium browser; skips the test (with the reason) where none can be launched."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - dev extra missing
        pytest.skip(f"playwright is not installed ({exc})")
    exe = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not exe:
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/install.sh installs Debian's chromium)")
    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=exe, args=ARGS, headless=True, timeout=30_000)
        except Exception as exc:  # noqa: BLE001 - any launch failure means "cannot run here"
            pytest.skip(f"Chromium at {exe} could not be launched: {str(exc).splitlines()[0]}")
        try:
            yield b
        finally:
            b.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(app) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1:<free port> in a thread; yields the base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("the viewer did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def watch(page) -> tuple[list[str], list[str]]:
    """Record what a page must not do: ``(dialogs, errors)``, the messages of every dialog (dismissed; an
    injected ``alert`` shows up here) and of every page error or console error, filled as the page runs."""
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return dialogs, errors

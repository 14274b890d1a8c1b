"""Run the console entry point :func:`rationalize.cli.main` in-process, as a user's shell would: known errors
become one ``error: ...`` line on stderr and exit status 2 (``CliRunner.invoke(app)`` skips ``main`` and
hands back the exception instead)."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def error_line(self) -> str:
        """The one line a failed command printed, checked to be one line and no traceback."""
        assert self.code != 0, f"exited 0:\n{self.out}{self.err}"
        assert "Traceback" not in self.err, self.err
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("error: "), self.err
        return lines[0]


def run_main(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``rationalize ARGS`` through :func:`rationalize.cli.main`; returns exit status, stdout and stderr."""
    from rationalize.cli import main

    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["rationalize", *args])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    code = info.value.code
    return Run(code if isinstance(code, int) else 1, captured.out, captured.err)

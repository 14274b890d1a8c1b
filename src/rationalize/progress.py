"""Progress reporting that respects the terminal: the one place where rationalize shows progress.

On an interactive stderr (a terminal, or a Jupyter kernel) a :class:`Progress` is a tqdm bar. Anywhere else
(a log file, a pipe, CI) redrawing a bar would write thousands of ``\\r`` updates, so there is no bar: each
stage writes one summary line to stderr when it ends (``faithfulness: 400 inputs in 3.1s``), and a stage
that closes with its own summary writes that instead (``epoch 3/10: loss=0.41 val_accuracy=0.93 (12.3s)``).
``enabled=False`` writes nothing at all.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TextIO


def _in_jupyter() -> bool:
    """True inside a Jupyter kernel (whose stderr is not a TTY but shows tqdm's widget bar)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def interactive(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (default: the current ``sys.stderr``) can show a redrawn bar."""
    stream = sys.stderr if stream is None else stream
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
    return _in_jupyter()


def format_metrics(values: Mapping[str, Any]) -> str:
    """``k=v`` pairs, floats with 4 significant digits: ``loss=0.4132 val_accuracy=0.93``."""
    return " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())


class Progress:
    """A stage of work: a tqdm bar on an interactive stderr, one summary line on stderr otherwise.

    ``total``/``unit``/``desc`` are tqdm's; ``leave=False`` removes the bar when it closes (the summary line,
    if any, stays). Use as a context manager, or call :meth:`close` (``summary`` replaces the default
    ``N units in Xs`` line by ``desc: summary (Xs)``, in both modes).
    """

    def __init__(self, total: int | None = None, desc: str = "", unit: str = "it", *, enabled: bool = True,
                 leave: bool = True) -> None:
        self.desc, self.unit, self.enabled = desc, unit, enabled
        self.n = 0
        self.closed = False
        self._start = time.perf_counter()
        self._bar: Any = None
        if enabled and interactive():
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, leave=leave, file=sys.stderr)

    @property
    def elapsed(self) -> float:
        """Seconds since the stage started."""
        return time.perf_counter() - self._start

    def update(self, n: int = 1) -> None:
        """Count ``n`` more units done."""
        self.n += n
        if self._bar is not None:
            self._bar.update(n)

    def set_postfix(self, values: Mapping[str, Any] | None = None, **kw: Any) -> None:
        """Show running values next to the bar (nothing without a bar)."""
        if self._bar is not None:
            self._bar.set_postfix({**(values or {}), **kw})

    def set_postfix_str(self, text: str) -> None:
        """Show a short status next to the bar (nothing without a bar)."""
        if self._bar is not None:
            self._bar.set_postfix_str(text)

    def write(self, line: str) -> None:
        """A line that stays (above the bar on a terminal; plain on stderr otherwise)."""
        write_line(line, self.enabled)

    def close(self, summary: str | None = None) -> None:
        """End the stage and report it once (later calls do nothing)."""
        if self.closed:
            return
        self.closed = True
        if not self.enabled:
            return
        took = self.elapsed
        if self._bar is not None:
            self._bar.close()
            if summary is not None:
                write_line(f"{self.desc}: {summary} ({took:.1f}s)")
            return
        write_line(f"{self.desc}: {summary} ({took:.1f}s)" if summary is not None
                   else f"{self.desc}: {_count(self.n, self.unit)} in {took:.1f}s")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.close(f"stopped after {_count(self.n, self.unit)} by {exc_type.__name__}")


def _count(n: int, unit: str) -> str:
    """``1 input``, ``400 inputs``, ``3 batches``."""
    if n == 1:
        return f"{n} {unit}"
    return f"{n} {unit}{'es' if unit.endswith(('s', 'x', 'ch', 'sh')) else 's'}"


def write_line(line: str, enabled: bool = True) -> None:
    """Write ``line`` to stderr without breaking a bar that is being drawn there."""
    if not enabled:
        return
    if interactive():
        from tqdm.auto import tqdm

        tqdm.write(line, file=sys.stderr)
    else:
        print(line, file=sys.stderr, flush=True)


__all__ = ["Progress", "format_metrics", "interactive", "write_line"]

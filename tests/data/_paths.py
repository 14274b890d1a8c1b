"""Problem messages with a test's temporary folder left out: messages name files as the user gave them
(absolute ``tmp_path`` paths here), and the tests compare what follows the folder."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def messages(errors: Iterable[object], root: str | Path) -> list[str]:
    """``str()`` of each problem with the ``root/`` prefix removed."""
    prefix = f"{root}{os.sep}"
    return [str(e).replace(prefix, "") for e in errors]

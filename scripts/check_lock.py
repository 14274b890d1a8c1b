"""Check that the running environment holds exactly the versions pinned in a lock file.

Used at the end of ``scripts/install.sh``: a reused ``.venv`` (or a machine that already held packages
from earlier installs) must not hide a version drift from the versions CI tested. Exits 1 with one line
per mismatch.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import sys
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;#]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def mismatches(lock: Path) -> list[str]:
    """``name: installed X, locked Y`` for every pinned package whose installed version differs."""
    out = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        m = PIN.match(line.strip())
        if not m:
            continue
        name, want = m.group(1), m.group(3)
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            out.append(f"{canonical(name)}: not installed, locked {want}")
            continue
        if have != want:
            out.append(f"{canonical(name)}: installed {have}, locked {want}")
    return out


def main(argv: list[str]) -> int:
    lock = Path(argv[1] if len(argv) > 1 else "requirements.lock")
    bad = mismatches(lock)
    for line in bad:
        print(f"{lock}: {line}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

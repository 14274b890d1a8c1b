# The two commands of the README. Both create or reuse .venv through scripts/install.sh.
.PHONY: demo test install lock

install:
	bash scripts/install.sh

demo: install
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 .venv/bin/rationalize demo

test: install
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 .venv/bin/python -m pytest -q

# Refresh requirements.lock (exact versions; see scripts/lock.sh). Not one of the README's two commands.
lock:
	bash scripts/lock.sh

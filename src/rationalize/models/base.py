"""What every classifier in rationalize looks like from the outside, and how saved models reload.

Faithfulness metrics, post-hoc explainers and the viewer only need :class:`TextClassifier`: a label list
and ``predict_proba`` over a batch of :class:`ClassifierInput` (dataset tokens plus an optional query).
Our own models, Hugging Face models and select-then-predict models all implement it.

A saved model is a folder with ``rationalize.json`` naming its class (``{"class":
"rationalize.models.hf_classifier.HFClassifier", ...}``); :func:`load_model` imports that class and calls
its ``load(folder)``. Only classes inside the ``rationalize`` package are loaded.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rationalize.errors import DataError

#: A dataset token that classifiers must treat as "masked out" (mapped to their own mask / unknown id).
MASK = "\u2047MASK\u2047"

CONFIG_NAME = "rationalize.json"


@dataclass
class ClassifierInput:
    """One classifier input in the dataset's own tokenization: document tokens (documents of a
    multi-document example concatenated) and optional query tokens (always visible, never explained)."""

    tokens: list[str]
    query: list[str] | None = None


@runtime_checkable
class TextClassifier(Protocol):
    """Anything that maps token sequences to class probabilities."""

    labels: list[str]

    def predict_proba(self, inputs: Sequence[ClassifierInput], batch_size: int | None = None) -> np.ndarray:
        """Return an ``(len(inputs), len(labels))`` array of probabilities."""
        ...


def save_config(folder: str | Path, cls: type, **config: Any) -> Path:
    """Write ``rationalize.json`` for a saved model of class ``cls``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    payload = {"class": f"{cls.__module__}.{cls.__qualname__}", **config}
    (folder / CONFIG_NAME).write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return folder / CONFIG_NAME


def read_config(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / CONFIG_NAME
    if not path.exists():
        raise DataError(folder, None, None, f"is not a rationalize model folder (no {CONFIG_NAME})")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(path, exc.lineno, None, f"is not valid JSON ({exc.msg})") from None


def load_model(folder: str | Path) -> Any:
    """Reload any model saved by rationalize (classifier, rationalizer, explainer) with one call."""
    cfg = read_config(folder)
    qualname = cfg.get("class")
    if not isinstance(qualname, str) or not qualname.startswith("rationalize."):
        raise DataError(Path(folder) / CONFIG_NAME, None, "class", f"{qualname!r} is not a rationalize class")
    module, _, name = qualname.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    return cls.load(folder)

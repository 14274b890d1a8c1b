"""rationalize: make NLP models explain themselves with rationales, and measure how good they are.

The main entry points::

    ds = rationalize.load_dataset("synthetic")
    r = rationalize.load_rationalizer("integrated-gradients", model=classifier, n_steps=16)
    results = r.fit(ds).rationalize(ds, "test")
    scores = rationalize.evaluate(ds, "test", results)
    rationalize.available_rationalizers()   # {family: [method names]}

Only the data layer is imported eagerly; the rationalizer registry and the metrics (which import torch
and numpy-heavy code) are attributes loaded on first use, so ``import rationalize`` stays light.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

from rationalize.data import Dataset, Document, Evidence, Example, load_dataset, make_synthetic

#: lazily imported attributes: name -> (module, attribute)
_LAZY = {
    "load_rationalizer": ("rationalize.rationalizers.base", "load_rationalizer"),
    "available_rationalizers": ("rationalize.rationalizers.base", "available_rationalizers"),
    "Rationalizer": ("rationalize.rationalizers.base", "Rationalizer"),
    "Provenance": ("rationalize.rationalizers.base", "Provenance"),
    "RATIONALIZERS": ("rationalize.rationalizers.base", "RATIONALIZERS"),
    "evaluate": ("rationalize.metrics.evaluate", "evaluate"),
    "validate_results": ("rationalize.metrics.validate", "validate_results"),
}


def __getattr__(name: str) -> Any:
    """Load the entry points of :data:`_LAZY` on first access (PEP 562)."""
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rationalize' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["RATIONALIZERS", "Dataset", "Document", "Evidence", "Example", "Provenance", "Rationalizer", "__version__",
           "available_rationalizers", "evaluate", "load_dataset", "load_rationalizer", "make_synthetic",
           "validate_results"]

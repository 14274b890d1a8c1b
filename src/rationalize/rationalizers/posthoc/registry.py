"""Explainers by name: ``get_explainer("integrated-gradients", model, n_steps=50)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EXPLAINERS: dict[str, type] = {}

#: the ten methods of the issue; ``attention-last``/``attention-mean`` are variants of ``attention``
METHODS = ("saliency", "input-x-gradient", "integrated-gradients", "deeplift", "occlusion", "lime",
           "kernel-shap", "attention", "attention-rollout", "random")


def register(name: str) -> Callable[[type], type]:
    """Class decorator adding an explainer under ``name``."""

    def deco(cls: type) -> type:
        cls.name = name  # type: ignore[attr-defined]
        EXPLAINERS[name] = cls
        return cls

    return deco


def get_explainer(name: str, model: Any, **kw: Any) -> Any:
    """An explainer instance for ``model`` (an EncoderClassifier, HFClassifier or other windowed model)."""
    _load_all()
    try:
        cls = EXPLAINERS[name]
    except KeyError:
        raise ValueError(f"unknown explanation method {name!r}; choose from {', '.join(sorted(EXPLAINERS))}") from None
    return cls(model, **kw)


def available_methods() -> list[str]:
    _load_all()
    return sorted(EXPLAINERS)


def _load_all() -> None:
    from rationalize.rationalizers.posthoc import (  # noqa: F401  (importing registers the classes)
        attention,
        attention_rollout,
        deeplift,
        input_x_gradient,
        integrated_gradients,
        kernel_shap,
        lime,
        occlusion,
        random,
        saliency,
    )

"""Explainers by name: ``get_explainer("integrated-gradients", model, n_steps=50)``.

:data:`EXPLAINERS` is a :class:`~rationalize.rationalizers.base.Registry` (the one registry type of every
family); each explainer module registers its class with ``@register(name)``, which also sets the class's
``name``. The registry imports those modules the first time it is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rationalize.rationalizers.base import Registry


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


EXPLAINERS: Registry[type] = Registry("posthoc", "explanation method", loader=_load_all, sort=True, set_name=True)

#: the ten methods of the issue; ``attention-last``/``attention-mean`` are variants of ``attention``
METHODS = ("saliency", "input-x-gradient", "integrated-gradients", "deeplift", "occlusion", "lime",
           "kernel-shap", "attention", "attention-rollout", "random")


def register(name: str) -> Callable[[type], type]:
    """Class decorator adding an explainer under ``name``."""
    return EXPLAINERS.register(name)


def get_explainer(name: str, model: Any, **kw: Any) -> Any:
    """An explainer instance for ``model`` (an EncoderClassifier, HFClassifier or other windowed model)."""
    return EXPLAINERS.load(name, model, **kw)


def available_methods() -> list[str]:
    """The explainer names :func:`get_explainer` accepts."""
    return EXPLAINERS.available()

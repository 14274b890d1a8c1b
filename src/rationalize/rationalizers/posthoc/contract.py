"""Post-hoc explainers behind the :class:`~rationalize.rationalizers.base.Rationalizer` contract.

One adapter class per name of :data:`~rationalize.rationalizers.posthoc.registry.EXPLAINERS`, generated
from it (so a newly registered explainer joins the contract without code here). The adapter holds the
classifier (``model=``: an EncoderClassifier / HFClassifier, or a folder :func:`rationalize.models.load_model`
reads), the discretizer options and the explainer's own options, and produces ERASER results with
:func:`~rationalize.rationalizers.posthoc.explain.explain_dataset`; ``fit`` is a no-op.
"""

from __future__ import annotations

from typing import Any

from rationalize.data.results import Result
from rationalize.data.schema import Dataset
from rationalize.rationalizers.base import Rationalizer, register_adapters
from rationalize.rationalizers.posthoc.explain import explain_dataset
from rationalize.rationalizers.posthoc.registry import EXPLAINERS, get_explainer


class PosthocRationalizer(Rationalizer):
    """``explainer`` of ``model`` over a dataset split, discretized by ``discretizer`` (``top-k`` by
    default, with ERASER's ``k``: the mean human rationale length when ``k`` is None).

    ``discretizer_options`` go to the discretizer (``t``, ``span_length``, ``n_sentences``); every other
    keyword goes to the explainer's constructor (``n_steps=16``, ``seed=1``, ``output="probs"``)."""

    family = "posthoc"

    def __init__(self, model: Any = None, *, discretizer: str = "top-k", k: float | None = None, batch: int = 4,
                 target: Any = None, discretizer_options: dict[str, Any] | None = None, **explainer_params: Any):
        super().__init__(model=model, discretizer=discretizer, k=k, batch=batch, target=target,
                         discretizer_options=dict(discretizer_options or {}), **explainer_params)
        self.explainer_params = explainer_params

    @property
    def model(self) -> Any:
        """The classifier, loaded on first use when ``model`` is a folder."""
        from rationalize.models import load_model

        return self._resolved("model", load_model, "pass the classifier to explain as model=")

    def explainer(self) -> Any:
        """A fresh explainer (built per call, so a seeded method gives the same scores each call)."""
        return get_explainer(self.name, self.model, **self.explainer_params)

    def _modules(self) -> list[Any]:
        return [self.model] if hasattr(self.model, "modules") else []

    def input_labels(self) -> list[str] | None:
        """The classifier's labels (raw inputs are explained with them)."""
        return list(self.model.labels)

    def _rationalize(self, dataset: Dataset, split: str, *, limit: int | None = None) -> list[Result]:
        p = self.params
        return explain_dataset(self.explainer(), dataset, split, target=p["target"], discretizer=p["discretizer"],
                               k=p["k"], batch=p["batch"], limit=limit, progress=False, **p["discretizer_options"])


register_adapters("posthoc", PosthocRationalizer,
                  {name: EXPLAINERS.get(name).__name__ for name in EXPLAINERS.available()}, __name__)

"""Select-then-predict rationalizers behind the :class:`~rationalize.rationalizers.base.Rationalizer` contract.

One adapter per name of :data:`~rationalize.rationalizers.select_predict.METHODS`. ``fit`` trains with
:func:`~rationalize.rationalizers.select_predict.training.train_rationalizer` (the loop and defaults of
``rationalize train rationalizer``); ``rationalize`` is the trained model's ``predict_results``. A model
trained elsewhere (an instance, or a folder saved by ``train rationalizer``) can be given as ``model=``.
"""

from __future__ import annotations

from typing import Any

from rationalize.data.results import Result
from rationalize.data.schema import Dataset
from rationalize.rationalizers.base import Rationalizer, register_adapters
from rationalize.rationalizers.select_predict import METHODS
from rationalize.rationalizers.select_predict.framework import SELECTION_RULES, SelectPredictRationalizer

#: the training options of :func:`~rationalize.rationalizers.select_predict.training.train_rationalizer`
TRAIN_OPTIONS = ("epochs", "batch_size", "lr", "patience", "seed", "max_steps_per_epoch", "val_split", "out",
                 "start_from_epoch")


class SelectPredictAdapter(Rationalizer):
    """A select-then-predict method: ``epochs``, ``batch_size``, ``lr``, ``patience``, ``seed``,
    ``max_steps_per_epoch``, ``val_split``, ``out`` (a checkpoint folder) and ``start_from_epoch`` (None: the
    method's default) configure training; every other
    keyword goes to the method's constructor (``encoder="cnn"``, ``sparsity=0.2``, ``noise_injection=0.1``).
    ``rule="top-k"`` (with ``k``, default the sparsity target) writes the equal-sparsity rationales instead
    of the method's own (see ``predict_results``)."""

    family = "select-predict"

    def __init__(self, model: SelectPredictRationalizer | str | None = None, *, epochs: int = 10,
                 batch_size: int = 32, lr: float | None = None, patience: int = 3, seed: int = 0,
                 max_steps_per_epoch: int | None = None, val_split: str = "val", out: str | None = None,
                 predict_batch_size: int = 32, rule: str = "own", k: float | None = None,
                 start_from_epoch: int | None = None, **method_params: Any):
        if rule not in SELECTION_RULES:
            raise ValueError(f"unknown selection rule {rule!r}; use one of {', '.join(SELECTION_RULES)}")
        super().__init__(model=model, epochs=epochs, batch_size=batch_size, lr=lr, patience=patience, seed=seed,
                         max_steps_per_epoch=max_steps_per_epoch, val_split=val_split, out=out,
                         predict_batch_size=predict_batch_size, rule=rule, k=k, start_from_epoch=start_from_epoch,
                         **method_params)
        self.method_params = method_params
        self.model_: SelectPredictRationalizer | None = None
        if isinstance(model, str):
            from rationalize.models import load_model

            model = load_model(model)
        if model is not None:
            if getattr(model, "method", None) != self.name:
                raise ValueError(f"{self.name}: model= is a {getattr(model, 'method', type(model).__name__)!r} model")
            self.model_ = model

    def fit(self, dataset: Dataset, split: str = "train") -> SelectPredictAdapter:
        """Build and train the method on ``dataset[split]`` (early stopping on ``val_split``)."""
        from rationalize.rationalizers.select_predict.training import train_rationalizer

        p = self.params
        self.model_ = train_rationalizer(dataset, self.name, p["out"], epochs=p["epochs"], batch_size=p["batch_size"],
                                         lr=p["lr"], patience=p["patience"], seed=p["seed"], progress=False,
                                         max_steps_per_epoch=p["max_steps_per_epoch"], train_split=split,
                                         val_split=p["val_split"], start_from_epoch=p["start_from_epoch"],
                                         **self.method_params)
        return self

    def _modules(self) -> list[Any]:
        return [self.model_] if self.model_ is not None else []

    def input_labels(self) -> list[str] | None:
        """The trained model's labels (raw inputs are read with them); None before ``fit``."""
        return list(self.model_.labels) if self.model_ is not None else None

    def _rationalize(self, dataset: Dataset, split: str, *, limit: int | None = None) -> list[Result]:
        if self.model_ is None:
            raise ValueError(f"{self.name} is not trained: call fit(dataset) first or pass a trained model=")
        return self.model_.predict_results(dataset, split, self.params["predict_batch_size"], limit=limit,
                                           rule=self.params["rule"], k=self.params["k"])


register_adapters("select-predict", SelectPredictAdapter,
                  {name: cls.__name__ for name, cls in METHODS.items()}, __name__)

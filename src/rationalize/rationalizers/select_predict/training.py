"""Training a select-then-predict rationalizer by method name, as ``rationalize train rationalizer`` does.

:func:`train_rationalizer` builds the method (:func:`~rationalize.rationalizers.select_predict.make_rationalizer`:
``lei2016``, ``gumbel``, ``hardkuma``, ``a2r``, ``fresh``, ``refer``, ``sentence-a2r`` or ``sentence-gumbel``,
any of them with noise injection), fits it with the
shared loop (early stopping on the validation objective, checkpoints, resume from ``out``) and saves it;
the folder reloads with :func:`rationalize.models.load_model`. The command line, the demo and the
benchmarks all train through it, so they share the same defaults.

Nothing here writes to stdout: the trained model is returned, and the command line prints its summary.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rationalize.data.schema import Dataset
from rationalize.engine.training import TrainConfig
from rationalize.rationalizers.select_predict import METHODS, make_rationalizer
from rationalize.rationalizers.select_predict.framework import WORD_VECTOR_ENCODERS, SelectPredictRationalizer

# WORD_VECTOR_ENCODERS are trained with a larger learning rate than a transformer is fine-tuned with


def method_train_defaults(method: str, encoder: str | None) -> dict[str, float]:
    """The training settings ``method`` brings with a word-vector encoder (its class's ``train_defaults``,
    e.g. HardKuma's reference lr, weight decay and ``start_from_epoch``); none with a transformer, which is
    fine-tuned with the generic defaults."""
    return dict(getattr(METHODS.get(method), "train_defaults", {})) if encoder in WORD_VECTOR_ENCODERS else {}


def train_rationalizer(dataset: Dataset, method: str, out: str | Path | None, *, epochs: int = 10, batch_size: int = 32,
                       lr: float | None = None, patience: int = 3, seed: int = 0, progress: bool = True,
                       max_steps_per_epoch: int | None = None, train_split: str = "train", val_split: str = "val",
                       bucket: int = 0, start_from_epoch: int | None = None, **params: Any) -> SelectPredictRationalizer:
    """Build, fit and (with ``out``) save a rationalizer; ``params`` go to the method's constructor.

    ``lr`` defaults to 1e-3 for the word-vector encoders (or the method's ``train_defaults``, e.g.
    HardKuma's reference 4e-4 with weight decay 2e-6) and 2e-5 for a transformer. ``bucket`` (batches of
    similar length, :attr:`~rationalize.engine.training.TrainConfig.bucket`) is off by default.
    ``start_from_epoch`` (:attr:`~rationalize.engine.training.TrainConfig.start_from_epoch`) defaults to the
    method's ``train_defaults`` (HardKuma: 5, the reference's rule), else 0. The returned model carries its
    training history (``history_``), the configuration it was trained with (``train_config_``) and its
    training time in seconds (``train_seconds_``)."""
    model = make_rationalizer(method, seed=seed, **params)
    defaults = method_train_defaults(method, model.encoder)
    if lr is None:
        lr = 2e-5 if model.encoder not in WORD_VECTOR_ENCODERS else defaults.get("lr", 1e-3)
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, patience=patience, monitor="objective",
                      mode="min", progress=progress, max_steps_per_epoch=max_steps_per_epoch,
                      weight_decay=defaults.get("weight_decay", 0.0), bucket=bucket,
                      start_from_epoch=int(defaults.get("start_from_epoch", 0) if start_from_epoch is None
                                           else start_from_epoch))
    model.train_config_ = cfg
    start = time.perf_counter()
    model.fit(dataset, train_split, val_split, cfg, out_dir=out)
    model.train_seconds_ = time.perf_counter() - start
    if out is not None:
        model.save(out)
    return model

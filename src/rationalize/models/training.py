"""Training document classifiers: build one, fit it with the shared loop, score it.

:func:`train_classifier` is what ``rationalize train classifier`` runs, and what FRESH uses to train its
support model: it builds a classifier (:func:`build_classifier`: MiniLM or any Hugging Face model, or our
BiGRU/CNN encoders over word vectors), fits it with :func:`rationalize.engine.training.fit` (early stopping
on validation accuracy, a checkpoint every epoch, resume after a kill, seed, progress bar) and saves it in
``out``, from where :func:`rationalize.models.load_model` reloads it. :func:`classifier_metrics` is the
validation score that loop monitors, usable on its own for any split. With a
:class:`~rationalize.models.supervision.RationaleSupervision`, training also learns from the human
rationales (attention or input-gradient alignment, on a fraction of the examples).

Nothing here writes to stdout: results are returned, and the command line prints them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rationalize.data.schema import Dataset
from rationalize.engine.training import TrainConfig, TrainHistory, fit, seed_everything
from rationalize.metrics.task import classification_prf
from rationalize.models.base import TextClassifier
from rationalize.models.supervision import RationaleSupervision, attach_rationales, check_rationales, collate_supervised
from rationalize.models.windows import example_input

HF_ENCODERS = ("minilm", "hf", "transformer")
"""Encoder names that mean a Hugging Face transformer classifier (the rest are our word-vector encoders)."""


def classifier_metrics(model: TextClassifier, dataset: Dataset, split: str, batch_size: int | None = None,
                       limit: int | None = None) -> dict[str, float]:
    """Accuracy and macro-F1 of ``model`` on the labelled examples of ``split``.

    ``limit`` scores an evenly spaced subset of that many examples instead, so that validating a slow model
    every epoch stays cheap while still covering the whole split."""
    examples = [ex for ex in dataset[split] if ex.label is not None]
    if limit is not None and limit < len(examples):
        examples = [examples[int(i)] for i in np.linspace(0, len(examples) - 1, limit).round()]
    probs = model.predict_proba([example_input(dataset, ex) for ex in examples], batch_size)
    pred = [model.labels[int(i)] for i in probs.argmax(1)]
    gold = [str(ex.label) for ex in examples]
    prf = classification_prf(gold, pred, model.labels)
    acc = sum(p == g for p, g in zip(pred, gold)) / max(1, len(gold))
    macro = prf.get("macro avg", {}).get("f1-score", prf.get("macro_f1", float("nan")))
    return {"accuracy": float(acc), "macro_f1": float(macro)}


def build_classifier(encoder: str, dataset: Dataset, *, model: str = "minilm", vectors: str | None = "glove50",
                     window_size: int | None = None, overlap: int | None = None, hidden: int = 128,
                     seed: int = 0, train_split: str = "train", **model_kw: Any) -> Any:
    """A fresh (untrained) classifier for ``dataset``'s labels, seeded with ``seed``.

    ``encoder`` ``minilm`` (or ``hf``/``transformer``) gives a Hugging Face classifier over the base model
    ``model`` (alias, folder or hub name) reading ``window_size``-piece windows that share ``overlap`` pieces;
    ``bigru`` or ``cnn`` gives our encoder with ``hidden`` units over ``vectors`` (``glove50``, ``spacy-md`` or
    None for trained-from-scratch embeddings), whose vocabulary comes from ``train_split``."""
    seed_everything(seed)
    if encoder in HF_ENCODERS:
        from rationalize.models.hf_classifier import HFClassifier

        return HFClassifier(model, dataset.labels, window_size, overlap)
    from rationalize.models.classifier import EncoderClassifier

    return EncoderClassifier.build(dataset, encoder=encoder, vectors=vectors, hidden=hidden, seed=seed,
                                   split=train_split, **model_kw)


def train_classifier(dataset: Dataset, encoder: str, out: str | Path | None, *, epochs: int = 5,
                     lr: float | None = None, batch_size: int = 16, seed: int = 0, patience: int = 2,
                     max_windows: int | None = None, train_split: str = "train", val_split: str = "val",
                     progress: bool = True, max_steps_per_epoch: int | None = None, val_limit: int | None = None,
                     supervision: RationaleSupervision | None = None, **build_kw: Any) -> tuple[Any, TrainHistory]:
    """Build (:func:`build_classifier`, with ``build_kw``), fit and, with ``out``, save a classifier.

    Returns ``(model, history)``; ``history.best_epoch`` and ``history.best_value`` (validation accuracy)
    summarise the run. ``lr`` defaults to 3e-5 for transformers and 1e-3 for our encoders. Validation uses
    ``val_split`` when the dataset has a non-empty one, else ``train_split``; ``out`` also holds the
    checkpoints a killed run resumes from.

    ``supervision`` (:class:`~rationalize.models.supervision.RationaleSupervision`) adds a loss aligning the
    model's attention or input gradients with the human rationales of ``train_split`` (an error when it has
    none); with λ = 0 or fraction 0 training is exactly the unsupervised run."""
    if supervision is not None and supervision.weight > 0:
        check_rationales(dataset, train_split)  # before a model is built
    model = build_classifier(encoder, dataset, seed=seed, train_split=train_split, **build_kw)
    items: list[Any] = model.training_windows(dataset, train_split, max_windows=max_windows, seed=seed)
    collate = model.collate_labelled
    if supervision is not None and supervision.active:
        items = attach_rationales(dataset, train_split, items, supervision)

        def collate(batch: list[Any]) -> Any:
            return collate_supervised(model, batch, supervision)
    if lr is None:
        lr = 3e-5 if encoder in HF_ENCODERS else 1e-3
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, patience=patience,
                      monitor="accuracy", mode="max", progress=progress, grad_clip=1.0,
                      max_steps_per_epoch=max_steps_per_epoch)
    has_val = val_split in dataset.splits and len(dataset[val_split]) > 0
    eval_split = val_split if has_val else train_split

    def evaluate(m: Any) -> dict[str, float]:
        return classifier_metrics(m, dataset, eval_split, batch_size=max(batch_size, 32), limit=val_limit)

    history = fit(model, items, collate, evaluate, cfg, out_dir=out)
    if out is not None:
        model.save(out)
    return model, history

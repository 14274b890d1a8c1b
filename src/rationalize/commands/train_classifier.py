"""``rationalize train classifier``: fit a document classifier (MiniLM, BiGRU or CNN) on a dataset.

Training goes through the shared loop :func:`rationalize.engine.training.fit` (early stopping on the
validation metric, checkpoints every epoch, resume after a kill, seed, progress bar); the finished model
is saved in ``--out`` and reloads with :func:`rationalize.models.load_model`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def classifier_metrics(model: Any, dataset: Any, split: str, batch_size: int | None = None,
                       limit: int | None = None) -> dict[str, float]:
    """Accuracy and macro-F1 of ``model`` on the labelled examples of ``split`` (``limit``: an evenly
    spaced subset of that many examples, for cheap validation of slow models)."""
    import numpy as np

    from rationalize.metrics.task import classification_prf
    from rationalize.models.windows import example_input

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


def build_classifier(encoder: str, dataset: Any, *, model: str = "minilm", vectors: str | None = "glove50",
                     window_size: int | None = None, overlap: int | None = None, hidden: int = 128,
                     seed: int = 0, train_split: str = "train", **model_kw: Any) -> Any:
    """A fresh classifier for ``dataset``'s labels: ``minilm`` (or any HF model via ``model``) or our
    ``bigru``/``cnn`` encoders with ``vectors`` (``glove50``, ``spacy-md`` or None)."""
    from rationalize.engine.training import seed_everything

    seed_everything(seed)
    if encoder in ("minilm", "hf", "transformer"):
        from rationalize.models.hf_classifier import HFClassifier

        return HFClassifier(model, dataset.labels, window_size, overlap)
    from rationalize.models.classifier import EncoderClassifier

    return EncoderClassifier.build(dataset, encoder=encoder, vectors=vectors, hidden=hidden, seed=seed, split=train_split,
                                   **model_kw)


def train_classifier(dataset: Any, encoder: str, out: str | Path | None, *, epochs: int = 5, lr: float | None = None,
                     batch_size: int = 16, seed: int = 0, patience: int = 2, max_windows: int | None = None,
                     train_split: str = "train", val_split: str = "val", progress: bool = True,
                     max_steps_per_epoch: int | None = None, val_limit: int | None = None, **build_kw: Any) -> tuple[Any, Any]:
    """Build, fit (shared loop) and save a classifier; returns ``(model, history)``."""
    from rationalize.engine.training import TrainConfig, fit

    model = build_classifier(encoder, dataset, seed=seed, train_split=train_split, **build_kw)
    items = model.training_windows(dataset, train_split, max_windows=max_windows, seed=seed)
    if lr is None:
        lr = 3e-5 if encoder in ("minilm", "hf", "transformer") else 1e-3
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, patience=patience,
                      monitor="accuracy", mode="max", progress=progress, grad_clip=1.0,
                      max_steps_per_epoch=max_steps_per_epoch)
    has_val = val_split in dataset.splits and len(dataset[val_split]) > 0
    eval_split = val_split if has_val else train_split

    def evaluate(m: Any) -> dict[str, float]:
        return classifier_metrics(m, dataset, eval_split, batch_size=max(batch_size, 32), limit=val_limit)

    history = fit(model, items, model.collate_labelled, evaluate, cfg, out_dir=out)
    if out is not None:
        model.save(out)
    return model, history


def register(app: typer.Typer) -> None:
    from rationalize.cli import train_app

    @train_app.command("classifier")
    def classifier(
        data: str = typer.Option(..., "--data", help="Dataset path or spec (e.g. synthetic:train=200 or a movies folder)."),
        encoder: str = typer.Option("bigru", "--encoder", help="minilm, bigru or cnn."),
        out: Path = typer.Option(..., "--out", help="Folder for checkpoints and the saved model."),
        model: str = typer.Option("minilm", "--model", help="Base HF model for --encoder minilm (alias, folder or hub name)."),
        vectors: str = typer.Option("glove50", "--vectors", help="Word vectors for bigru/cnn: glove50, spacy-md or none."),
        epochs: int = typer.Option(5, "--epochs"),
        lr: float = typer.Option(None, "--lr", help="Learning rate (default 3e-5 for minilm, 1e-3 otherwise)."),
        batch_size: int = typer.Option(16, "--batch-size"),
        seed: int = typer.Option(0, "--seed"),
        patience: int = typer.Option(2, "--patience", help="Epochs without validation improvement before stopping."),
        window_size: int = typer.Option(None, "--window-size", help="Pieces per window (minilm; default model limit)."),
        overlap: int = typer.Option(None, "--overlap", help="Pieces shared by consecutive windows (minilm)."),
        max_windows: int = typer.Option(None, "--max-windows", help="Train on at most this many windows per document."),
        hidden: int = typer.Option(128, "--hidden", help="Hidden size of bigru/cnn."),
        max_steps: int = typer.Option(None, "--max-steps-per-epoch"),
        val_limit: int = typer.Option(None, "--val-limit", help="Validate on an evenly spaced subset of this many examples."),
        threads: int = typer.Option(None, "--threads", help="torch threads (default: torch's choice)."),
        progress: bool = typer.Option(True, "--progress/--no-progress"),
    ) -> None:
        """Train a document classifier with early stopping on val; resumes from OUT/checkpoint.pt."""
        import torch

        from rationalize.data import load_dataset

        if threads:
            torch.set_num_threads(threads)
        if encoder not in ("minilm", "bigru", "cnn"):
            raise typer.BadParameter(f"unknown encoder {encoder!r}; choose minilm, bigru or cnn", param_hint="--encoder")
        ds = load_dataset(data)
        ds.check_split("train")  # names the splits there are, before a model is built
        _, hist = train_classifier(ds, encoder, out, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
                                   patience=patience, max_windows=max_windows, progress=progress, max_steps_per_epoch=max_steps, val_limit=val_limit,
                                   model=model, vectors=None if vectors == "none" else vectors, window_size=window_size,
                                   overlap=overlap, hidden=hidden)
        typer.echo(f"saved {out} (best epoch {hist.best_epoch}, val accuracy {hist.best_value:.4f})")

"""``rationalize train classifier``: fit a document classifier (MiniLM, BiGRU or CNN) on a dataset.

This module only reads the options and prints the outcome; the training itself is
:func:`rationalize.models.training.train_classifier` (the shared loop :func:`rationalize.engine.training.fit`:
early stopping on the validation metric, checkpoints every epoch, resume after a kill, seed, progress bar).
The finished model is saved in ``--out`` and reloads with :func:`rationalize.models.load_model`.
``--rationale-supervision``, ``--supervised-fraction`` and ``--supervision-target`` add the human-rationale
loss of :mod:`rationalize.models.supervision`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from rationalize.commands.groups import train_app


def register(app: typer.Typer) -> None:
    """Add ``train classifier`` to the ``train`` group."""

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
        train_limit: int = typer.Option(None, "--train-limit", min=1,
                                        help="Train on this many examples drawn with --seed (quick runs)."),
        low_memory: bool = typer.Option(False, "--low-memory", help="Bound memory growth over long epochs "
                                        "(glibc: fixed mmap threshold; about half the peak, slower steps)."),
        threads: int = typer.Option(None, "--threads", help="torch threads (default: torch's choice)."),
        progress: bool = typer.Option(True, "--progress/--no-progress"),
        rationale_supervision: float = typer.Option(0.0, "--rationale-supervision",
                                                    help="Weight (lambda) of the loss aligning the model's attributions "
                                                    "with the human rationales (0: labels only)."),
        supervised_fraction: float = typer.Option(1.0, "--supervised-fraction",
                                                  help="Fraction of training examples with rationales that get the "
                                                  "rationale loss (drawn with --seed)."),
        supervision_target: str = typer.Option("attention", "--supervision-target",
                                               help="What is aligned: attention (pooling / last-layer [CLS] "
                                               "attention) or gradient (right for the right reasons)."),
    ) -> None:
        """Train a document classifier with early stopping on val; resumes from OUT/checkpoint.pt."""
        import torch

        from rationalize.data import load_splits
        from rationalize.models.training import train_classifier

        if threads:
            torch.set_num_threads(threads)
        if low_memory:
            from rationalize.engine.training import bound_heap_growth

            bound_heap_growth()
        if encoder not in ("minilm", "bigru", "cnn"):
            raise typer.BadParameter(f"unknown encoder {encoder!r}; choose minilm, bigru or cnn", param_hint="--encoder")
        from rationalize.models.supervision import RationaleSupervision

        supervision = RationaleSupervision(rationale_supervision, supervised_fraction, supervision_target, seed)
        # only train and val are read (a missing train names the splits there are, before a model is built)
        ds = load_splits(data, ["train"], ["val"]).subsample("train", train_limit, seed)
        _, hist = train_classifier(ds, encoder, out, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
                                   patience=patience, max_windows=max_windows, progress=progress, max_steps_per_epoch=max_steps, val_limit=val_limit,
                                   model=model, vectors=None if vectors == "none" else vectors, window_size=window_size,
                                   overlap=overlap, hidden=hidden, supervision=supervision)
        typer.echo(f"saved {out} (best epoch {hist.best_epoch}, val accuracy {hist.best_value:.4f})")

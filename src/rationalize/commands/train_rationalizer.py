"""``rationalize train rationalizer``: train a select-then-predict rationalizer and save it.

Methods: ``lei2016`` (REINFORCE), ``gumbel`` (straight-through Gumbel-sigmoid), ``hardkuma`` (HardKuma
with Lagrangian relaxation), ``a2r``, ``fresh`` (explainer-extracted rationales + fresh predictor),
``refer``, and the sentence-level ``sentence-a2r`` / ``sentence-gumbel`` (whole sentences kept or dropped,
``--sparsity`` a fraction of sentences; the dataset's documents need sentence bounds); any of them
with ``--noise-injection RATE`` (Storek et al., 2023) and with ``--rationale-supervision λ`` /
``--supervised-fraction f`` (a rationale loss against the human masks of a seeded fraction of the
training examples; see ``docs/supervision.md``). This module only reads the options and prints the
outcome; training is :func:`rationalize.rationalizers.select_predict.training.train_rationalizer` (the
shared loop: early stopping on the validation objective, checkpoints, resume from ``--out``). The saved
folder reloads with :func:`rationalize.models.load_model` and predicts with ``rationalize predict --model OUT``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from rationalize.commands.groups import train_app

ENCODER_NAMES = ("bigru", "cnn", "minilm")


def __getattr__(name: str) -> Any:
    """``METHOD_NAMES``: the select-then-predict registry's names, read when asked for (importing the
    registry imports torch, which the command line only pays for when a command runs)."""
    if name == "METHOD_NAMES":
        from rationalize.rationalizers.select_predict import METHODS

        return tuple(METHODS.available())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register(app: typer.Typer) -> None:
    """Add ``train rationalizer`` to the ``train`` group."""

    @train_app.command("rationalizer")
    def rationalizer(
        data: str = typer.Option(..., "--data", help="Dataset path or spec (e.g. synthetic or a movies folder)."),
        method: str = typer.Option(..., "--method", help="lei2016, gumbel, hardkuma, a2r, fresh, refer, "
                                    "sentence-a2r or sentence-gumbel (whole sentences)."),
        out: Path = typer.Option(..., "--out", help="Folder for checkpoints and the saved model."),
        encoder: str = typer.Option("bigru", "--encoder", help="bigru, cnn (word vectors), minilm, or a folder holding a Hugging Face encoder "
                                                  "(e.g. a fine-tuned classifier's hf/ folder, to warm-start from it)."),
        noise_injection: float = typer.Option(0.0, "--noise-injection", help="Noise-injection rate (0 = off)."),
        noise_token_probability: str = typer.Option("tfidf", "--noise-token-probability",
                                                     help="tfidf (low tf-idf words replaced more often) or uniform."),
        noise_replacement: str = typer.Option("tfidf", "--noise-replacement",
                                              help="Replacement word distribution: tfidf, unigram or uniform."),
        sparsity: float = typer.Option(None, "--sparsity", help="Target fraction of words, of sentences for "
                                      "sentence-* (default: human rationales' fraction on train)."),
        continuity: float = typer.Option(None, "--continuity", help="Allowed transitions per word (default: human rationales' rate)."),
        sparsity_weight: float = typer.Option(1.0, "--sparsity-weight"),
        continuity_weight: float = typer.Option(1.0, "--continuity-weight"),
        complement_weight: float = typer.Option(0.0, "--complement-weight", help="Complement control (Yu et al., 2019); 0 = off."),
        input_mode: str = typer.Option(None, "--input-mode", help="mask or delete (default: mask; delete for fresh)."),
        embeddings: str = typer.Option("glove50", "--embeddings", help="Word vectors for bigru/cnn: glove50, spacy-md or none."),
        hidden: int = typer.Option(100, "--hidden", help="GRU hidden size per direction / CNN channels."),
        predictor_encoder: str = typer.Option(None, "--predictor-encoder",
                                              help="The predictor's encoder if not --encoder's: bigru or cnn "
                                              "(with a bigru/cnn generator)."),
        predictor_hidden: int = typer.Option(None, "--predictor-hidden", min=1,
                                             help="The predictor's size if not --hidden's."),
        max_length: int = typer.Option(2048, "--max-length", help="Document words kept per example."),
        warmup_steps: int = typer.Option(50, "--warmup-steps", help="Steps before the sparsity terms ramp in."),
        predictor_warmup_steps: int = typer.Option(0, "--predictor-warmup-steps",
                                                   help="First steps that train the predictor alone on whole documents."),
        extractor: str = typer.Option("attention", "--extractor", help="fresh: explainer that extracts rationales."),
        rationale_type: str = typer.Option("topk", "--rationale-type", help="fresh: topk, contiguous or threshold."),
        trained_extractor: bool = typer.Option(False, "--trained-extractor/--no-trained-extractor",
                                               help="fresh: train a tagger on the support model's rationales and extract with it."),
        tagger_epochs: int = typer.Option(5, "--tagger-epochs", help="fresh: epochs of the trained extractor."),
        support_model: Path = typer.Option(None, "--support-model",
                                           help="fresh: a saved classifier (train classifier --out) used as the support model instead of training one."),
        epochs: int = typer.Option(10, "--epochs"),
        batch_size: int = typer.Option(32, "--batch-size"),
        lr: float = typer.Option(None, "--lr", help="Learning rate (default 1e-3; 2e-5 for minilm)."),
        patience: int = typer.Option(3, "--patience"),
        start_from_epoch: int = typer.Option(None, "--start-from-epoch", min=0,
                                             help="Keep no model from epochs 1..N, nor count them toward --patience "
                                             "(default: the method's; hardkuma 5, as its reference; else 0)."),
        seed: int = typer.Option(0, "--seed"),
        max_steps: int = typer.Option(None, "--max-steps-per-epoch"),
        bucket: int = typer.Option(0, "--bucket", min=0,
                                   help="Batches of similar length: sort pools of N batches by length (0: random "
                                   "batches). Faster on long, uneven documents with --encoder bigru (fresh: its predictor)."),
        train_limit: int = typer.Option(None, "--train-limit", min=1,
                                        help="Train on this many examples drawn with --seed (quick runs)."),
        low_memory: bool = typer.Option(False, "--low-memory", help="Bound memory growth over long epochs "
                                        "(glibc: fixed mmap threshold; about half the peak, slower steps)."),
        threads: int = typer.Option(None, "--threads", help="torch threads (default: torch's choice)."),
        progress: bool = typer.Option(True, "--progress/--no-progress"),
        rationale_supervision: float = typer.Option(0.0, "--rationale-supervision",
                                                    help="Weight (lambda) of the rationale loss on the generator's "
                                                    "selection against the human rationales (0: labels only; "
                                                    "fresh: supervises its support model and tagger)."),
        supervised_fraction: float = typer.Option(1.0, "--supervised-fraction",
                                                  help="Fraction of training examples with rationales that get the "
                                                  "rationale loss (drawn with --seed)."),
    ) -> None:
        """Train a select-then-predict rationalizer; resumes from OUT/checkpoint.pt after a kill."""
        import torch

        from rationalize.data import load_splits
        from rationalize.models.supervision import check_weight_and_fraction
        from rationalize.rationalizers.select_predict import METHODS, NoiseInjection
        from rationalize.rationalizers.select_predict.framework import predictor_encoder_error
        from rationalize.rationalizers.select_predict.training import train_rationalizer

        if method not in METHODS:
            raise typer.BadParameter(f"unknown method {method!r}; choose from {', '.join(METHODS.available())}",
                                     param_hint="--method")
        if continuity is not None and METHODS.get(method).unit == "sentence":
            raise typer.BadParameter(f"{method} selects whole sentences and has no continuity term", param_hint="--continuity")
        if encoder not in ENCODER_NAMES and not (Path(encoder) / "config.json").is_file():
            raise typer.BadParameter(f"unknown encoder {encoder!r}; choose from {', '.join(ENCODER_NAMES)} or a Hugging Face model folder", param_hint="--encoder")
        if (msg := predictor_encoder_error(encoder, predictor_encoder)) is not None:
            raise typer.BadParameter(msg, param_hint="--predictor-encoder")
        if method == "fresh" and (predictor_encoder is not None or predictor_hidden is not None):
            raise typer.BadParameter("fresh's predictor is --encoder/--hidden", param_hint="--predictor-encoder")
        check_weight_and_fraction(rationale_supervision, supervised_fraction)
        if threads:
            torch.set_num_threads(threads)
        if low_memory:
            from rationalize.engine.training import bound_heap_growth

            bound_heap_growth()
        # only train and val are read (a missing train names the splits there are, before any network is built)
        ds = load_splits(data, ["train"], ["val"]).subsample("train", train_limit, seed)
        params: dict[str, Any] = dict(
            encoder=encoder, embeddings=None if embeddings == "none" else embeddings, hidden=hidden,
            predictor_encoder=predictor_encoder, predictor_hidden=predictor_hidden, sparsity=sparsity,
            continuity=continuity, sparsity_weight=sparsity_weight, continuity_weight=continuity_weight,
            complement_weight=complement_weight, max_length=max_length, warmup_steps=warmup_steps,
            predictor_warmup_steps=predictor_warmup_steps, rationale_supervision=rationale_supervision,
            supervised_fraction=supervised_fraction,
            noise_injection=NoiseInjection(noise_injection, noise_token_probability, noise_replacement) if noise_injection > 0 else None,
        )
        if input_mode is not None:
            params["input_mode"] = input_mode
        if method == "fresh":
            params.update(extractor=extractor, rationale_type=rationale_type,
                          support_model=str(support_model) if support_model else None,
                          trained_extractor=trained_extractor, tagger_epochs=tagger_epochs)
        elif support_model is not None:
            raise typer.BadParameter("only fresh uses a support model", param_hint="--support-model")
        model = train_rationalizer(ds, method, out, epochs=epochs, batch_size=batch_size, lr=lr, patience=patience,
                                   seed=seed, progress=progress, max_steps_per_epoch=max_steps, bucket=bucket,
                                   start_from_epoch=start_from_epoch, **params)
        h = model.history_
        best = h.epochs[h.best_epoch - 1] if h.best_epoch else {}
        rate = "sentence_rate" if model.unit == "sentence" else "selection_rate"  # in the target's unit
        typer.echo(f"saved {out} ({method}, best epoch {h.best_epoch}, val accuracy {best.get('val_accuracy', float('nan')):.4f}, "
                   f"val {rate.replace('_', ' ')} {best.get('val_' + rate, float('nan')):.4f} (target {model.sparsity_:.4f}), "
                   f"{model.train_seconds_:.0f}s)")

"""``rationalize explain``: post-hoc rationales of a saved classifier as an ERASER results file."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from rationalize.commands._model_options import (
    ADDRESS_OPTION,
    BACKEND_OPTION,
    EXECUTOR_OPTION,
    LABELS_OPTION,
    QUERY_OPTION,
    cli_executor,
    load_cli_model,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rationalize`` app (called once by :mod:`rationalize.cli`)."""
    @app.command("explain")
    def explain(
        model: Path = typer.Option(..., "--model", help="A saved classifier folder (rationalize train classifier) or "
                                   "a plain Hugging Face classifier folder (save_pretrained, with its tokenizer)."),
        data: str = typer.Option(..., "--data", help="Dataset path or spec."),
        split: str = typer.Option("test", "--split"),
        method: str = typer.Option(..., "--method", help="saliency, input-x-gradient, integrated-gradients, deeplift, "
                                   "occlusion, lime, kernel-shap, attention, attention-rollout, random (+ attention-last, attention-mean)."),
        out: Path = typer.Option(..., "--out", help="Results JSONL (resumes: annotations already there are skipped)."),
        faithfulness: bool = typer.Option(False, "--faithfulness", help="Add comprehensiveness/sufficiency/AOPC fields."),
        discretizer: str = typer.Option("top-k", "--discretizer", help="top-k, threshold, top-k-spans or top-sentences."),
        k: float | None = typer.Option(None, "--k", help="Tokens kept by top-k (count, or fraction if < 1); "
                                          "default: the dataset's mean human rationale length (ERASER)."),
        threshold: float = typer.Option(0.5, "--threshold", help="For --discretizer threshold (scores / max |score|)."),
        span_length: int = typer.Option(5, "--span-length", help="For --discretizer top-k-spans."),
        n_sentences: int = typer.Option(1, "--sentences", help="For --discretizer top-sentences."),
        target: str | None = typer.Option(None, "--target", help="Explain this label instead of the predicted one."),
        aggregation: str = typer.Option("sum", "--aggregation", help="Sub-word pieces -> token: sum, mean or max-abs."),
        params: str | None = typer.Option(None, "--params", help='Method parameters as JSON, e.g. \'{"n_steps": 50}\'.'),
        batch_size: int = typer.Option(16, "--batch-size", help="Windows per forward/backward pass."),
        limit: int | None = typer.Option(None, "--limit", help="Only the first N examples."),
        seed: int = typer.Option(0, "--seed"),
        threads: int | None = typer.Option(None, "--threads", help="torch threads."),
        progress: bool = typer.Option(True, "--progress/--no-progress"),
        labels: str | None = LABELS_OPTION,
        query: str = QUERY_OPTION,
        backend: str = BACKEND_OPTION,
        executor: str = EXECUTOR_OPTION,
        address: str | None = ADDRESS_OPTION,
    ) -> None:
        """Explain MODEL's predictions on SPLIT with METHOD and write ERASER results that
        ``rationalize evaluate`` scores."""
        import torch

        from rationalize.data import load_dataset
        from rationalize.rationalizers.posthoc import explain_dataset, get_explainer

        if threads:
            torch.set_num_threads(threads)
        torch.manual_seed(seed)
        try:
            extra = json.loads(params) if params else {}
        except json.JSONDecodeError as exc:
            raise typer.BadParameter(f"not valid JSON ({exc.msg})", param_hint="--params") from None
        ds = load_dataset(data, splits=[split])  # a missing split fails here, before the model is loaded
        if k is None and not ds.mean_rationale_length(split) and ds.unloaded_ids:
            ds = load_dataset(data)  # the default k falls back on another split's human rationale length
        with cli_executor(executor, address) as runner:
            clf = load_cli_model(model, ds, labels, query, backend)
            try:
                explainer = get_explainer(method, clf, aggregation=aggregation, batch_size=batch_size, seed=seed,
                                          **extra)
            except (ValueError, TypeError) as exc:
                raise typer.BadParameter(str(exc), param_hint="--method") from None
            tmp = out if not faithfulness else out.with_name(out.name + ".rationales.jsonl")
            results = explain_dataset(explainer, ds, split, target=target, discretizer=discretizer, k=k, limit=limit,
                                      out_path=tmp, progress=progress, t=threshold, span_length=span_length,
                                      n_sentences=n_sentences, executor=runner)
            if faithfulness:
                from rationalize.engine import FaithfulnessEngine

                results = FaithfulnessEngine(clf, progress=progress, executor=runner).run(ds, split, results,
                                                                                          out_path=out)
                tmp.unlink(missing_ok=True)
        typer.echo(f"{len(results)} explanations ({method}) -> {out}")

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
                                   "occlusion, lime, kernel-shap, attention, attention-rollout, random (+ attention-last, "
                                   "attention-mean); several comma-separated share one prediction and tokenisation "
                                   "of each example."),
        out: Path = typer.Option(..., "--out", help="Results JSONL (resumes: annotations already there are skipped). "
                                 "With several methods, one file each: {method} in the path is replaced by the "
                                 "method's name, else it goes before the suffix (out.jsonl -> out.lime.jsonl)."),
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
        from rationalize.rationalizers.posthoc import explain_methods, get_explainer

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
        methods = [m.strip() for m in method.split(",")]
        if not all(methods) or len(set(methods)) != len(methods):
            raise typer.BadParameter(f"{method!r}: give each method once, comma-separated", param_hint="--method")
        outs = method_paths(out, methods)
        with cli_executor(executor, address) as runner:
            clf = load_cli_model(model, ds, labels, query, backend)
            explainers = {}
            for m in methods:
                try:
                    explainers[m] = get_explainer(m, clf, aggregation=aggregation, batch_size=batch_size, seed=seed,
                                                  **extra)
                except (ValueError, TypeError) as exc:
                    raise typer.BadParameter(f"{m}: {exc}" if len(methods) > 1 else str(exc),
                                             param_hint="--method") from None
            tmps = {m: p if not faithfulness else p.with_name(p.name + ".rationales.jsonl") for m, p in outs.items()}
            inputs: dict = {}  # each example's input, tokenised once for every method and the faithfulness pass
            results = explain_methods(explainers, ds, split, target=target, discretizer=discretizer, k=k, limit=limit,
                                      out_paths=tmps, progress=progress, t=threshold, span_length=span_length,
                                      n_sentences=n_sentences, executor=runner, inputs=inputs)
            if faithfulness:
                from rationalize.engine import FaithfulnessEngine

                engine = FaithfulnessEngine(clf, progress=progress, executor=runner)
                for m in methods:  # the explanations' own predictions are reused: no unperturbed input is rerun
                    results[m] = engine.run(ds, split, results[m], out_path=outs[m], sources=inputs)
                    tmps[m].unlink(missing_ok=True)
        for m in methods:
            typer.echo(f"{len(results[m])} explanations ({m}) -> {outs[m]}")


def method_paths(out: Path, methods: list[str]) -> dict[str, Path]:
    """The results file of each method: ``out`` itself for one method; for several, ``{method}`` in ``out``
    replaced by the method's name, or the name put before the suffix (``out.jsonl`` -> ``out.lime.jsonl``)."""
    if len(methods) == 1:
        return {methods[0]: out}
    if "{method}" in str(out):
        return {m: Path(str(out).replace("{method}", m)) for m in methods}
    return {m: out.with_name(f"{out.stem}.{m}{out.suffix}") for m in methods}

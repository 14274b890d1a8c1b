"""``rationalize predict``: plain predictions of any saved model as an ERASER results file."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

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
    @app.command("predict")
    def predict(
        model: Path = typer.Option(..., "--model", help="A saved rationalize model folder (has rationalize.json) or "
                                   "a plain Hugging Face classifier folder (save_pretrained, with its tokenizer)."),
        data: str = typer.Option(..., "--data", help="Dataset path or spec."),
        split: str = typer.Option("test", "--split"),
        out: Path = typer.Option(..., "--out", help="Results JSONL to write."),
        batch_size: int | None = typer.Option(None, "--batch-size", help="Windows / examples per forward pass."),
        faithfulness: bool = typer.Option(False, "--faithfulness", help="Add comprehensiveness/sufficiency/AOPC "
                                          "(only meaningful for models whose results carry rationales)."),
        threads: int | None = typer.Option(None, "--threads", help="torch threads."),
        labels: str | None = LABELS_OPTION,
        query: str = QUERY_OPTION,
        rule: str = typer.Option("own", "--rule", help="Select-then-predict models: the hard rationale the "
                                 "predictor reads, the method's own or top-k (exactly k words per document: "
                                 "methods compared at equal sparsity)."),
        k: float | None = typer.Option(None, "--k", help="--rule top-k: a fraction of each document's words "
                                       "(below 1) or a word count (default: the model's sparsity target)."),
        backend: str = BACKEND_OPTION,
        executor: str = EXECUTOR_OPTION,
        address: str | None = ADDRESS_OPTION,
    ) -> None:
        """Predict SPLIT with MODEL (classifier or rationalizer) and write ERASER results."""
        from rationalize.data import load_dataset
        from rationalize.data.results import write_results

        if threads:
            import torch

            torch.set_num_threads(threads)
        ds = load_dataset(data, splits=[split])  # a split it lacks fails here, before the model is loaded
        with cli_executor(executor, address) as runner:
            clf = load_cli_model(model, ds, labels, query, backend)
            if not hasattr(clf, "predict_results"):
                raise typer.BadParameter(f"{type(clf).__name__} has no predict_results()", param_hint="--model")
            from rationalize.models.base import predict_dataset

            results = predict_dataset(clf, ds, split, batch_size=batch_size, executor=runner,
                                      **_rule_options(clf, model, rule, k))
            if faithfulness:
                from rationalize.engine import FaithfulnessEngine

                results = FaithfulnessEngine(clf, batch_size=batch_size, executor=runner).run(ds, split, results)
        write_results(out, results)
        n_ok = sum(r.classification == ex.label for r, ex in zip(results, ds[split]))
        typer.echo(f"{len(results)} predictions -> {out} (accuracy {n_ok / max(1, len(results)):.4f})")


def _rule_options(clf: Any, model: Path, rule: str, k: float | None) -> dict[str, Any]:
    """``predict_results`` keywords of ``--rule``/``--k`` (none at their defaults), checked: a known rule,
    a select-then-predict model, a positive ``k``."""
    if rule == "own" and k is None:
        return {}
    from rationalize.errors import OptionError
    from rationalize.rationalizers.select_predict.framework import SELECTION_RULES, SelectPredictRationalizer

    if rule not in SELECTION_RULES:
        raise OptionError("--rule", f"{rule!r} is not one of {', '.join(SELECTION_RULES)}")
    if not isinstance(clf, SelectPredictRationalizer):
        raise OptionError("--rule", f"and --k are for select-then-predict models; {model} holds a {type(clf).__name__}")
    if k is not None and not (math.isfinite(k) and k > 0):
        raise OptionError("--k", f"must be a positive fraction or word count, not {k}")
    return {"rule": rule, "k": k}


"""``rationalize evaluate`` (the official ERASER scores of a results file) and ``rationalize
faithfulness`` (fill a results file's comprehensiveness / sufficiency / AOPC fields with a model)."""

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


def _floats(values: list[str] | None, default: tuple[float, ...], name: str) -> tuple[float, ...]:
    if not values:
        return default
    out = []
    for v in values:
        for part in v.replace(",", " ").split():
            try:
                out.append(float(part))
            except ValueError:
                raise typer.BadParameter(f"{part!r} is not a number", param_hint=name) from None
    return tuple(out)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rationalize`` app (called once by :mod:`rationalize.cli`)."""
    @app.command("evaluate")
    def evaluate_cmd(
        data: str = typer.Option(..., "--data", help="Dataset (ERASER folder, NAME:PATH, ...)."),
        split: str = typer.Option(..., "--split", help="Split the results are for (train, val, test)."),
        results: Path = typer.Option(..., "--results", help="ERASER results JSONL."),
        out: Path | None = typer.Option(None, "--out", help="Write the score JSON here (official layout)."),
        iou_thresholds: list[str] | None = typer.Option(
            None, "--iou-thresholds", help="IOU thresholds, comma-separated or repeated (default 0.5)."),
        aopc_thresholds: list[str] | None = typer.Option(
            None, "--aopc-thresholds", help="AOPC bins, comma-separated or repeated (default 0.01,0.05,0.1,0.2,0.5)."),
        iou_matching: str = typer.Option("best", help="best (official) or one_to_one (recall <= 1)."),
        auprc: str = typer.Option("trapezoid", help="trapezoid (official) or average_precision."),
        aopc_zero_term: bool = typer.Option(False, help="Include the k=0 term in AOPC (the paper's equation)."),
        missing_as_empty: bool = typer.Option(
            False, "--missing-as-empty", help="Score every annotation of the split, those without a results line "
            "as empty predictions (the official scorer); default: only the annotations the file covers."),
        as_json: bool = typer.Option(False, "--json", help="Print the JSON instead of a table."),
    ) -> None:
        """Score a results file exactly as the official ERASER scorer does (same keys, same numbers)."""
        from rationalize.data import load_dataset
        from rationalize.metrics import evaluate, format_scores, validate_results
        from rationalize.metrics.evaluate import DEFAULT_AOPC, coverage

        if iou_matching not in ("best", "one_to_one"):
            raise typer.BadParameter("use best or one_to_one", param_hint="--iou-matching")
        if auprc not in ("trapezoid", "average_precision"):
            raise typer.BadParameter("use trapezoid or average_precision", param_hint="--auprc")
        ious = _floats(iou_thresholds, (0.5,), "--iou-thresholds")
        aopcs = _floats(aopc_thresholds, DEFAULT_AOPC, "--aopc-thresholds")
        ds = load_dataset(data, splits=[split])  # only this split is read and checked
        res = validate_results(ds, split, results)
        covered, total = coverage(ds, split, res)
        if covered < total and not missing_as_empty:
            typer.echo(f"note: {results} covers {covered} of {total} examples of {split}; scoring those {covered} "
                       "(use --missing-as-empty to count the rest as empty predictions)", err=True)
        scores = evaluate(ds, split, res, ious, aopcs, iou_matching=iou_matching, auprc=auprc,  # type: ignore[arg-type]
                          aopc_zero_term=aopc_zero_term, missing_as_empty=missing_as_empty)
        text = json.dumps(scores, indent=4, sort_keys=True)
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text + "\n", encoding="utf-8")
        typer.echo(text if as_json else format_scores(scores))
        if out is not None and not as_json:
            typer.echo(f"scores -> {out}")

    @app.command("faithfulness")
    def faithfulness_cmd(
        model: Path = typer.Option(..., "--model", help="A saved rationalize model folder (has rationalize.json) or "
                                   "a plain Hugging Face classifier folder (save_pretrained, with its tokenizer)."),
        data: str = typer.Option(..., "--data", help="Dataset (ERASER folder, NAME:PATH, ...)."),
        split: str = typer.Option(..., "--split", help="Split the results are for."),
        results: Path = typer.Option(..., "--results", help="ERASER results JSONL with rationales."),
        out: Path = typer.Option(..., "--out", help="Results JSONL to write (resumes if it exists)."),
        aopc_thresholds: list[str] | None = typer.Option(
            None, "--aopc-thresholds", help="AOPC bins, comma-separated or repeated (default 0.01,0.05,0.1,0.2,0.5)."),
        mode: str = typer.Option("delete", help="delete (ERASER baselines) or mask the removed tokens."),
        token_budget: int = typer.Option(16384, help="Padded dataset tokens per batch."),
        batch_size: int | None = typer.Option(None, "--batch-size",
                                              help="Windows per forward pass (default: the model's own, 8 for MiniLM)."),
        recompute_full: bool = typer.Option(False, help="Recompute the unperturbed prediction with MODEL."),
        threads: int | None = typer.Option(None, help="torch threads (default: torch's choice)."),
        labels: str | None = LABELS_OPTION,
        query: str = QUERY_OPTION,
        backend: str = BACKEND_OPTION,
        executor: str = EXECUTOR_OPTION,
        address: str | None = ADDRESS_OPTION,
    ) -> None:
        """Add comprehensiveness, sufficiency and AOPC scores computed with MODEL to a results file."""
        from rationalize.data import load_dataset
        from rationalize.engine import FaithfulnessEngine
        from rationalize.metrics import validate_results
        from rationalize.metrics.evaluate import DEFAULT_AOPC

        if threads:
            import torch

            torch.set_num_threads(threads)
        if mode not in ("delete", "mask"):
            raise typer.BadParameter("use delete or mask", param_hint="--mode")
        aopcs = _floats(aopc_thresholds, DEFAULT_AOPC, "--aopc-thresholds")
        ds = load_dataset(data, splits=[split])
        res = validate_results(ds, split, results)  # before the model is loaded: bad input fails fast
        with cli_executor(executor, address) as runner:
            clf = load_cli_model(model, ds, labels, query, backend)
            engine = FaithfulnessEngine(clf, mode=mode, token_budget=token_budget, batch_size=batch_size,  # type: ignore[arg-type]
                                        full="recompute" if recompute_full else "reuse", executor=runner)
            done = engine.run(ds, split, res, aopcs, out_path=out)
        typer.echo(f"{len(done)} results with faithfulness scores -> {out} "
                   f"({engine.n_forward_inputs_} perturbed inputs in {engine.n_batches_} batches)")

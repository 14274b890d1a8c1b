"""Free-text rationale commands: ``generate``, ``evaluate-freetext``, ``star`` and ``train explainer``.

``--model`` takes an alias (``smollm2``), a local folder, a hub id, or ``openai:MODEL@http://host:port/v1``
for an OpenAI-compatible server. See docs/freetext.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from rationalize.commands.groups import train_app

FORMAT_HELP = "explain-then-predict or predict-then-explain."
STYLE_HELP = "wt5 (text-to-text, for fine-tuned models) or cot (instruction prompt, for prompted LMs)."


def _setup(data: str, split: str, limit: int | None, fmt: str, style: str) -> tuple[Any, str, list[Any], Any]:
    from rationalize.data import load_dataset
    from rationalize.rationalizers.freetext.pipeline import resolve_split
    from rationalize.rationalizers.freetext.templates import PromptTemplate, task_for

    dataset = load_dataset(data)
    try:
        split = resolve_split(dataset, split)
    except KeyError as exc:
        raise typer.BadParameter(str(exc.args[0]), param_hint="--split") from None
    examples = dataset[split][:limit] if limit else dataset[split]
    try:
        template = PromptTemplate(task_for(dataset), fmt, style)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--format/--style") from None
    return dataset, split, examples, template


def _threads(n: int | None) -> None:
    if n:
        import torch

        torch.set_num_threads(n)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rationalize`` app (called once by :mod:`rationalize.cli`)."""
    @app.command("generate")
    def generate(
        model: str = typer.Option(..., "--model", help="Alias, folder, hub id, or openai:MODEL@URL."),
        data: str = typer.Option(..., "--data", help="Dataset path or NAME:PATH (esnli, cose, ERASER...)."),
        split: str = typer.Option(..., "--split", help="Split to explain (dev and val are the same)."),
        out: Path = typer.Option(..., "--out", help="Results JSONL (appended; a rerun resumes)."),
        limit: int | None = typer.Option(None, "--limit", help="Only the first N examples."),
        fmt: str = typer.Option("explain-then-predict", "--format", help=FORMAT_HELP),
        style: str = typer.Option("cot", "--style", help=STYLE_HELP),
        samples: int = typer.Option(1, "--samples", help="N > 1: sample N outputs and majority-vote (self-consistency)."),
        max_new_tokens: int = typer.Option(64, "--max-new-tokens"),
        temperature: float = typer.Option(0.7, "--temperature", help="Used when sampling."),
        top_p: float = typer.Option(1.0, "--top-p"),
        top_k: int = typer.Option(0, "--top-k"),
        sample: bool = typer.Option(False, "--sample/--greedy", help="Sample even with one output."),
        batch_size: int = typer.Option(8, "--batch-size"),
        seed: int = typer.Option(0, "--seed"),
        chat: bool = typer.Option(False, "--chat/--no-chat", help="Wrap prompts in the model's chat template."),
        threads: int | None = typer.Option(None, "--threads", help="torch CPU threads."),
    ) -> None:
        """Generate free-text rationales and answers, one JSONL record per example."""
        from rationalize.rationalizers.freetext.generators import GenerationConfig, load_generator
        from rationalize.rationalizers.freetext.pipeline import generate_rationales

        _threads(threads)
        dataset, split, examples, template = _setup(data, split, limit, fmt, style)
        gen = load_generator(model, chat=chat)
        cfg = GenerationConfig(max_new_tokens=max_new_tokens, do_sample=sample or samples > 1, temperature=temperature,
                               top_p=top_p, top_k=top_k, seed=seed, batch_size=batch_size)
        generate_rationales(gen, dataset, examples, template, out, cfg, samples=samples)
        typer.echo(f"wrote {out} ({len(examples)} examples of {dataset.name}/{split})")

    @app.command("evaluate-freetext")
    def evaluate_freetext(
        data: str = typer.Option(..., "--data", help="Dataset path or NAME:PATH (for gold labels and human explanations)."),
        split: str = typer.Option(..., "--split"),
        results: Path = typer.Option(..., "--results", help="JSONL written by `rationalize generate`."),
        out: Path = typer.Option(..., "--out", help="Score JSON (has a `las` entry)."),
        train_results: Path | None = typer.Option(None, "--train-results",
                                                  help="Results on a separate portion to train the LAS simulator; "
                                                       "without it the simulator is cross-validated."),
        simulator: str = typer.Option("tfidf", "--simulator", help="tfidf or minilm."),
        folds: int = typer.Option(5, "--folds"),
        n_boot: int = typer.Option(1000, "--n-boot"),
        seed: int = typer.Option(0, "--seed"),
        per_example: Path | None = typer.Option(None, "--per-example",
                                                help="Per-example scores JSONL (default: OUT with .examples.jsonl)."),
        probes_model: str | None = typer.Option(None, "--probes-model",
                                                help="Run the CoT faithfulness probes with this model."),
        chat: bool = typer.Option(False, "--chat/--no-chat"),
    ) -> None:
        """Score free-text rationales: accuracy, LAS (with CI), BLEU/ROUGE-L, length, readability."""
        from rationalize.data import load_dataset
        from rationalize.data.jsonl import write_jsonl
        from rationalize.metrics.freetext import evaluate_freetext
        from rationalize.rationalizers.freetext.pipeline import read_freetext_results, resolve_split

        dataset = load_dataset(data)
        try:
            split = resolve_split(dataset, split)
        except KeyError as exc:
            raise typer.BadParameter(str(exc.args[0]), param_hint="--split") from None
        records = read_freetext_results(results, dataset, split)
        train = read_freetext_results(train_results) if train_results else None
        gen = template = None
        if probes_model:  # loaded before scoring, so that a bad model name fails fast
            from rationalize.rationalizers.freetext.generators import load_generator
            from rationalize.rationalizers.freetext.templates import PromptTemplate, task_for

            gen = load_generator(probes_model, chat=chat)
            template = PromptTemplate(task_for(dataset), records[0].get("format", "explain-then-predict"),
                                      records[0].get("style", "cot"))
        scores, per = evaluate_freetext(records, dataset, split, train, simulator, folds, n_boot, seed)
        if gen is not None and template is not None:
            from rationalize.rationalizers.freetext.probes import probe_records

            scores["cot_probes"] = probe_records(gen, template, records)
        scores.update(results=str(results), dataset=dataset.name, split=split)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(scores, indent=2), encoding="utf-8")
        per_path = per_example or out.with_suffix(".examples.jsonl")
        write_jsonl(per_path, per)
        las = scores["las"]
        msg = f"LAS {las['las']:.3f} [{las['ci_low']:.3f}, {las['ci_high']:.3f}]" if las.get("las") is not None else "LAS n/a"
        typer.echo(f"{msg}; accuracy {scores.get('accuracy', float('nan')):.3f}; wrote {out} and {per_path}")

    @app.command("star")
    def star(
        model: str = typer.Option(..., "--model", help="Base model: alias, folder or hub id (a local model)."),
        data: str = typer.Option(..., "--data"),
        iterations: int = typer.Option(..., "--iterations"),
        out: Path = typer.Option(..., "--out", help="Run folder (rerun the same command to resume)."),
        split: str = typer.Option("train", "--split", help="Training split (falls back to the first split)."),
        limit: int | None = typer.Option(None, "--limit"),
        fmt: str = typer.Option("explain-then-predict", "--format", help=FORMAT_HELP),
        style: str = typer.Option("cot", "--style", help=STYLE_HELP),
        epochs: int = typer.Option(2, "--epochs"),
        lr: float = typer.Option(5e-5, "--lr"),
        batch_size: int = typer.Option(8, "--batch-size"),
        max_new_tokens: int = typer.Option(48, "--max-new-tokens"),
        rationalize: bool = typer.Option(True, "--rationalize/--no-rationalize",
                                         help="Retry failures with the answer as a hint."),
        restart: bool = typer.Option(True, "--restart-from-base/--continue", help="Fine-tune from the base model each iteration."),
        seed: int = typer.Option(0, "--seed"),
        chat: bool = typer.Option(False, "--chat/--no-chat"),
        threads: int | None = typer.Option(None, "--threads"),
    ) -> None:
        """STaR (Zelikman et al. 2022): bootstrap a model on its own correct rationales; resumable."""
        from rationalize.data import load_dataset
        from rationalize.rationalizers.freetext.generators import HFGenerator
        from rationalize.rationalizers.freetext.star import StarConfig, run_star
        from rationalize.rationalizers.freetext.templates import PromptTemplate, task_for

        _threads(threads)
        dataset = load_dataset(data)
        if split not in dataset.splits:
            from rationalize.rationalizers.freetext.pipeline import resolve_split

            try:
                split = resolve_split(dataset, split)
            except KeyError:
                split = next(iter(dataset.splits))
                typer.echo(f"no split {split!r}; using {split!r}", err=True)
        examples = dataset[split][:limit] if limit else dataset[split]
        template = PromptTemplate(task_for(dataset), fmt, style)
        gen = HFGenerator.from_pretrained(model, chat=chat)
        cfg = StarConfig(iterations=iterations, rationalize=rationalize, restart_from_base=restart, epochs=epochs,
                         lr=lr, batch_size=batch_size, seed=seed, max_new_tokens=max_new_tokens)
        summaries = run_star(gen, dataset, examples, template, out, cfg)
        typer.echo(json.dumps(summaries, indent=2))

    @train_app.command("explainer")
    def explainer(
        model: str = typer.Option(..., "--model", help="Model to fine-tune: alias, folder or hub id."),
        data: str = typer.Option(..., "--data", help="Dataset with human explanations (esnli, cose, ...)."),
        out: Path = typer.Option(..., "--out", help="Output folder (model/ inside; reruns resume)."),
        split: str = typer.Option("train", "--split"),
        val_split: str | None = typer.Option("val", "--val-split", help="Early-stopping split ('' for none)."),
        limit: int | None = typer.Option(None, "--limit"),
        val_limit: int | None = typer.Option(200, "--val-limit"),
        fmt: str = typer.Option("predict-then-explain", "--format", help=FORMAT_HELP),
        style: str = typer.Option("wt5", "--style", help=STYLE_HELP),
        epochs: int = typer.Option(3, "--epochs"),
        lr: float = typer.Option(5e-5, "--lr"),
        batch_size: int = typer.Option(8, "--batch-size"),
        max_length: int = typer.Option(256, "--max-length"),
        first_only: bool = typer.Option(False, "--first-explanation-only", help="One pair per example."),
        seed: int = typer.Option(0, "--seed"),
        chat: bool = typer.Option(False, "--chat/--no-chat"),
        threads: int | None = typer.Option(None, "--threads"),
    ) -> None:
        """Fine-tune a generator on human explanations (WT5 style by default)."""
        from rationalize.engine.training import TrainConfig
        from rationalize.rationalizers.freetext.generators import HFGenerator
        from rationalize.rationalizers.freetext.pipeline import resolve_split
        from rationalize.rationalizers.freetext.training import explainer_pairs, train_explainer

        _threads(threads)
        dataset, split, examples, template = _setup(data, split, limit, fmt, style)
        val_pairs = None
        if val_split:
            try:
                vs = resolve_split(dataset, val_split)
            except KeyError as exc:
                raise typer.BadParameter(str(exc.args[0]), param_hint="--val-split") from None
            if vs == split:
                raise typer.BadParameter("--val-split must differ from --split", param_hint="--val-split")
            val_ex = dataset[vs][:val_limit] if val_limit else dataset[vs]
            val_pairs = explainer_pairs(dataset, val_ex, template, all_explanations=False)
        pairs = explainer_pairs(dataset, examples, template, all_explanations=not first_only)
        gen = HFGenerator.from_pretrained(model, chat=chat)
        cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, monitor="loss", mode="min",
                          patience=2, grad_clip=1.0)
        history = train_explainer(gen, pairs, val_pairs, cfg, out_dir=out, max_length=max_length)
        summary = {"pairs": len(pairs), "val_pairs": len(val_pairs or []), "best_epoch": history.best_epoch,
                   "best_val_loss": history.best_value, "model": str(Path(out) / "model"),
                   "format": fmt, "style": style}
        (Path(out) / "explainer.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        typer.echo(json.dumps(summary, indent=2))

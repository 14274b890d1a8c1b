"""STaR: the Self-Taught Reasoner (Zelikman et al. 2022).

Each iteration ``k``:

1. *generate*: the current model writes a rationale and an answer for every training example;
2. *filter*: keep the outputs whose parsed answer equals the gold label;
3. *rationalize*: for the failures, prompt again with the right answer as a hint and keep the
   rationales that now reach it (the hint is dropped from the prompt of the training pair);
4. *fine-tune*: train on the kept rationales. As in the paper, every iteration restarts from the
   base model by default (``restart_from_base``), which avoids compounding overfitting;
5. *checkpoint*: save the model and a ``summary.json`` that marks the iteration done.

Everything is on disk under ``out_dir`` (``iter_<k>/generations.jsonl``, ``rationalizations.jsonl``,
``train_pairs.jsonl`` (the fine-tuning set, hint-free prompts), ``train/`` with the training loop's checkpoints, ``model/``, ``summary.json``) and written incrementally,
so a run that is killed at any point continues where it stopped when called again with the same
arguments: finished iterations are skipped, half-written generation files are completed, training
resumes from its last epoch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rationalize.data.jsonl import JsonlAppender, iter_jsonl, write_jsonl
from rationalize.data.schema import Dataset, Example
from rationalize.rationalizers.freetext.generators import GenerationConfig, HFGenerator
from rationalize.rationalizers.freetext.templates import PromptTemplate
from rationalize.rationalizers.freetext.training import remove_dir, train_explainer


@dataclass
class StarConfig:
    """STaR knobs. ``epochs``/``lr``/``batch_size`` are per fine-tuning round; ``keep_models`` keeps
    every iteration's model (otherwise only the latest finished one)."""

    iterations: int = 3
    rationalize: bool = True
    restart_from_base: bool = True
    epochs: int = 2
    lr: float = 5e-5
    batch_size: int = 8
    seed: int = 0
    max_new_tokens: int = 48
    gen_batch_size: int = 8
    keep_models: bool = False
    generation: dict[str, Any] = field(default_factory=dict)  # extra GenerationConfig fields


def _gen_config(cfg: StarConfig, iteration: int) -> GenerationConfig:
    return GenerationConfig(**{"max_new_tokens": cfg.max_new_tokens, "batch_size": cfg.gen_batch_size,
                               "seed": cfg.seed + 1000 * iteration, **cfg.generation})


def _read(path: Path) -> list[dict[str, Any]]:
    return [rec for _, rec in iter_jsonl(path)] if path.exists() else []


def _generate_into(
    path: Path, generator: HFGenerator, template: PromptTemplate, dataset: Dataset, examples: Sequence[Example],
    gen_cfg: GenerationConfig, hint: bool, iteration: int, callback: Callable[[str, dict[str, Any]], None] | None,
) -> list[dict[str, Any]]:
    """Generate for the examples not yet in ``path`` and append one record per example."""
    appender = JsonlAppender(path, id_field="id")
    done = appender.done_ids()
    todo = [ex for ex in examples if ex.id not in done]
    stage = "rationalize" if hint else "generate"
    with appender:
        for start in range(0, len(todo), gen_cfg.batch_size):
            chunk = todo[start : start + gen_cfg.batch_size]
            golds = [template.task.gold(ex, dataset) for ex in chunk]
            prompts = [template.prompt(ex, dataset, hint=g if hint else None) for ex, g in zip(chunk, golds)]
            outs = generator.generate(prompts, gen_cfg)
            for ex, gold, gens in zip(chunk, golds, outs):
                parsed = template.parse(gens[0].text, template.task.candidates(ex, dataset))
                appender.append({"id": ex.id, "gold": gold, "text": parsed.text, "label": parsed.label,
                                 "explanation": parsed.explanation, "status": parsed.status,
                                 "correct": parsed.ok and parsed.label == gold and bool(parsed.explanation)})
                if callback is not None:
                    callback(stage, {"iteration": iteration, "id": ex.id})
    by_id = {r["id"]: r for r in _read(path)}
    return [by_id[ex.id] for ex in examples if ex.id in by_id]


def run_star(
    generator: HFGenerator,
    dataset: Dataset,
    examples: Sequence[Example],
    template: PromptTemplate,
    out_dir: str | Path,
    config: StarConfig | None = None,
    callback: Callable[[str, dict[str, Any]], None] | None = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Run (or resume) STaR on ``examples``; returns one summary dict per iteration.

    ``generator`` is the base model; it is fine-tuned in place and ends as the last iteration's model.
    ``callback(stage, info)`` is called after every generated record and every finished iteration (for
    progress reporting, and for tests that kill the run). ``progress`` reports each finished iteration
    (see :mod:`rationalize.progress`).
    """
    from rationalize.engine.training import TrainConfig
    from rationalize.progress import Progress, format_metrics

    cfg = config or StarConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"config": asdict(cfg), "template": {"task": template.task.name, "format": template.format,
                                                "style": template.style},
            "examples": [ex.id for ex in examples], "base_model": generator.name}
    meta_path = out / "star.json"
    if meta_path.exists():
        old = json.loads(meta_path.read_text(encoding="utf-8"))
        if old.get("examples") != meta["examples"] or old.get("template") != meta["template"]:
            raise ValueError(f"{out} holds a STaR run on other examples or another template; use a new folder")
    else:
        meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")

    base_state = {k: v.detach().clone() for k, v in generator.model.state_dict().items()}
    summaries: list[dict[str, Any]] = []
    bar = Progress(cfg.iterations, "STaR", "iteration", enabled=progress)
    for k in range(1, cfg.iterations + 1):
        it_dir = out / f"iter_{k}"
        summary_path = it_dir / "summary.json"
        if summary_path.exists():
            summaries.append(json.loads(summary_path.read_text(encoding="utf-8")))
            bar.update()
            continue
        it_start = bar.elapsed
        if k > 1:  # the previous iteration's model (loaded again after a restart of the process)
            prev = out / f"iter_{k - 1}" / "model"
            loaded = HFGenerator.from_pretrained(str(prev))
            generator.model.load_state_dict(loaded.model.state_dict())
        it_dir.mkdir(parents=True, exist_ok=True)
        gen_cfg = _gen_config(cfg, k)
        generator.model.eval()
        first = _generate_into(it_dir / "generations.jsonl", generator, template, dataset, examples, gen_cfg,
                               False, k, callback)
        correct = {r["id"] for r in first if r["correct"]}
        failed = [ex for ex in examples if ex.id not in correct]
        rationalized: list[dict[str, Any]] = []
        if cfg.rationalize and failed:
            rationalized = _generate_into(it_dir / "rationalizations.jsonl", generator, template, dataset, failed,
                                          gen_cfg, True, k, callback)
        fixed = {r["id"] for r in rationalized if r["correct"]}
        by_id = {r["id"]: r for r in first} | {r["id"]: r for r in rationalized if r["correct"]}
        # training pairs use the prompt WITHOUT the hint
        pairs = [(template.prompt(ex, dataset), template.target(by_id[ex.id]["gold"], by_id[ex.id]["explanation"]))
                 for ex in examples if ex.id in correct or ex.id in fixed]
        write_jsonl(it_dir / "train_pairs.jsonl", [{"prompt": p, "target": t} for p, t in pairs])
        if cfg.restart_from_base:
            generator.model.load_state_dict(base_state)
        n_train = len(pairs)
        if pairs:
            train_cfg = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, seed=cfg.seed + k,
                                    monitor="loss", mode="min", patience=cfg.epochs, progress=False)
            train_explainer(generator, pairs, config=train_cfg, out_dir=it_dir)
        else:
            generator.save(it_dir / "model")
        summary = {"iteration": k, "examples": len(examples), "correct": len(correct),
                   "accuracy": len(correct) / max(len(examples), 1),
                   "unparseable": sum(1 for r in first if r["status"] != "ok"),
                   "rationalized": len(fixed), "rationalization_attempts": len(failed) if cfg.rationalize else 0,
                   "train_pairs": n_train}
        summary_path.write_text(json.dumps(summary, indent=2), encoding="utf-8")
        if not cfg.keep_models and k > 1:
            remove_dir(out / f"iter_{k - 1}" / "model")
        summaries.append(summary)
        bar.update()
        bar.write(f"STaR {k}/{cfg.iterations}: " + format_metrics({key: summary[key] for key in (
            "accuracy", "rationalized", "train_pairs")}) + f" ({bar.elapsed - it_start:.1f}s)")
        if callback is not None:
            callback("iteration", summary)
    bar.close()
    # leave the generator holding the last model (it already does unless every iteration was skipped)
    last = out / f"iter_{cfg.iterations}" / "model"
    if summaries and last.exists() and all((out / f"iter_{i}" / "summary.json").exists() for i in range(1, cfg.iterations + 1)):
        loaded = HFGenerator.from_pretrained(str(last))
        generator.model.load_state_dict(loaded.model.state_dict())
    generator.model.eval()
    return summaries

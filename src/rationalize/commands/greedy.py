"""``rationalize greedy`` (sequential rationales of a language model's predictions) and
``rationalize finetune-compatible`` (word-dropout fine-tuning so that a model predicts sensibly from
incomplete contexts). Vafa et al., EMNLP 2021."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer


def _render(tokens: list[str], r: Any, source_length: int = 0) -> str:
    """One line per target: the context with the rationale tokens highlighted (``[token:k]`` with k the
    step at which it was added, in colour on a terminal), then the target and p(y_t)."""
    step = {p: i + 1 for i, p in enumerate(r.order)}
    parts = []
    for p, tok in enumerate(tokens[: r.context_length]):
        shown = tok.replace("\n", "\\n")
        if p in step:
            parts.append(typer.style(f"[{shown}:{step[p]}]", fg="yellow", bold=True))
        else:
            parts.append(typer.style(shown, dim=True))
        if source_length and p == source_length - 1:
            parts.append(" ||")
    mark = "ok" if r.recovered else "NOT recovered"
    head = typer.style(f"t={r.target_position} {r.target_token!r}", fg="cyan", bold=True)
    return f"{head}  p={r.probability:.3f} len={r.length} ({mark})\n   " + "".join(parts)


def _targets_for(adapter: Any, ids: list[int], target_position: Optional[int], all_positions: bool,
                 predicted: bool) -> tuple[list[int], list[int] | None]:
    n = len(ids)
    if all_positions:
        positions = list(range(1, n))
    elif target_position is not None:
        positions = [target_position]
    else:
        positions = [n]  # the model's next-token prediction after the text
    tids = None
    if predicted or n in positions:
        tids = [adapter.predict_next(ids[:p]) if (predicted or p == n) else ids[p] for p in positions]
    return positions, tids


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rationalize`` app (called once by :mod:`rationalize.cli`)."""
    @app.command("greedy")
    def greedy_cmd(
        model: str = typer.Option(..., "--model", help="Model alias (smollm2), local folder or hub name."),
        text: Optional[str] = typer.Option(None, "--text", help="Text whose predictions to rationalize."),
        target_position: Optional[int] = typer.Option(
            None, "--target-position", help="Token index to explain (default: the next token after the text)."),
        all_positions: bool = typer.Option(False, "--all-positions", help="Explain every token of the text."),
        predicted: bool = typer.Option(False, "--predicted",
                                       help="Explain the model's argmax at each position instead of the text's token."),
        method: str = typer.Option("greedy", "--method", help="greedy, naive, exhaustive or a baseline name."),
        max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Largest rationale to build."),
        max_tokens: int = typer.Option(4096, "--max-tokens", help="Token budget of one forward pass."),
        input_path: Optional[Path] = typer.Option(None, "--input", help="JSONL corpus: {id, text[, target_positions]}."),
        out: Optional[Path] = typer.Option(None, "--out", help="Output JSONL (appended, resumable)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of the highlighted rendering."),
    ) -> None:
        """Greedy sequential rationales: for each target, the smallest context subset found under which the
        model still predicts it (rationale_positions, order added, p(y_t) after each step)."""
        import torch

        from rationalize.data.jsonl import JsonlAppender, iter_jsonl
        from rationalize.errors import DataError
        from rationalize.models.lm import load_lm
        from rationalize.rationalizers.greedy import SEQUENTIAL_RATIONALIZERS, get_sequential_rationalizer

        if (text is None) == (input_path is None):
            raise typer.BadParameter("give exactly one of --text or --input", param_hint="--text/--input")
        if target_position is not None and all_positions:
            raise typer.BadParameter("use --target-position or --all-positions, not both", param_hint="--all-positions")
        if input_path is not None and out is None:
            raise typer.BadParameter("--input needs --out", param_hint="--out")
        if method not in SEQUENTIAL_RATIONALIZERS:
            raise typer.BadParameter(f"known: {', '.join(SEQUENTIAL_RATIONALIZERS)}", param_hint="--method")
        torch.manual_seed(0)
        adapter = load_lm(model, max_tokens=max_tokens)
        if not hasattr(adapter, "model") or getattr(adapter.model.config, "is_encoder_decoder", False):
            raise typer.BadParameter("the command line rationalizes causal LMs; for encoder-decoder models use "
                                     "rationalize.models.lm.Seq2SeqAdapter from Python", param_hint="--model")
        params: dict[str, Any] = {"max_size": max_steps or 6} if method == "exhaustive" else {"max_steps": max_steps}
        params["progress"] = all_positions and input_path is None  # corpora get one bar over records instead
        rationalizer = get_sequential_rationalizer(method, **params)

        def run(ids: list[int], tp: Optional[int], allp: bool, positions: Optional[list[int]] = None) -> list[Any]:
            if positions is None:
                positions, tids = _targets_for(adapter, ids, tp, allp, predicted)
            else:
                tids = [adapter.predict_next(ids[:p]) if (predicted or p == len(ids)) else ids[p] for p in positions]
            return rationalizer.rationalize(adapter, [ids], [positions], None if tids is None else [tids])

        if text is not None:
            ids = adapter.encode(text)
            if target_position is not None and not 1 <= target_position <= len(ids):
                raise typer.BadParameter(f"the text has {len(ids)} tokens: use 1..{len(ids)}",
                                         param_hint="--target-position")
            results = run(ids, target_position, all_positions)
            tokens = adapter.token_strings(ids)
            if as_json:
                typer.echo(json.dumps({"tokens": tokens, "rationales": [r.to_dict() for r in results]}, indent=2))
            else:
                for r in results:
                    typer.echo(_render(tokens, r))
            return

        assert input_path is not None and out is not None
        records = []
        for lineno, rec in iter_jsonl(input_path):
            if not isinstance(rec, dict):
                raise DataError(input_path, lineno, None, "must be a JSON object")
            if not isinstance(rec.get("text"), str):
                raise DataError(input_path, lineno, "text", "must be a string")
            rid = rec.get("id", f"line{lineno}")
            pos = rec.get("target_positions")
            if pos is not None and not (isinstance(pos, list) and all(isinstance(p, int) for p in pos)):
                raise DataError(input_path, lineno, "target_positions", "must be a list of integers")
            records.append((lineno, str(rid), rec["text"], pos))
        from rationalize.progress import Progress

        with JsonlAppender(out, id_field="id") as app_, Progress(len(records), "greedy rationales", "record") as bar:
            done = app_.done_ids()
            for lineno, rid, txt, pos in records:
                if rid in done:
                    bar.update()
                    continue
                ids = adapter.encode(txt)
                if pos is not None and any(not 1 <= p <= len(ids) for p in pos):
                    raise DataError(input_path, lineno, "target_positions", f"must lie in 1..{len(ids)} ({len(ids)} tokens)")
                results = run(ids, None, pos is None and all_positions, pos)
                app_.append({"id": rid, "tokens": adapter.token_strings(ids),
                             "rationales": [r.to_dict() for r in results]})
                bar.update()
        typer.echo(f"wrote {out}")

    @app.command("finetune-compatible")
    def finetune_cmd(
        model: str = typer.Option(..., "--model", help="Causal LM alias (smollm2), folder or hub name."),
        data: Path = typer.Option(..., "--data", help="Texts: one per line, or JSONL with a 'text' field."),
        out: Path = typer.Option(..., "--out", help="Folder for the fine-tuned model (reloadable)."),
        # the DEFAULT_* of rationalizers.greedy.compatibility, written out: importing it loads torch (slow --help)
        steps: int = typer.Option(30, min=1, help="Optimizer steps (the defaults take about 2 minutes on a CPU; "
                                  "raise --steps, --batch-size and --max-length on a GPU)."),
        batch_size: int = typer.Option(4, min=1, help="Sequences per step."),
        lr: float = typer.Option(5e-5, help="AdamW learning rate."),
        max_length: int = typer.Option(64, min=2, help="Truncate texts to this many tokens."),
        full_context_prob: float = typer.Option(0.5, help="Share of sequences kept whole (not thinned)."),
        seed: int = typer.Option(0, help="Random seed."),
    ) -> None:
        """Word-dropout fine-tuning (Vafa et al., 2021): train on random context subsets with their original
        positions, so that greedy rationalization queries the model on inputs it knows."""
        import torch

        from rationalize.models.lm import CausalLMAdapter
        from rationalize.rationalizers.greedy.compatibility import finetune_compatible, read_texts, save_causal_lm

        torch.manual_seed(seed)
        texts = read_texts(data)
        adapter = CausalLMAdapter.from_pretrained(model)
        seqs = [s for s in (adapter.encode(t) for t in texts) if len(s) >= 2]
        if not seqs:
            raise typer.BadParameter("no text has 2 or more tokens", param_hint="--data")
        pad = adapter.tokenizer.pad_token_id if adapter.tokenizer is not None else None
        losses = finetune_compatible(adapter.model, seqs, steps=steps, batch_size=batch_size, lr=lr,
                                     full_context_prob=full_context_prob, seed=seed, pad_id=pad or 0,
                                     max_length=max_length)
        save_causal_lm(adapter.model, adapter.tokenizer, out)
        (out / "compatibility.json").write_text(json.dumps(
            {"base_model": model, "steps": steps, "batch_size": batch_size, "max_length": max_length, "lr": lr,
             "seed": seed, "full_context_prob": full_context_prob, "first_loss": losses[0], "last_loss": losses[-1]},
            indent=2))
        typer.echo(f"saved to {out} (loss {losses[0]:.3f} -> {losses[-1]:.3f})")

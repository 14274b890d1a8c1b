"""``rationalize greedy`` (sequential rationales of a language model's predictions) and
``rationalize finetune-compatible`` (word-dropout fine-tuning so that a model predicts sensibly from
incomplete contexts). Vafa et al., EMNLP 2021."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer


def _head(r: dict[str, Any]) -> str:
    mark = "ok" if r["recovered"] else "NOT recovered"
    full = {True: "full context predicts it", False: "full context does NOT predict it", None: ""}[
        r.get("full_context_predicts")]
    head = typer.style(f"t={r['target_position']} {r['target_token']!r}", fg="cyan", bold=True)
    p = r["probabilities"][-1] if r["probabilities"] else float("nan")
    secs = f" {r['seconds']:.2f}s" if r.get("seconds") is not None else ""
    return f"{head}  p={p:.3f} len={len(r['rationale_positions'])} ({mark}; {full}){secs}"


def _render_words(text: str, words: list[list[int]], r: dict[str, Any]) -> str:
    """One target: its head line, then the text's words with the rationale's words highlighted."""
    chosen = set(r.get("rationale_words", []))
    parts = [typer.style(f"[{text[s:e]}]", fg="yellow", bold=True) if i in chosen else typer.style(text[s:e], dim=True)
             for i, (s, e) in enumerate(words)]
    return _head(r) + "\n   " + " ".join(parts)


def _render(tokens: list[str], r: dict[str, Any], source_length: int = 0) -> str:
    """One line per target: the context with the rationale tokens highlighted (``[token:k]`` with k the
    step at which it was added, in colour on a terminal), then the target and p(y_t)."""
    step = {p: i + 1 for i, p in enumerate(r["order"])}
    parts = []
    for p, tok in enumerate(tokens[: r["context_length"]]):
        shown = tok.replace("\n", "\\n")
        if p in step:
            parts.append(typer.style(f"[{shown}:{step[p]}]", fg="yellow", bold=True))
        else:
            parts.append(typer.style(shown, dim=True))
        if source_length and p == source_length - 1:
            parts.append(" ||")
    return _head(r) + "\n   " + "".join(parts)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rationalize`` app (called once by :mod:`rationalize.cli`)."""
    @app.command("greedy")
    def greedy_cmd(
        model: str = typer.Option(..., "--model", help="Model alias (smollm2), local folder or hub name."),
        text: Optional[str] = typer.Option(None, "--text", help="Text whose predictions to rationalize."),
        target_position: Optional[int] = typer.Option(
            None, "--target-position", help="Token index to explain (default: the next token after the text)."),
        all_positions: bool = typer.Option(False, "--all-positions", help="Explain every token of the text."),
        last_word: bool = typer.Option(False, "--last-word",
                                       help="Explain the tokens of the text's last word (the paper's LAMBADA setting)."),
        predicted: bool = typer.Option(False, "--predicted",
                                       help="Explain the model's full-context argmax at each position instead of the text's token."),
        unpredicted: str = typer.Option("search", "--unpredicted",
                                        help="Targets the full context does not predict: 'search' anyway (the paper) "
                                             "or 'skip' the search (returns the whole context, searched=false)."),
        method: str = typer.Option("greedy", "--method", help="greedy, naive, exhaustive or a baseline name."),
        max_steps: Optional[int] = typer.Option(None, "--max-steps", min=1, help="Largest rationale to build."),
        max_tokens: int = typer.Option(4096, "--max-tokens", help="Token budget of one forward pass."),
        input_path: Optional[Path] = typer.Option(
            None, "--input", help="JSONL corpus: {id, text[, target_positions][, rationale: [[start, end], ...]]}."),
        out: Optional[Path] = typer.Option(None, "--out", help="Output JSONL (appended; resumable by the same run)."),
        words: bool = typer.Option(False, "--words", help="Render the rationale as words of the text, not tokens."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of the highlighted rendering."),
    ) -> None:
        """Greedy sequential rationales: for each target, the smallest context subset found under which the
        model still predicts it (rationale_positions, order added, p(y_t) after each step, whether the full
        context predicts it, seconds spent)."""
        import torch

        from rationalize.errors import DataError
        from rationalize.models.lm import load_lm
        from rationalize.rationalizers.greedy import SEQUENTIAL_RATIONALIZERS, get_sequential_rationalizer
        from rationalize.rationalizers.greedy.corpus import (
            CorpusRecord,
            prepare,
            rationalize_record,
            read_corpus,
            run_corpus,
        )

        if (text is None) == (input_path is None):
            raise typer.BadParameter("give exactly one of --text or --input", param_hint="--text/--input")
        if sum([target_position is not None, all_positions, last_word]) > 1:
            raise typer.BadParameter("use one of --target-position, --all-positions, --last-word",
                                     param_hint="--all-positions")
        if input_path is not None and out is None:
            raise typer.BadParameter("--input needs --out", param_hint="--out")
        if method not in SEQUENTIAL_RATIONALIZERS:
            raise typer.BadParameter(f"known: {', '.join(SEQUENTIAL_RATIONALIZERS)}", param_hint="--method")
        if unpredicted not in ("search", "skip"):
            raise typer.BadParameter("use 'search' or 'skip'", param_hint="--unpredicted")
        records = read_corpus(input_path) if input_path is not None else None  # every line checked before loading
        torch.manual_seed(0)
        adapter = load_lm(model, max_tokens=max_tokens)
        if not hasattr(adapter, "model") or getattr(adapter.model.config, "is_encoder_decoder", False):
            raise typer.BadParameter("the command line rationalizes causal LMs; for encoder-decoder models use "
                                     "rationalize.models.lm.Seq2SeqAdapter from Python", param_hint="--model")
        targets = "all" if all_positions else "last-word" if last_word else "next"
        params: dict[str, Any] = {"max_size": max_steps or 6} if method == "exhaustive" else {"max_steps": max_steps}
        params.update(explain="predicted" if predicted else "observed", unpredicted=unpredicted,
                      progress=all_positions and input_path is None)  # corpora get one bar over records instead
        rationalizer = get_sequential_rationalizer(method, **params)

        if records is not None:
            assert input_path is not None and out is not None
            report = run_corpus(adapter, rationalizer, records, input_path, out, model=model, targets=targets)
            typer.echo(f"wrote {report.written} records to {out}"
                       + (f" ({report.skipped} already done by this run)" if report.skipped else ""))
            return

        assert text is not None
        rec = CorpusRecord(0, "text", text, None if target_position is None else [target_position])
        try:
            (prep,) = prepare([rec], adapter, "--text", targets)
        except DataError as exc:  # an out-of-range --target-position: say it about the option
            n = len(adapter.encode(text))
            raise typer.BadParameter(f"the text has {n} tokens: use 1..{n}", param_hint="--target-position") from exc
        record = rationalize_record(adapter, rationalizer, prep, {})
        if as_json:
            typer.echo(json.dumps({k: record[k] for k in ("tokens", "offsets", "words", "rationales") if k in record},
                                  indent=2))
            return
        for r in record["rationales"]:
            if words and "words" in record:
                typer.echo(_render_words(text, record["words"], r))
            else:
                typer.echo(_render(record["tokens"], r))

    @app.command("finetune-compatible")
    def finetune_cmd(
        model: str = typer.Option(..., "--model", help="Causal LM alias (smollm2), folder or hub name."),
        data: list[Path] = typer.Option(..., "--data", help="Texts: one per line, JSONL with a 'text' field, or a "
                                        "dataset folder of ERASER documents (e.g. ../shared/data/movies); repeat "
                                        "--data to train on several sources."),
        out: Path = typer.Option(..., "--out", help="Folder for the fine-tuned model (reloadable)."),
        # the DEFAULT_* of rationalizers.greedy.compatibility, written out: importing it loads torch (slow --help)
        steps: int = typer.Option(300, min=1, help="Optimizer steps (the defaults take 16-18 minutes on 2 CPU cores; "
                                  "raise --steps, --batch-size and --max-length on a GPU)."),
        batch_size: int = typer.Option(8, min=1, help="Sequences per step."),
        lr: float = typer.Option(1e-4, help="AdamW learning rate."),
        bf16: bool = typer.Option(False, "--bf16", help="Train under bfloat16 autocast (about 1.4x faster on CPUs "
                                  "with AMX / AVX-512 BF16; weights stay float32)."),
        max_length: int = typer.Option(64, min=2, help="Truncate texts to this many tokens (see --chunk)."),
        chunk: bool = typer.Option(False, "--chunk", help="Split long texts into --max-length pieces instead of "
                                   "keeping only their beginning."),
        heldout: float = typer.Option(0.1, min=0.0, max=0.5, help="Share of the texts held out to report perplexity "
                                      "before and after (the cost check; 0: none)."),
        full_context_prob: float = typer.Option(0.5, help="Share of sequences kept whole (not thinned)."),
        seed: int = typer.Option(0, help="Random seed."),
    ) -> None:
        """Word-dropout fine-tuning (Vafa et al., 2021): train on random context subsets with their original
        positions, so that greedy rationalization queries the model on inputs it knows."""
        import torch

        from rationalize.models.lm import CausalLMAdapter
        from rationalize.rationalizers.greedy.compatibility import (
            compatible_finetune_run,
            read_texts,
            save_causal_lm,
        )

        torch.manual_seed(seed)
        texts = [t for path in data for t in read_texts(path)]
        adapter = CausalLMAdapter.from_pretrained(model)
        try:
            report = compatible_finetune_run(adapter, texts, steps=steps, batch_size=batch_size, lr=lr,
                                             max_length=max_length, chunk=chunk, heldout=heldout,
                                             full_context_prob=full_context_prob, seed=seed, bf16=bf16)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--data") from None
        save_causal_lm(adapter.model, adapter.tokenizer, out)
        (out / "compatibility.json").write_text(json.dumps({"base_model": model, **report}, indent=2))
        ppl = ""
        if report.get("heldout_perplexity_before") is not None:
            ppl = (f", held-out perplexity {report['heldout_perplexity_before']:.2f} -> "
                   f"{report['heldout_perplexity_after']:.2f} on {report['heldout_texts']} texts; with word dropout "
                   f"{report['heldout_dropout_perplexity_before']:.2f} -> {report['heldout_dropout_perplexity_after']:.2f}")
        typer.echo(f"saved to {out} (loss {report['first_loss']:.3f} -> {report['last_loss']:.3f}{ppl})")

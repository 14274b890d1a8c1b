"""Compatibility fine-tuning with word dropout (Vafa et al., EMNLP 2021, Sec. 4).

Greedy rationalization evaluates a model on incomplete contexts, which a model trained on full contexts
never saw. The paper's remedy is to fine-tune on random context subsets: here each training sequence is,
with probability ``full_context_prob``, kept whole (to preserve full-context quality), and otherwise
thinned by keeping each token with a rate drawn uniformly from (0, 1). The kept tokens keep their original
positions, and every kept token is trained to predict the token that *originally* follows it -- exactly
the question greedy rationalization asks later (the query token is the last kept one).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rationalize.data.jsonl import iter_jsonl
from rationalize.errors import DataError
from rationalize.progress import Progress

#: Defaults sized for a CPU, as ``benchmarks/greedy.py --compat`` ran them: smollm2 (135M) trains 300 steps of
#: 8 x 64 tokens (2,400 pieces, ~150k tokens) at lr 1e-4 in 16-18 minutes on 2 CPU cores (3.2-3.5 s a step at
#: load 2-3; about 1.4x faster with ``bf16``), 4-5 GB of memory, most of it the weights and AdamW state.
DEFAULT_STEPS = 300
DEFAULT_BATCH_SIZE = 8
DEFAULT_LR = 1e-4
DEFAULT_MAX_LENGTH = 64


def word_dropout_batch(sequences: Sequence[Sequence[int]], rng: np.random.Generator, full_context_prob: float = 0.5,
                       pad_id: int = 0) -> dict[str, torch.Tensor]:
    """A right-padded batch of thinned sequences: ``input_ids``, ``position_ids`` (original positions),
    ``attention_mask`` and ``labels`` (the original next token of each kept token; -100 where none)."""
    rows = []
    for seq in sequences:
        n = len(seq)
        if n < 2:
            continue
        if rng.random() < full_context_prob:
            keep = np.arange(n)
        else:
            rate = rng.uniform(0.0, 1.0)
            keep = np.nonzero(rng.random(n) < rate)[0]
            if len(keep) == 0:
                keep = np.array([rng.integers(0, n - 1)])
        labels = [int(seq[p + 1]) if p + 1 < n else -100 for p in keep]
        rows.append(([int(seq[p]) for p in keep], keep.tolist(), labels))
    width = max(len(r[0]) for r in rows)
    b = len(rows)
    ids = torch.full((b, width), pad_id, dtype=torch.long)
    pos = torch.zeros((b, width), dtype=torch.long)
    mask = torch.zeros((b, width), dtype=torch.long)
    lab = torch.full((b, width), -100, dtype=torch.long)
    for i, (t, p, y) in enumerate(rows):
        k = len(t)
        ids[i, :k], pos[i, :k], mask[i, :k], lab[i, :k] = torch.tensor(t), torch.tensor(p), 1, torch.tensor(y)
    return {"input_ids": ids, "position_ids": pos, "attention_mask": mask, "labels": lab}


def _hf_logits(model: nn.Module) -> Callable[[dict[str, torch.Tensor]], torch.Tensor]:
    def f(batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return model(input_ids=batch["input_ids"], position_ids=batch["position_ids"],
                     attention_mask=batch["attention_mask"], use_cache=False).logits
    return f


def finetune_compatible(model: nn.Module, sequences: Sequence[Sequence[int]], steps: int = DEFAULT_STEPS,
                        batch_size: int = DEFAULT_BATCH_SIZE, lr: float = DEFAULT_LR, full_context_prob: float = 0.5,
                        seed: int = 0, pad_id: int = 0,
                        logits_fn: Callable[[dict[str, torch.Tensor]], torch.Tensor] | None = None,
                        progress: bool = True, max_length: int | None = DEFAULT_MAX_LENGTH,
                        bf16: bool = False) -> list[float]:
    """Fine-tune ``model`` in place with word dropout for ``steps`` AdamW steps; returns the loss per step.

    ``bf16`` runs the forward and backward passes under bfloat16 autocast (weights, gradients and optimizer
    state stay float32): about 1.4x faster on CPUs with AMX or AVX-512 BF16, slower elsewhere.

    Sequences are cut to their first ``max_length`` tokens (``None``: kept whole; a step costs time in
    proportion to its longest sequence). ``logits_fn(batch) -> (B, L, V)`` adapts a non-Hugging-Face model
    (default: a HF causal LM called with ``input_ids``, ``position_ids`` and ``attention_mask``)."""
    if max_length is not None:
        sequences = [seq[:max_length] for seq in sequences]
    if not sequences:
        raise ValueError("no training sequences")
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    f = logits_fn or _hf_logits(model)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    model.train()
    losses: list[float] = []
    bar = Progress(steps, "compatibility fine-tuning", "step", enabled=progress)
    for _ in range(steps):
        idx = rng.integers(0, len(sequences), size=batch_size)
        batch = word_dropout_batch([sequences[i] for i in idx], rng, full_context_prob, pad_id)
        with torch.autocast(next(model.parameters()).device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = f(batch)
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), batch["labels"].reshape(-1),
                                           ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.detach()))
        if not math.isfinite(losses[-1]):
            raise FloatingPointError(f"loss became {losses[-1]} at step {len(losses)}: lower the learning rate")
        bar.update()
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
    bar.close()
    model.eval()
    return losses


def chunk_sequences(sequences: Sequence[Sequence[int]], length: int) -> list[list[int]]:
    """Consecutive pieces of at most ``length`` tokens of every sequence (pieces of fewer than 2 tokens are
    dropped): long documents give many training sequences instead of only their beginning."""
    out = []
    for seq in sequences:
        for i in range(0, len(seq), length):
            piece = [int(x) for x in seq[i : i + length]]
            if len(piece) >= 2:
                out.append(piece)
    return out


def perplexity(model: nn.Module, sequences: Sequence[Sequence[int]], batch_size: int = 8, pad_id: int = 0,
               logits_fn: Callable[[dict[str, torch.Tensor]], torch.Tensor] | None = None) -> float:
    """Perplexity of next-token prediction with the full context, exp(mean negative log-likelihood over every
    predicted token of ``sequences``): the paper's check that compatibility fine-tuning costs little on
    ordinary text. The model's train/eval mode is restored afterwards."""
    return _perplexity(model, sequences, batch_size, pad_id, logits_fn, full_context_prob=1.0, seed=0)


def incomplete_context_perplexity(model: nn.Module, sequences: Sequence[Sequence[int]], batch_size: int = 8,
                                  pad_id: int = 0, seed: int = 0,
                                  logits_fn: Callable[[dict[str, torch.Tensor]], torch.Tensor] | None = None) -> float:
    """Perplexity on word-dropped contexts: each sequence is thinned as in training (every token kept with a
    rate drawn from U(0, 1), original positions kept; seeded, so every model sees the same thinning) and each
    kept token predicts the token that originally follows it. This is the quantity compatibility fine-tuning
    lowers, the question greedy rationalization asks; :func:`perplexity` is its full-context cost check."""
    return _perplexity(model, sequences, batch_size, pad_id, logits_fn, full_context_prob=0.0, seed=seed)


@torch.no_grad()
def _perplexity(model: nn.Module, sequences: Sequence[Sequence[int]], batch_size: int, pad_id: int,
                logits_fn: Callable[[dict[str, torch.Tensor]], torch.Tensor] | None, full_context_prob: float,
                seed: int) -> float:
    """exp(mean NLL) over the labelled tokens of :func:`word_dropout_batch` batches (``full_context_prob`` 1:
    every token predicts its successor, the ordinary perplexity)."""
    from rationalize.engine.training import eval_mode

    seqs = [list(s) for s in sequences if len(s) >= 2]
    if not seqs:
        raise ValueError("no sequence of 2 or more tokens to score")
    rng = np.random.default_rng(seed)
    f = logits_fn or _hf_logits(model)
    total, count = 0.0, 0
    with eval_mode(model):
        for i in range(0, len(seqs), batch_size):
            batch = word_dropout_batch(seqs[i : i + batch_size], rng, full_context_prob=full_context_prob, pad_id=pad_id)
            logits = f(batch).float()
            total += float(nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch["labels"].reshape(-1),
                                                       ignore_index=-100, reduction="sum"))
            count += int((batch["labels"] != -100).sum())
    return math.exp(total / count)


def read_texts(path: str | Path) -> list[str]:
    """Training texts: a ``.jsonl`` file with a ``text`` field per line, a plain file with one text per
    line (blank lines skipped), or a dataset folder with ERASER documents (``docs/`` or ``docs.jsonl``, e.g.
    ``../shared/data/movies`` or ``fever``): one text per document, its tokens joined by spaces."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, None, None, "does not exist")
    texts = []
    if path.is_dir():
        from rationalize.data.eraser import read_documents

        if not ((path / "docs").is_dir() or (path / "docs.jsonl").exists()):
            raise DataError(path, None, None, "is a folder without docs/ or docs.jsonl (ERASER documents)")
        texts = [" ".join(d.tokens) for d in read_documents(path).values() if d.tokens]
    elif path.suffix == ".jsonl":
        for lineno, rec in iter_jsonl(path):
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
                raise DataError(path, lineno, "text", "must be a string")
            texts.append(rec["text"])
    else:
        texts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not texts:
        raise DataError(path, None, None, "contains no texts")
    return texts


def save_causal_lm(model: nn.Module, tokenizer: Any, out: str | Path) -> Path:
    """Save a (fine-tuned) HF causal LM so that ``from_pretrained(out)`` reloads it. Models loaded from
    GGUF cannot ``save_pretrained`` directly; they are rebuilt from their config first."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        model.save_pretrained(out)
    except Exception:  # noqa: BLE001 -- GGUF-loaded models: rebuild a plain copy, then save
        fresh = type(model)(model.config)
        fresh.load_state_dict(model.state_dict())
        fresh.save_pretrained(out)
    if tokenizer is not None:
        tokenizer.save_pretrained(out)
    return out


def compatible_finetune_run(adapter: Any, texts: Sequence[str], steps: int = DEFAULT_STEPS,
                            batch_size: int = DEFAULT_BATCH_SIZE, lr: float = DEFAULT_LR,
                            max_length: int = DEFAULT_MAX_LENGTH, chunk: bool = False, heldout: float = 0.1,
                            full_context_prob: float = 0.5, seed: int = 0, progress: bool = True,
                            bf16: bool = False) -> dict[str, Any]:
    """Compatibility fine-tuning of a causal LM adapter's model on ``texts``, in place, with the cost check.

    A seeded ``heldout`` share of the texts (none when that is 0 texts) is kept out of training; its
    full-context perplexity (first ``max_length`` tokens of each; the cost check) and its perplexity on
    word-dropped contexts (:func:`incomplete_context_perplexity`; what the fine-tuning is for) are measured
    before and after. Texts are cut to
    ``max_length`` tokens, or, with ``chunk``, split into pieces of that size. Returns what was done (settings,
    first and last loss, perplexities), the content of ``compatibility.json``."""
    seqs = [s for s in (adapter.encode(t) for t in texts) if len(s) >= 2]
    if not seqs:
        raise ValueError("no text has 2 or more tokens")
    rng = np.random.default_rng(seed)
    n_held = int(len(seqs) * heldout) if len(seqs) > 1 else 0
    order = rng.permutation(len(seqs))
    held = [seqs[i][:max_length] for i in order[:n_held]]
    train = [seqs[i] for i in sorted(order[n_held:])]
    train = chunk_sequences(train, max_length) if chunk else train
    pad = getattr(adapter.tokenizer, "pad_token_id", None) or 0
    before = perplexity(adapter.model, held, pad_id=pad) if held else None
    dropped_before = incomplete_context_perplexity(adapter.model, held, pad_id=pad, seed=seed) if held else None
    losses = finetune_compatible(adapter.model, train, steps=steps, batch_size=batch_size, lr=lr,
                                 full_context_prob=full_context_prob, seed=seed, pad_id=pad, max_length=max_length,
                                 progress=progress, bf16=bf16)
    after = perplexity(adapter.model, held, pad_id=pad) if held else None
    dropped_after = incomplete_context_perplexity(adapter.model, held, pad_id=pad, seed=seed) if held else None
    return {"steps": steps, "batch_size": batch_size, "max_length": max_length, "lr": lr, "seed": seed,
            "full_context_prob": full_context_prob, "bf16": bf16, "chunk": chunk, "train_sequences": len(train),
            "heldout_texts": len(held), "heldout_perplexity_before": before, "heldout_perplexity_after": after,
            "heldout_dropout_perplexity_before": dropped_before, "heldout_dropout_perplexity_after": dropped_after,
            "first_loss": losses[0], "last_loss": losses[-1]}

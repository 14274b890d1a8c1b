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

#: Defaults sized for a CPU: smollm2 (135M) trains 30 steps of 4 x 64 tokens in about 2 minutes on 2 cores
#: (3.5 GB of memory, most of it the weights and AdamW state). On a GPU, raise all three.
DEFAULT_STEPS = 30
DEFAULT_BATCH_SIZE = 4
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
                        batch_size: int = DEFAULT_BATCH_SIZE, lr: float = 5e-5, full_context_prob: float = 0.5,
                        seed: int = 0, pad_id: int = 0,
                        logits_fn: Callable[[dict[str, torch.Tensor]], torch.Tensor] | None = None,
                        progress: bool = True, max_length: int | None = DEFAULT_MAX_LENGTH) -> list[float]:
    """Fine-tune ``model`` in place with word dropout for ``steps`` AdamW steps; returns the loss per step.

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


def read_texts(path: str | Path) -> list[str]:
    """Training texts: a ``.jsonl`` file with a ``text`` field per line, or a plain file with one text per
    line (blank lines skipped)."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, None, None, "does not exist")
    texts = []
    if path.suffix == ".jsonl":
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

"""Fine-tune a generator to produce a label and an explanation (WT5, Narang et al. 2020; e-SNLI's
explain-then-predict models, Camburu et al. 2018).

Training pairs are ``(prompt, target)`` strings from a :class:`PromptTemplate`: :func:`explainer_pairs`
builds them from human explanations (``Example.explanations``; one pair per explanation, or the first
only). The loss is the token cross-entropy on the target only (prompt tokens are masked with -100), for
causal LMs (prompt and target concatenated) and encoder-decoders (prompt in, target out) alike. The loop
is :func:`rationalize.engine.training.fit`: seeds, early stopping on validation loss, checkpoints and
resume after a kill.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rationalize.data.schema import Dataset, Example
from rationalize.rationalizers.freetext.generators import HFGenerator
from rationalize.rationalizers.freetext.templates import PromptTemplate


def explainer_pairs(
    dataset: Dataset, examples: Sequence[Example], template: PromptTemplate, all_explanations: bool = True
) -> list[tuple[str, str]]:
    """``(prompt, target)`` pairs from human explanations; examples without one are skipped."""
    pairs = []
    for ex in examples:
        gold = template.task.gold(ex, dataset)
        expls = [e for e in ex.explanations if e and e.strip()]
        if gold is None or not expls:
            continue
        for e in expls if all_explanations else expls[:1]:
            pairs.append((template.prompt(ex, dataset), template.target(gold, e)))
    return pairs


def encode_pair(generator: HFGenerator, prompt: str, target: str, max_length: int = 512) -> dict[str, list[int]]:
    """Token ids of one pair: ``input_ids``, ``labels`` (-100 on the prompt for causal LMs)."""
    tok = generator.tokenizer
    text = generator.render(prompt)
    special = not generator.chat
    p_ids = tok(text, add_special_tokens=special)["input_ids"]
    t_ids = tok(target, add_special_tokens=False)["input_ids"]
    eos = [tok.eos_token_id] if tok.eos_token_id is not None else []
    if generator.is_seq2seq:
        return {"input_ids": p_ids[:max_length], "labels": (t_ids + eos)[:max_length]}
    t_ids = t_ids + eos
    keep_prompt = max(0, max_length - len(t_ids))
    p_ids = p_ids[-keep_prompt:] if keep_prompt else []
    return {"input_ids": p_ids + t_ids, "labels": [-100] * len(p_ids) + t_ids}


def collate(items: list[dict[str, list[int]]], pad_id: int, seq2seq: bool) -> dict[str, Any]:
    """Right-pad a batch; padded label positions are -100."""
    import torch

    n = max(len(it["input_ids"]) for it in items)
    ids = torch.full((len(items), n), pad_id, dtype=torch.long)
    mask = torch.zeros((len(items), n), dtype=torch.long)
    for i, it in enumerate(items):
        ids[i, : len(it["input_ids"])] = torch.tensor(it["input_ids"])
        mask[i, : len(it["input_ids"])] = 1
    m = max(len(it["labels"]) for it in items)
    labels = torch.full((len(items), m if seq2seq else n), -100, dtype=torch.long)
    for i, it in enumerate(items):
        labels[i, : len(it["labels"])] = torch.tensor(it["labels"])
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def _wrapper(model: Any) -> Any:
    from torch import nn

    class _LM(nn.Module):
        def __init__(self, inner: Any):
            super().__init__()
            self.inner = inner

        def training_step(self, batch: dict[str, Any]) -> dict[str, Any]:
            return {"loss": self.inner(**batch).loss}

    return _LM(model)


def train_explainer(
    generator: HFGenerator,
    pairs: Sequence[tuple[str, str]],
    val_pairs: Sequence[tuple[str, str]] | None = None,
    config: Any = None,
    out_dir: str | Path | None = None,
    max_length: int = 512,
    keep_checkpoints: bool = False,
) -> Any:
    """Fine-tune ``generator`` in place on ``pairs``; returns the :class:`TrainHistory`.

    Early stopping watches the mean target-token loss on ``val_pairs``; without them, on a fixed slice
    of up to 64 training pairs (then it only stops a diverging run). With ``out_dir`` the run
    checkpoints every epoch and resumes, and the final model is saved to ``out_dir/model``; the large
    optimizer checkpoints are removed at the end unless ``keep_checkpoints``.
    """
    import torch

    from rationalize.engine.training import TrainConfig, fit, iterate_minibatches

    if not pairs:
        raise ValueError("no training pairs (do the examples have explanations and labels?)")
    cfg = config or TrainConfig(epochs=3, batch_size=8, lr=5e-5, monitor="loss", mode="min", patience=2)
    if cfg.monitor != "loss" or cfg.mode != "min":
        raise ValueError("train_explainer monitors the validation loss: use monitor='loss', mode='min'")
    pad = generator.tokenizer.pad_token_id
    items = [encode_pair(generator, p, t, max_length) for p, t in pairs]
    val_items = [encode_pair(generator, p, t, max_length) for p, t in val_pairs] if val_pairs else items[:64]
    module = _wrapper(generator.model)

    def evaluate(m: Any) -> dict[str, float]:
        total, count = 0.0, 0
        for batch in iterate_minibatches(val_items, cfg.batch_size):
            b = collate(batch, pad, generator.is_seq2seq)
            n_tok = int((b["labels"][:, 1:] != -100).sum()) if not generator.is_seq2seq else int((b["labels"] != -100).sum())
            total += float(m.inner(**b).loss) * n_tok
            count += n_tok
        return {"loss": total / max(count, 1)}

    train_dir = Path(out_dir) / "train" if out_dir is not None else None
    history = fit(module, items, lambda b: collate(b, pad, generator.is_seq2seq), evaluate, cfg, out_dir=train_dir)
    generator.model.eval()
    if out_dir is not None:
        generator.save(Path(out_dir) / "model")
        if not keep_checkpoints and train_dir is not None:
            for name in ("checkpoint.pt", "best.pt"):
                (train_dir / name).unlink(missing_ok=True)
    torch.set_grad_enabled(True)
    return history


def remove_dir(path: str | Path) -> None:
    """Delete a folder and everything in it, ignoring errors (STaR drops earlier iterations' models)."""
    shutil.rmtree(path, ignore_errors=True)

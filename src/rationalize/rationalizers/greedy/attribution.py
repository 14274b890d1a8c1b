"""One attribution stack for classifiers and language models: the post-hoc explainers, pointed at a next-token
prediction.

Captum's ``LLMAttribution`` wraps a ready attribution method around a language model, with the target
``log p(next token)``, and keeps the features being perturbed apart from the model's tokens. This module does
the same for :mod:`rationalize.rationalizers.posthoc`: :class:`NextTokenModel` presents *one* prediction y_t of a
sequence model as a :class:`~rationalize.models.windows.WindowedModel` whose "labels" are the vocabulary and whose
logits are ``log p(. | context)`` at the query position, so every post-hoc explainer runs on it unchanged:

* gradient methods (saliency, input x gradient, integrated gradients, DeepLIFT) differentiate the log-probability
  of the explained token with respect to the context's token embeddings, positions held at their original values;
* perturbation methods (occlusion, LIME, KernelSHAP) remove context tokens; a removed token is *dropped* from the
  input (the others keep their positions, the question greedy rationalization asks), never replaced by a filler;
  the query token, where the model reads its prediction, is never removed;
* attention methods read the attention the query position pays each context position.

Each context position is one interpretable feature ("dataset token"), so the explainers' scores come back one per
context position. :func:`target_scores` is the one call the greedy baselines make.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from rationalize.errors import RationalizeError
from rationalize.models.base import ClassifierInput
from rationalize.models.lm import SequenceAdapter, Target
from rationalize.models.windows import Window

#: the id a perturbation explainer writes for a removed token (read back as "drop this position")
REMOVED = -1


class _Vocabulary(Sequence[str]):
    """The "labels" of a next-token model: one per vocabulary id (only the count is ever read)."""

    def __init__(self, size: int):
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [str(j) for j in range(self.size)[i]]
        if not -self.size <= i < self.size:
            raise IndexError(i)
        return str(i % self.size)


class NextTokenModel:
    """One prediction of a sequence model, seen by the post-hoc explainers as a windowed classifier.

    ``window_logits`` are the next-token log-probabilities at the query position (shape ``(B, V)``); the
    explainer's target is the token id to explain. Gradient and attention methods need a causal LM adapter with
    ``supports_gradients`` / ``supports_attention`` (the full context, original positions); perturbation methods
    work with every adapter, encoder-decoder ones included (a removal is a subset query to the adapter)."""

    pad_id = REMOVED
    mask_id = REMOVED

    def __init__(self, adapter: SequenceAdapter, target: Target):
        self.adapter = adapter
        self.target = target
        self.labels = _Vocabulary(adapter.vocab_size(target))

    # -- what the explainers see -------------------------------------------------------------------------
    def interpretable_input(self) -> ClassifierInput:
        """The features: one "token" per context position (its display string)."""
        return ClassifierInput(self.adapter.token_strings(self.target.context.tolist()))

    def windows(self, inputs: Sequence[ClassifierInput]) -> list[Window]:
        """One window per input: the target's context ids, each position its own feature."""
        n = len(self.target.context)
        ids = self.target.context.numpy().astype(np.int64)
        return [Window(i, ids.copy(), np.arange(n), piece_index=np.arange(n)) for i in range(len(inputs))]

    def collate(self, windows: Sequence[Window]) -> dict[str, torch.Tensor]:
        """Stack windows (all have the context's length) into ``input_ids``."""
        return {"input_ids": torch.as_tensor(np.stack([w.ids for w in windows]), dtype=torch.long)}

    def window_logits(self, batch: dict[str, torch.Tensor], inputs_embeds: torch.Tensor | None = None) -> torch.Tensor:
        """``log p(. | context)`` at the query position, ``(B, V)``. From ``inputs_embeds`` (gradient methods): the
        full context at its positions, differentiable. From ids (perturbation methods): positions holding
        :data:`REMOVED` are dropped, the query always stays."""
        t = self.target
        if inputs_embeds is not None:
            self._check("supports_gradients", "gradient")
            pos = torch.arange(inputs_embeds.shape[1])[None].expand(inputs_embeds.shape[0], -1)
            return torch.log_softmax(self.adapter.forward_embeds(inputs_embeds, pos).float(), dim=-1)
        allowed = set(t.candidates) | {t.query}
        subsets = [sorted({int(p) for p in torch.nonzero(row != REMOVED)[:, 0] if int(p) in allowed} | {t.query})
                   for row in batch["input_ids"]]
        return self.adapter.log_probs([t] * len(subsets), subsets)

    def input_embeddings(self) -> Any:
        """The token-embedding function (gradient methods)."""
        self._check("supports_gradients", "gradient")
        return self.adapter.embed

    def token_attention(self, batch: dict[str, torch.Tensor], mode: str = "last") -> torch.Tensor:
        """Attention from the query position to every context position, averaged over heads, for ``mode`` =
        ``last`` (last layer), ``mean`` (mean over layers) or ``rollout`` (Abnar & Zuidema, 2020), ``(B, L)``."""
        self._check("supports_attention", "attention")
        ids = batch["input_ids"]
        att = self.adapter.attentions(ids[:1], torch.arange(ids.shape[1])[None])  # (layers, heads, L, L)
        heads = att.mean(1)  # (layers, L, L)
        if mode == "last":
            row = heads[-1]
        elif mode == "mean":
            row = heads.mean(0)
        elif mode == "rollout":
            eye = torch.eye(heads.shape[-1])
            row = None
            for a in heads:
                a = 0.5 * a + 0.5 * eye
                a = a / a.sum(-1, keepdim=True)
                row = a if row is None else a @ row
        else:
            raise ValueError(f"unknown attention mode {mode!r}; use last, mean or rollout")
        return row[self.target.query][None].expand(ids.shape[0], -1)

    # -- the model's mode and weights: eval_mode / frozen_parameters reach the wrapped network --------------
    def _network(self) -> Any:
        m = getattr(self.adapter, "model", None)
        return m if hasattr(m, "modules") else None

    def modules(self) -> Any:
        """The wrapped network's modules (none for a plain callable)."""
        m = self._network()
        return m.modules() if m is not None else iter(())

    def parameters(self) -> Any:
        """The wrapped network's parameters (none for a plain callable)."""
        m = self._network()
        return m.parameters() if m is not None else iter(())

    def eval(self) -> NextTokenModel:
        """Put the wrapped network in eval mode."""
        m = self._network()
        if m is not None:
            m.eval()
        return self

    def _check(self, flag: str, what: str) -> None:
        if not getattr(self.adapter, flag, False) or self.target.source_length:
            raise RationalizeError(f"{type(self.adapter).__name__} does not support {what} baselines (causal LMs "
                                   f"only; a TorchLMAdapter needs {'embed= and forward_embeds=' if what == 'gradient' else 'attentions='})")


def target_scores(explainer: str, adapter: SequenceAdapter, target: Target, **params: Any) -> torch.Tensor:
    """Scores of each context position for the prediction ``target`` from the post-hoc explainer named
    ``explainer`` (``saliency``, ``integrated-gradients``, ``occlusion``, ...) with ``params``; a 1-D tensor of
    length ``len(target.context)``."""
    from rationalize.rationalizers.posthoc import get_explainer

    view = NextTokenModel(adapter, target)
    params.setdefault("batch_size", 1)
    exp = get_explainer(explainer, view, **params)
    with torch.enable_grad():
        (scores,) = exp.attribute([view.interpretable_input()], target=[target.token_id])
    return torch.as_tensor(scores, dtype=torch.float64)

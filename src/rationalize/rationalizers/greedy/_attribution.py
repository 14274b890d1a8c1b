"""Glue between the adapters and Captum for the gradient baselines (full context, original positions)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from rationalize.errors import RationalizeError
from rationalize.models.lm import SequenceAdapter, Target


def embeddings_and_forward(adapter: SequenceAdapter, target: Target
                           ) -> tuple[torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]:
    """The full context's token embeddings ``(1, L, H)`` and ``f(embeds) -> log p(y_t)`` of shape ``(B,)``,
    the function Captum attributes. Positions stay the original ones for every batch Captum builds."""
    if not getattr(adapter, "supports_gradients", False) or target.source_length:
        raise RationalizeError(f"{type(adapter).__name__} does not support gradient baselines "
                               "(causal LMs only; a TorchLMAdapter needs embed= and forward_embeds=)")
    ids = target.context[None]
    pos = torch.arange(len(target.context))[None]
    with torch.no_grad():
        emb = adapter.embed(ids).detach().float()
    emb.requires_grad_(True)

    def forward(e: torch.Tensor) -> torch.Tensor:
        logits = adapter.forward_embeds(e, pos.expand(e.shape[0], -1))
        return torch.log_softmax(logits.float(), dim=-1)[:, target.token_id]

    return emb, forward

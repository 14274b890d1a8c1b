"""Sequence-model adapters for sequential rationales (Vafa et al., EMNLP 2021).

Greedy rationalization asks one question of a model, many times: *what is p(y_t | x_S)*, the next-token
distribution when the model sees only the context tokens in ``S``? The adapters below answer it for
three kinds of models, hiding their differences from the rationalizers:

* :class:`CausalLMAdapter` -- any Hugging Face causal LM (GPT-2, Llama/SmolLM2, ...). A subset is fed as
  a true sub-sequence: only its tokens, each with its **original** position (``position_ids``), so a
  sparse context is not a shifted one. All rows of a call that have the same length are stacked without
  padding (greedy produces equal lengths by construction); the LM head runs on the last position only
  (``logits_to_keep=1``) where the model supports it.
* :class:`Seq2SeqAdapter` -- Hugging Face encoder-decoder models (BART, T5, Marian, ...). Their forward
  does not accept position ids for both stacks (T5 computes relative positions from indices, BART and
  Marian from the sequence length), so a subset is expressed with attention masks instead: the full
  source and decoder prefix are fed, and tokens outside the subset are masked out as keys
  (``attention_mask`` for the source, ``decoder_attention_mask`` for the prefix). The prediction at the
  query position then depends on the subset only, and every kept token keeps its original position.
  The candidate set is the whole source *and* the decoder prefix, as in the paper's translation
  experiments.
* :class:`TorchLMAdapter` -- a plain ``torch.nn.Module`` (or any callable) mapping ``(input_ids,
  position_ids)`` of shape ``(B, L)`` to logits ``(B, L, V)``.

A prediction to explain is a :class:`Target`: its context (token ids), the candidate positions that may
enter the rationale, and the *query* position, which is always in the rationale because the model reads
its prediction there (the most recent token for an LM, as in the paper's reference implementation).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from rationalize.errors import RationalizeError

#: Default token budget of one forward pass (rows x sequence length).
DEFAULT_MAX_TOKENS = 4096


@dataclass(eq=False)
class Target:
    """One prediction y_t to rationalize.

    ``context`` holds the ids of the context space: for a causal LM the tokens before ``position``; for
    an encoder-decoder model the source followed by the decoder input up to ``position`` (the decoder
    start token, then y_0..y_{t-1}), so that positions ``< source_length`` are source tokens.
    """

    sequence: int
    position: int
    token_id: int
    context: torch.Tensor
    query: int
    source_length: int = 0
    candidates: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.candidates:
            self.candidates = tuple(range(len(self.context)))


class SequenceAdapter:
    """Common interface: build targets, and score many (target, subset) pairs per forward pass."""

    #: whether gradient and attention baselines are available
    supports_gradients: bool = False
    supports_attention: bool = False

    def __init__(self, tokenizer: Any = None, max_tokens: int = DEFAULT_MAX_TOKENS, device: str | None = None):
        self.tokenizer = tokenizer
        self.max_tokens = int(max_tokens)
        self.device = torch.device(device) if device else None
        #: shapes ``(rows, length)`` of every forward pass since the last :meth:`reset_log` (benchmarks)
        self.forward_log: list[tuple[int, ...]] = []

    # -- targets -----------------------------------------------------------------------------------
    def targets(self, sequence: Sequence[int] | Any, positions: Sequence[int] | None = None,
                target_ids: Sequence[int] | None = None, index: int = 0) -> list[Target]:
        """Targets of one sequence: y_t at each of ``positions`` (default: every position with a
        context), with the observed token as y_t unless ``target_ids`` gives the tokens to explain."""
        raise NotImplementedError

    # -- scoring -----------------------------------------------------------------------------------
    def _chunks_of(self, targets: Sequence[Target], subsets: Sequence[Sequence[int]]):
        """Yield ``(row indices, log-probs (rows, V))`` one forward pass at a time."""
        raise NotImplementedError

    @torch.no_grad()
    def log_probs(self, targets: Sequence[Target], subsets: Sequence[Sequence[int]]) -> torch.Tensor:
        """Log-probabilities ``(n, V)`` of the next token at each target's query position when the model
        sees only the context positions in the matching subset (which must contain the query)."""
        out: torch.Tensor | None = None
        for rows, lp in self._chunks_of(targets, subsets):
            if out is None:
                out = torch.empty(len(targets), lp.shape[-1])
            out[rows] = lp.cpu()
        if out is None:
            raise ValueError("no subsets to score")
        return out

    @torch.no_grad()
    def target_log_probs(self, targets: Sequence[Target], subsets: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(log p(y_t | subset), argmax token)`` for each pair, each of shape ``(n,)``; reduced per
        forward pass, so memory stays O(rows) rather than O(rows x vocabulary)."""
        logp = torch.empty(len(targets))
        arg = torch.empty(len(targets), dtype=torch.long)
        for rows, lp in self._chunks_of(targets, subsets):
            idx = torch.tensor([targets[int(i)].token_id for i in rows], device=lp.device)
            logp[rows] = lp.gather(1, idx[:, None])[:, 0].cpu()
            arg[rows] = lp.argmax(-1).cpu()
        return logp, arg

    @torch.no_grad()
    def full_context(self, targets: Sequence[Target]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(log p(y_t | full context), argmax token)`` of each target, each ``(n,)``: what the model predicts
        before any search. A target whose ``token_id`` is negative (not chosen yet) gets its argmax's
        log-probability. Generic version: one subset query per target with every candidate position."""
        logp = torch.empty(len(targets))
        arg = torch.empty(len(targets), dtype=torch.long)
        subsets = [sorted(set(t.candidates) | {t.query}) for t in targets]
        for rows, lp in self._chunks_of(targets, subsets):
            self._reduce(targets, rows, lp, logp, arg)
        return logp, arg

    @staticmethod
    def _reduce(targets: Sequence[Target], rows: torch.Tensor, lp: torch.Tensor, logp: torch.Tensor,
                arg: torch.Tensor) -> None:
        best = lp.argmax(-1)
        tok = torch.tensor([targets[int(i)].token_id for i in rows], device=lp.device)
        tok = torch.where(tok < 0, best, tok)
        logp[rows] = lp.gather(1, tok[:, None])[:, 0].cpu()
        arg[rows] = best.cpu()

    def vocab_size(self, target: Target) -> int:
        """Size of the next-token distribution (measured once with a one-token query, then cached)."""
        if getattr(self, "_vocab_size", None) is None:
            self._vocab_size = int(self.log_probs([target], [[target.query]]).shape[-1])
        return self._vocab_size

    def predict_next(self, context: Sequence[int]) -> int:
        """The model's argmax next token after the full ``context`` (causal models)."""
        raise NotImplementedError

    def reset_log(self) -> None:
        """Clear :attr:`forward_log` (e.g. before counting the forward passes of one run)."""
        self.forward_log = []

    # -- display -----------------------------------------------------------------------------------
    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """Display strings of token ids (decoded one by one; the ids themselves without a tokenizer)."""
        if self.tokenizer is None:
            return [str(int(i)) for i in ids]
        return [self.tokenizer.decode([int(i)]) for i in ids]

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` with the tokenizer's special tokens (needs a tokenizer)."""
        if self.tokenizer is None:
            raise RationalizeError("this model adapter has no tokenizer: pass token ids instead of text")
        return list(self.tokenizer(text, add_special_tokens=True)["input_ids"])

    def encode_with_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Token ids of ``text`` as :meth:`encode` gives them, with the ``[start, end)`` character span of each
        token (empty for special tokens); needs a fast (Rust) tokenizer."""
        if self.tokenizer is None:
            raise RationalizeError("this model adapter has no tokenizer: pass token ids instead of text")
        if not getattr(self.tokenizer, "is_fast", False):
            raise RationalizeError(f"{type(self.tokenizer).__name__} gives no character offsets (a fast tokenizer does)")
        enc = self.tokenizer(text, add_special_tokens=True, return_offsets_mapping=True)
        return list(enc["input_ids"]), [(int(s), int(e)) for s, e in enc["offset_mapping"]]

    def _chunks(self, n_rows: int, length: int) -> list[slice]:
        per = max(1, self.max_tokens // max(1, length))
        return [slice(i, min(n_rows, i + per)) for i in range(0, n_rows, per)]


class _PositionSubsetAdapter(SequenceAdapter):
    """Shared logic of decoder-only adapters: a subset is a sub-sequence with its original positions."""

    def targets(self, sequence: Sequence[int], positions: Sequence[int] | None = None,
                target_ids: Sequence[int] | None = None, index: int = 0) -> list[Target]:
        ids = torch.as_tensor(list(sequence), dtype=torch.long)
        n = len(ids)
        if positions is None:
            positions = list(range(1, n))
        out = []
        for j, p in enumerate(positions):
            p = int(p)
            if p < 1 or p > n or (p == n and target_ids is None):
                raise RationalizeError(f"target position {p} is outside 1..{n - 1 if target_ids is None else n} "
                                       f"(a sequence of {n} tokens; position 0 has no context)")
            tok = int(target_ids[j]) if target_ids is not None else int(ids[p])
            out.append(Target(sequence=index, position=p, token_id=tok, context=ids[:p], query=p - 1))
        return out

    def _forward_last(self, ids: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, V)`` at the last position for equal-length rows ``ids``/``pos`` of shape ``(B, L)``."""
        raise NotImplementedError

    @torch.no_grad()
    def _chunks_of(self, targets: Sequence[Target], subsets: Sequence[Sequence[int]]):
        if len(targets) != len(subsets):
            raise ValueError("targets and subsets must have the same length")
        groups: dict[int, list[int]] = {}
        rows_pos: list[torch.Tensor] = []
        for i, (t, s) in enumerate(zip(targets, subsets)):
            pos = torch.as_tensor(sorted(int(x) for x in s), dtype=torch.long)
            if len(pos) == 0 or int(pos[-1]) != t.query:
                raise ValueError(f"subset {list(s)} must contain the query position {t.query} as its last element")
            rows_pos.append(pos)
            groups.setdefault(len(pos), []).append(i)
        for length, members in groups.items():
            pos = torch.stack([rows_pos[i] for i in members])
            ids = torch.stack([targets[i].context[rows_pos[i]] for i in members])
            for sl in self._chunks(len(members), length):
                logits = self._forward_last(self._to(ids[sl]), self._to(pos[sl])).float()
                yield torch.as_tensor(members[sl]), torch.log_softmax(logits, dim=-1)

    def _forward_all(self, ids: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, L, V)`` at every position (the full-context pass reads many targets from one row)."""
        raise NotImplementedError

    @torch.no_grad()
    def full_context(self, targets: Sequence[Target]) -> tuple[torch.Tensor, torch.Tensor]:
        """As :meth:`SequenceAdapter.full_context`, with one forward pass per sequence: the targets of one
        sequence have contexts that are prefixes of its longest one, so that row's logits at every position
        answer all of them (a causal model's position ``p`` sees only positions up to ``p``)."""
        logp = torch.empty(len(targets))
        arg = torch.empty(len(targets), dtype=torch.long)
        groups: dict[int, list[int]] = {}
        for i, t in enumerate(targets):
            groups.setdefault(t.sequence, []).append(i)
        rest: list[int] = []
        for members in groups.values():
            ctx = max((targets[i].context for i in members), key=len)
            mine = [i for i in members if torch.equal(ctx[: len(targets[i].context)], targets[i].context)
                    and targets[i].query == len(targets[i].context) - 1]
            rest.extend(i for i in members if i not in set(mine))
            if not mine:
                continue
            self.forward_log.append((1, len(ctx)))
            logits = self._forward_all(self._to(ctx[None]), self._to(torch.arange(len(ctx))[None]))[0]
            rows = torch.tensor(mine)
            at = torch.tensor([targets[i].query for i in mine], device=logits.device)
            self._reduce(targets, rows, torch.log_softmax(logits[at].float(), dim=-1), logp, arg)
        if rest:
            lp, a = SequenceAdapter.full_context(self, [targets[i] for i in rest])
            logp[rest], arg[rest] = lp, a
        return logp, arg

    @torch.no_grad()
    def predict_next(self, context: Sequence[int]) -> int:
        ids = torch.as_tensor(list(context), dtype=torch.long)[None]
        pos = torch.arange(ids.shape[1])[None]
        return int(self._forward_last(self._to(ids), self._to(pos)).argmax(-1)[0])

    def _to(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.device is None else x.to(self.device)


class CausalLMAdapter(_PositionSubsetAdapter):
    """A Hugging Face causal LM (anything ``AutoModelForCausalLM`` loads) that accepts ``position_ids``."""

    supports_gradients = True
    supports_attention = True

    def __init__(self, model: nn.Module, tokenizer: Any = None, max_tokens: int = DEFAULT_MAX_TOKENS,
                 device: str | None = None):
        super().__init__(tokenizer, max_tokens, device)
        self.model = model.eval()
        if self.device is not None:
            self.model.to(self.device)
        params = inspect.signature(model.forward).parameters
        if "position_ids" not in params:
            raise RationalizeError(f"{type(model).__name__}.forward does not accept position_ids; a subset could "
                                   "not keep its original positions (use TorchLMAdapter with your own forward)")
        self._keep = "logits_to_keep" in params

    @classmethod
    def from_pretrained(cls, name: str, max_tokens: int = DEFAULT_MAX_TOKENS, device: str | None = None,
                        **kwargs: Any) -> CausalLMAdapter:
        """Load a model by alias (``smollm2``), local folder or hub name via :func:`rationalize.models.hub.hf_load`.

        GGUF checkpoints (the ``smollm2`` alias) are dequantised to float32 on load (about 18 s)."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from rationalize.models.hub import hf_load

        kwargs.setdefault("dtype", torch.float32)
        tok = hf_load(AutoTokenizer, name)
        model = hf_load(AutoModelForCausalLM, name, **kwargs)
        return cls(model, tok, max_tokens=max_tokens, device=device)

    def _forward_last(self, ids: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        self.forward_log.append(tuple(ids.shape))
        kw = {"logits_to_keep": 1} if self._keep else {}
        # An explicit all-ones mask matters: without one, transformers reads gaps in position_ids as
        # boundaries of packed sequences and would block attention across them.
        return self.model(input_ids=ids, position_ids=pos, attention_mask=torch.ones_like(ids), use_cache=False,
                          **kw).logits[:, -1]

    def _forward_all(self, ids: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=ids, position_ids=pos, attention_mask=torch.ones_like(ids), use_cache=False).logits

    def vocab_size(self, target: Target) -> int:
        """Rows of the LM head (no forward pass needed)."""
        head = self.model.get_output_embeddings() if hasattr(self.model, "get_output_embeddings") else None
        weight = getattr(head, "weight", None)
        return int(weight.shape[0]) if weight is not None else super().vocab_size(target)

    # -- hooks for the attribution baselines (full context, original positions) ---------------------
    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """Token embeddings ``(B, L, H)`` (no position information: positions come from ``position_ids``)."""
        return self.model.get_input_embeddings()(self._to(ids))

    def forward_embeds(self, embeds: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """Last-position logits ``(B, V)`` from input embeddings, differentiable."""
        kw = {"logits_to_keep": 1} if self._keep else {}
        mask = torch.ones(embeds.shape[:2], dtype=torch.long, device=embeds.device)
        return self.model(inputs_embeds=embeds, position_ids=self._to(pos), attention_mask=mask, use_cache=False,
                          **kw).logits[:, -1]

    @torch.no_grad()
    def attentions(self, ids: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """Attention weights ``(layers, heads, L, L)`` of one sequence (computed with eager attention)."""
        previous = getattr(self.model.config, "_attn_implementation", None)
        switch = previous not in (None, "eager") and hasattr(self.model, "set_attn_implementation")
        if switch:
            self.model.set_attn_implementation("eager")
        try:
            out = self.model(input_ids=self._to(ids), position_ids=self._to(pos), attention_mask=self._to(torch.ones_like(ids)),
                             output_attentions=True, use_cache=False)
        finally:
            if switch:
                self.model.set_attn_implementation(previous)
        if not out.attentions or out.attentions[0] is None:
            raise RationalizeError(f"{type(self.model).__name__} returned no attention weights")
        return torch.stack([a[0] for a in out.attentions]).float().cpu()


class TorchLMAdapter(_PositionSubsetAdapter):
    """A plain torch module or callable ``forward(input_ids, position_ids) -> logits (B, L, V)``.

    Gradient baselines also need ``embed(ids) -> (B, L, H)`` and ``forward_embeds(embeds, position_ids)
    -> logits (B, L, V)``; attention baselines need ``attentions(ids, position_ids) -> (layers, heads,
    L, L)`` (optional arguments)."""

    def __init__(self, forward: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], tokenizer: Any = None,
                 max_tokens: int = DEFAULT_MAX_TOKENS, embed: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 forward_embeds: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
                 attentions: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None):
        super().__init__(tokenizer, max_tokens)
        if isinstance(forward, nn.Module):
            forward.eval()
        self._forward = forward
        self._embed = embed
        self._forward_embeds = forward_embeds
        self._attentions = attentions
        self.supports_gradients = embed is not None and forward_embeds is not None
        self.supports_attention = attentions is not None

    def _forward_last(self, ids: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        self.forward_log.append(tuple(ids.shape))
        return self._forward(ids, pos)[:, -1]

    def _forward_all(self, ids: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        return self._forward(ids, pos)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """Input embeddings of ``ids`` via the ``embed`` callable (gradient baselines)."""
        assert self._embed is not None
        return self._embed(ids)

    def forward_embeds(self, embeds: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """Logits at the last position, ``(B, V)``, from embedded inputs (gradient baselines)."""
        assert self._forward_embeds is not None
        return self._forward_embeds(embeds, pos)[:, -1]

    @torch.no_grad()
    def attentions(self, ids: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """Attention weights of ``ids`` via the ``attentions`` callable (attention baselines)."""
        assert self._attentions is not None
        return self._attentions(ids, pos)


class Seq2SeqAdapter(SequenceAdapter):
    """A Hugging Face encoder-decoder model; subsets are expressed as attention masks (see module doc).

    A sequence is a pair ``(source_ids, target_ids)``; target position ``t`` explains ``target_ids[t]``
    from the whole source and ``target_ids[:t]`` (after the decoder start token)."""

    def __init__(self, model: nn.Module, tokenizer: Any = None, max_tokens: int = DEFAULT_MAX_TOKENS,
                 device: str | None = None):
        super().__init__(tokenizer, max_tokens, device)
        self.model = model.eval()
        if self.device is not None:
            self.model.to(self.device)
        start = getattr(model.config, "decoder_start_token_id", None)
        if start is None:
            raise RationalizeError(f"{type(model).__name__} config has no decoder_start_token_id")
        self.start_id = int(start)
        self.pad_id = int(getattr(model.config, "pad_token_id", None) or 0)

    @classmethod
    def from_pretrained(cls, name: str, max_tokens: int = DEFAULT_MAX_TOKENS, device: str | None = None,
                        **kwargs: Any) -> Seq2SeqAdapter:
        """Load a Hugging Face encoder-decoder model and its tokenizer from an alias, folder or hub name."""
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        from rationalize.models.hub import hf_load

        return cls(hf_load(AutoModelForSeq2SeqLM, name, **kwargs), hf_load(AutoTokenizer, name),
                   max_tokens=max_tokens, device=device)

    def targets(self, sequence: Any, positions: Sequence[int] | None = None,
                target_ids: Sequence[int] | None = None, index: int = 0) -> list[Target]:
        """Targets of one ``(source_ids, target_ids)`` pair: y_t at each of ``positions`` (default: every target token),
        with the observed token unless ``target_ids`` gives the tokens to explain."""
        try:
            source, target = sequence
        except (TypeError, ValueError):
            raise RationalizeError("an encoder-decoder sequence is a pair (source_ids, target_ids)") from None
        src = torch.as_tensor(list(source), dtype=torch.long)
        tgt = torch.as_tensor(list(target), dtype=torch.long)
        dec = torch.cat([torch.tensor([self.start_id]), tgt])
        if positions is None:
            positions = list(range(len(tgt)))
        out = []
        for j, p in enumerate(positions):
            p = int(p)
            if p < 0 or p > len(tgt) or (p == len(tgt) and target_ids is None):
                raise RationalizeError(f"target position {p} is outside 0..{len(tgt) - 1}")
            tok = int(target_ids[j]) if target_ids is not None else int(tgt[p])
            ctx = torch.cat([src, dec[: p + 1]])
            out.append(Target(sequence=index, position=p, token_id=tok, context=ctx, query=len(src) + p,
                              source_length=len(src)))
        return out

    @torch.no_grad()
    def _chunks_of(self, targets: Sequence[Target], subsets: Sequence[Sequence[int]]):
        n = len(targets)
        s_len = max(t.source_length for t in targets)
        d_len = max(len(t.context) - t.source_length for t in targets)
        src = torch.full((n, s_len), self.pad_id, dtype=torch.long)
        dec = torch.full((n, d_len), self.pad_id, dtype=torch.long)
        src_mask = torch.zeros(n, s_len, dtype=torch.long)
        dec_mask = torch.zeros(n, d_len, dtype=torch.long)
        last = torch.zeros(n, dtype=torch.long)
        for i, (t, s) in enumerate(zip(targets, subsets)):
            if t.query not in s:
                raise ValueError(f"subset {list(s)} must contain the query position {t.query}")
            sl = t.source_length
            src[i, :sl] = t.context[:sl]
            dec[i, : len(t.context) - sl] = t.context[sl:]
            for p in s:
                if p < sl:
                    src_mask[i, p] = 1
                else:
                    dec_mask[i, p - sl] = 1
            last[i] = t.query - sl
        for sl_ in self._chunks(n, s_len + d_len):
            self.forward_log.append((sl_.stop - sl_.start, s_len + d_len))
            logits = self.model(input_ids=self._to(src[sl_]), attention_mask=self._to(src_mask[sl_]),
                                decoder_input_ids=self._to(dec[sl_]), decoder_attention_mask=self._to(dec_mask[sl_]),
                                use_cache=False).logits.float()
            rows = torch.arange(logits.shape[0], device=logits.device)
            yield torch.arange(sl_.start, sl_.stop), torch.log_softmax(logits[rows, self._to(last[sl_])], dim=-1)

    def _to(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.device is None else x.to(self.device)


def load_lm(name: str, max_tokens: int = DEFAULT_MAX_TOKENS, device: str | None = None) -> SequenceAdapter:
    """Load an alias, folder or hub name as the right adapter (causal or encoder-decoder)."""
    from transformers import AutoConfig

    from rationalize.models.hub import ALIASES, hf_load

    alias = ALIASES.get(name)
    if alias is not None and alias.kind == "hf-causal-lm":  # skip parsing a GGUF file twice
        return CausalLMAdapter.from_pretrained(name, max_tokens=max_tokens, device=device)
    config = hf_load(AutoConfig, name)
    if getattr(config, "is_encoder_decoder", False):
        return Seq2SeqAdapter.from_pretrained(name, max_tokens=max_tokens, device=device)
    return CausalLMAdapter.from_pretrained(name, max_tokens=max_tokens, device=device)

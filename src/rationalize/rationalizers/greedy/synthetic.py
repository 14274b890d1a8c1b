"""A planted-dependency language for testing and benchmarking sequential rationales.

Each sequence is ``BOS d d K d d QUERY V``: distractor tokens ``d`` drawn at random, one *antecedent* key
``K`` at a random position, then ``QUERY`` and the value ``V = value_of(K)``. A fraction ``none_rate`` of
sequences has no key and ends with ``NONE``, so that a compatible model predicts ``NONE`` -- not a random
value -- when the key is absent from its context. The only sufficient rationale of ``V`` is therefore
``{QUERY, K}``: greedy rationalization must find the antecedent, and the exhaustive optimum has size 2.

:func:`train_planted_lm` builds a tiny Llama model and trains it with word dropout in a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rationalize.rationalizers.greedy.compatibility import finetune_compatible

PAD, BOS, QUERY, NONE = 0, 1, 2, 3


@dataclass(frozen=True)
class PlantedTask:
    """Vocabulary layout of the planted language."""

    n_keys: int = 6
    n_distractors: int = 12

    @property
    def keys(self) -> range:
        """Token ids of the keys."""
        return range(4, 4 + self.n_keys)

    @property
    def values(self) -> range:
        """Token ids of the values (``value_of(k)`` for each key ``k``)."""
        return range(4 + self.n_keys, 4 + 2 * self.n_keys)

    @property
    def distractors(self) -> range:
        """Token ids of the distractors."""
        return range(4 + 2 * self.n_keys, 4 + 2 * self.n_keys + self.n_distractors)

    @property
    def vocab_size(self) -> int:
        """Vocabulary size: the special tokens, keys, values and distractors."""
        return 4 + 2 * self.n_keys + self.n_distractors

    def value_of(self, key: int) -> int:
        """The value that follows ``QUERY`` when ``key`` is in the context."""
        return key + self.n_keys

    def sample(self, n: int, length: int = 8, none_rate: float = 0.3, seed: int = 0
               ) -> tuple[list[list[int]], list[int | None]]:
        """``n`` sequences of ``length`` context tokens before the value (``BOS``, ``length - 2`` fillers
        including the key, ``QUERY``), and the antecedent position of each (``None`` without a key)."""
        rng = np.random.default_rng(seed)
        seqs, ante = [], []
        for _ in range(n):
            body = [int(x) for x in rng.choice(list(self.distractors), size=length - 2)]
            if rng.random() < none_rate:
                seqs.append([BOS, *body, QUERY, NONE])
                ante.append(None)
                continue
            k = int(rng.choice(list(self.keys)))
            p = int(rng.integers(0, length - 2))
            body[p] = k
            seqs.append([BOS, *body, QUERY, self.value_of(k)])
            ante.append(p + 1)
        return seqs, ante


def tiny_llama(vocab_size: int, hidden: int = 64, layers: int = 2, heads: int = 4, max_positions: int = 64,
               seed: int = 0, dtype: torch.dtype = torch.float32) -> torch.nn.Module:
    """A randomly initialised, tiny Llama causal LM (the SmolLM2 architecture, RoPE positions)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=vocab_size, hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
                      num_attention_heads=heads, num_key_value_heads=heads, max_position_embeddings=max_positions,
                      pad_token_id=PAD, bos_token_id=BOS, eos_token_id=None, tie_word_embeddings=False)
    cfg._attn_implementation = "eager"
    return LlamaForCausalLM(cfg).to(dtype)


def train_planted_lm(task: PlantedTask | None = None, n: int = 2000, length: int = 8, steps: int = 250,
                     seed: int = 0, lr: float = 5e-3, batch_size: int = 64, dtype: torch.dtype = torch.float32
                     ) -> tuple[torch.nn.Module, PlantedTask]:
    """A tiny Llama trained with word dropout on the planted language (a few seconds on one CPU core)."""
    task = task or PlantedTask()
    seqs, _ = task.sample(n, length=length, seed=seed)
    model = tiny_llama(task.vocab_size, seed=seed, dtype=dtype)
    finetune_compatible(model, seqs, steps=steps, batch_size=batch_size, lr=lr, seed=seed, pad_id=PAD, progress=False)
    return model, task


def planted_tokenizer(task: PlantedTask) -> object:
    """A whitespace word-level Hugging Face tokenizer for the planted language (``<s>`` prepended), so the
    planted model can be saved as a normal model folder and used from the command line."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    names = ["<pad>", "<s>", "QUERY", "NONE"]
    names += [f"k{i}" for i in range(task.n_keys)] + [f"v{i}" for i in range(task.n_keys)]
    names += [f"d{i}" for i in range(task.n_distractors)]
    vocab = {w: i for i, w in enumerate(names)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<pad>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", BOS)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token="<s>", unk_token="<pad>")


def planted_text(task: PlantedTask, seq: list[int]) -> str:
    """The text of a planted sequence (without its leading ``<s>``)."""
    tok = planted_tokenizer(task)
    return " ".join(tok.convert_ids_to_tokens([i for i in seq if i != BOS]))

"""A toy explanation task and tiny models for the free-text tests, all built in seconds, offline.

Task: a 5-word "review" holds one signal word; the label is its polarity and the correct explanation is
"the word <signal> is <positive|negative>". A model that learnt the task must copy the right word into its
explanation, so explanations can be checked exactly.
"""

from __future__ import annotations

import random
from pathlib import Path

from rationalize.data.schema import Dataset, Document, Example

FILLERS = ["the", "a", "movie", "film", "plot", "actor", "scene", "story", "was", "is", "very", "quite"]
SIGNALS = {"POS": ["good", "great", "fine", "nice"], "NEG": ["bad", "awful", "poor", "dull"]}
POLARITY = {"POS": "positive", "NEG": "negative"}
SPECIALS = ["[PAD]", "[UNK]", "[EOS]"]
MARKERS = ["explain", "toy", "document", "output", ":", "explanation", "answer", "hint", "word", "so", "the",
           "is", "positive", "negative", "POS", "NEG", ".", "with"]


def explanation_for(signal: str, label: str) -> str:
    return f"the word {signal} is {POLARITY[label]}"


def toy_dataset(n_train: int = 120, n_val: int = 40, seed: int = 0, name: str = "toy") -> Dataset:
    """Examples ``{split}_{i}``: one document of 5 tokens; ``explanations`` holds the correct explanation."""
    rng = random.Random(seed)
    splits: dict[str, list[Example]] = {}
    docs: dict[str, Document] = {}
    for split, n in (("train", n_train), ("val", n_val)):
        exs = []
        for i in range(n):
            label = rng.choice(["NEG", "POS"])
            signal = rng.choice(SIGNALS[label])
            words = [rng.choice(FILLERS) for _ in range(4)]
            words.insert(rng.randrange(5), signal)
            eid = f"{split}_{i}"
            docs[eid] = Document(eid, words, [(0, 5)])
            exs.append(Example(eid, [eid], label, explanations=[explanation_for(signal, label)],
                               metadata={"signal": signal}))
        splits[split] = exs
    return Dataset(name, splits, docs, ["NEG", "POS"])


def tiny_causal_lm(seed: int = 0, n_embd: int = 64):
    """A 2-layer GPT-2 with a word-level tokenizer over the toy vocabulary (untrained)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    from rationalize.rationalizers.freetext import HFGenerator

    words = SPECIALS + sorted(set(MARKERS + FILLERS + [w for ws in SIGNALS.values() for w in ws]))
    vocab = {w: i for i, w in enumerate(dict.fromkeys(words))}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="[PAD]", unk_token="[UNK]", eos_token="[EOS]")
    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=len(vocab), n_positions=64, n_embd=n_embd, n_layer=2, n_head=2,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                     bos_token_id=vocab["[EOS]"], eos_token_id=vocab["[EOS]"], pad_token_id=vocab["[PAD]"])
    return HFGenerator(GPT2LMHeadModel(cfg).eval(), tok, name="tiny-gpt2")


def trained_tiny(ds: Dataset, template, epochs: int = 12, seed: int = 0, out_dir: str | Path | None = None,
                 lr: float = 3e-3, batch_size: int = 32):
    """The tiny GPT-2 fine-tuned on the toy task's explanations with ``train_explainer``."""
    import torch

    from rationalize.engine.training import TrainConfig
    from rationalize.rationalizers.freetext import explainer_pairs, train_explainer

    torch.set_num_threads(1)
    gen = tiny_causal_lm(seed)
    pairs = explainer_pairs(ds, ds["train"], template)
    val = explainer_pairs(ds, ds["val"], template)
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, monitor="loss", mode="min", patience=epochs,
                      seed=seed, progress=False)
    history = train_explainer(gen, pairs, val, cfg, out_dir=out_dir)
    return gen, history

"""Any Hugging Face sequence classifier as a rationalize :class:`~rationalize.models.base.TextClassifier`.

Three things matter for rationales and are handled here once:

* **Exact piece-to-token map.** Dataset tokens are fed pre-split (``is_split_into_words=True``) to the
  fast tokenizer, whose ``word_ids`` give, for every sub-word piece, the dataset token it came from.
  Explanations computed on pieces are aggregated back onto the dataset's own tokens with that map.
* **No silent truncation.** A document longer than the model limit becomes overlapping windows
  (``[CLS] query [SEP] piece window [SEP]``); the example's logits are the mean of its windows' logits
  (as in e.g. the ERASER BERT baselines' handling of long inputs, DeYoung et al., 2020).
* **Masking.** The dataset token :data:`~rationalize.models.base.MASK` becomes the tokenizer's mask
  token (or its unknown token when it has none), one piece per masked dataset token.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rationalize.models.base import MASK, ClassifierInput, read_config, save_config
from rationalize.models.hub import hf_load
from rationalize.models.windows import Window, WindowedClassifierMixin, pad_stack


class HFClassifier(WindowedClassifierMixin, nn.Module):
    """Wraps ``AutoModelForSequenceClassification`` (alias such as ``minilm``, local folder or hub name).

    Parameters
    ----------
    model: alias, folder or hub name; a new classification head is created when it has none.
    labels: the label names, in the order of the model's outputs.
    window_size: pieces per window including special tokens (default: the model limit, at most 512).
    overlap: pieces shared by consecutive windows (default: a quarter of a window's document budget).
    """

    default_batch_size = 16

    def __init__(self, model: str = "minilm", labels: Sequence[str] = ("NEG", "POS"), window_size: int | None = None,
                 overlap: int | None = None, *, hf_model: Any = None, tokenizer: Any = None):
        super().__init__()
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.model_name = model
        self.labels = [str(lab) for lab in labels]
        self.tokenizer = tokenizer if tokenizer is not None else hf_load(AutoTokenizer, model)
        if not getattr(self.tokenizer, "is_fast", False):
            raise ValueError(f"{model!r}: HFClassifier needs a fast tokenizer (for the exact piece-to-token map)")
        if hf_model is None:
            id2label = dict(enumerate(self.labels))
            hf_model = hf_load(AutoModelForSequenceClassification, model, num_labels=len(self.labels),
                               id2label=id2label, label2id={v: k for k, v in id2label.items()})
        self.hf = hf_model
        if self.hf.config.num_labels != len(self.labels):
            raise ValueError(f"model {model!r} has {self.hf.config.num_labels} outputs but {len(self.labels)} labels were given")
        limit = min(int(getattr(self.tokenizer, "model_max_length", 512) or 512), 512,
                    int(getattr(self.hf.config, "max_position_embeddings", 512) or 512))
        self.window_size = int(window_size or limit)
        if self.window_size > limit:
            raise ValueError(f"window_size {self.window_size} exceeds the model limit {limit}")
        self._template_single = self._template(pair=False)
        self._template_pair = self._template(pair=True)
        budget = self.window_size - sum(1 for kind, _, _ in self._template_single if kind == "special")
        self.overlap = int(overlap if overlap is not None else budget // 4)
        self.mask_id = int(self.tokenizer.mask_token_id if self.tokenizer.mask_token_id is not None else self.tokenizer.unk_token_id)
        self.pad_id = int(self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0)
        self.uses_segments = "token_type_ids" in getattr(self.tokenizer, "model_input_names", [])
        self.eval()  # inference mode by default (dropout off); fit() switches to train mode itself

    # -- tokenization --------------------------------------------------------------------------------
    def _template(self, pair: bool) -> list[tuple[str, int, int]]:
        """Layout of special tokens around the (query and) document pieces, read off the tokenizer:
        a list of ``(kind, id, segment)`` with kind ``special``, ``query`` or ``doc``."""
        enc = self.tokenizer(["a"], ["b"], is_split_into_words=True) if pair else self.tokenizer(["b"], is_split_into_words=True)
        seq = enc.sequence_ids(0)
        types = enc.get("token_type_ids") or [0] * len(seq)
        out = []
        for tid, s, t in zip(enc["input_ids"], seq, types):
            if s is None:
                out.append(("special", int(tid), int(t)))
            else:
                out.append(("query" if pair and s == 0 else "doc", -1, int(t)))
        return out

    def pieces(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Piece ids of dataset ``tokens`` and, for each piece, the index of its dataset token."""
        if len(tokens) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        words = ["x" if t == MASK else t for t in tokens]
        enc = self.tokenizer(words, is_split_into_words=True, add_special_tokens=False, verbose=False)
        ids = np.asarray(enc["input_ids"], dtype=np.int64)
        word = np.asarray([-1 if w is None else w for w in enc.word_ids()], dtype=np.int64)
        masked = np.fromiter((t == MASK for t in tokens), dtype=bool, count=len(tokens))
        if masked.any():
            hit = masked[word]
            keep = ~hit
            first = hit & np.concatenate([[True], word[1:] != word[:-1]])  # one mask piece per masked token
            keep |= first
            ids = np.where(first, self.mask_id, ids)[keep]
            word = word[keep]
        return ids, word

    def windows(self, inputs: Sequence[ClassifierInput]) -> list[Window]:
        out: list[Window] = []
        for i, inp in enumerate(inputs):
            d_ids, d_tok = self.pieces(inp.tokens)
            q_ids = self.pieces(inp.query)[0] if inp.query else None
            template = self._template_pair if q_ids is not None else self._template_single
            n_special = sum(1 for kind, _, _ in template if kind == "special")
            budget = self.window_size - n_special - (len(q_ids) if q_ids is not None else 0)
            if budget < 8:
                raise ValueError(f"input {i}: the query takes {len(q_ids) if q_ids is not None else 0} pieces, leaving "
                                 f"{budget} of window_size {self.window_size} for the document")
            step = max(1, budget - min(self.overlap, budget - 1))
            starts = [0]
            while starts[-1] + budget < len(d_ids):
                starts.append(starts[-1] + step)
            mine = []
            for s in starts:
                ids, tix, seg, pix = [], [], [], []
                for kind, tid, t in template:
                    if kind == "special":
                        ids.append(np.array([tid])); tix.append(np.array([-1])); seg.append(np.array([t])); pix.append(np.array([-1]))
                    elif kind == "query":
                        ids.append(q_ids); tix.append(np.full(len(q_ids), -1)); seg.append(np.full(len(q_ids), t))
                        pix.append(np.full(len(q_ids), -1))
                    else:
                        chunk = slice(s, s + budget)
                        n = len(d_ids[chunk])
                        ids.append(d_ids[chunk]); tix.append(d_tok[chunk]); seg.append(np.full(n, t))
                        pix.append(np.arange(s, s + n))
                cat = [np.concatenate(x).astype(np.int64) for x in (ids, tix, seg, pix)]
                mine.append(Window(i, cat[0], cat[1], cat[2], piece_index=cat[3]))
            for w in mine:
                w.n_windows = len(mine)
            out.extend(mine)
        return out

    def collate(self, windows: Sequence[Window]) -> dict[str, torch.Tensor]:
        ids = pad_stack([w.ids for w in windows], self.pad_id)
        mask = pad_stack([np.ones(len(w.ids), dtype=np.int64) for w in windows], 0)
        batch = {"input_ids": ids, "attention_mask": mask}
        if self.uses_segments:
            batch["token_type_ids"] = pad_stack([w.segments if w.segments is not None else np.zeros(len(w.ids), dtype=np.int64)
                                                 for w in windows], 0)
        return batch

    # -- forward passes ------------------------------------------------------------------------------
    def window_logits(self, batch: dict[str, torch.Tensor], inputs_embeds: torch.Tensor | None = None) -> torch.Tensor:
        kw = {k: v for k, v in batch.items() if k in ("attention_mask", "token_type_ids")}
        if inputs_embeds is not None:
            return self.hf(inputs_embeds=inputs_embeds, **kw).logits
        return self.hf(input_ids=batch["input_ids"], **kw).logits

    def input_embeddings(self) -> nn.Module:
        return self.hf.get_input_embeddings()

    def token_attention(self, batch: dict[str, torch.Tensor], mode: str = "last") -> torch.Tensor:
        """Attention from the first position ([CLS]) to every position, averaged over heads, for
        ``mode`` = ``last`` (last layer), ``mean`` (mean of layers) or ``rollout`` (Abnar & Zuidema,
        2020: residual-corrected attention multiplied through the layers)."""
        impl = self.hf.config._attn_implementation
        if impl != "eager":
            self.hf.set_attn_implementation("eager")
        try:
            kw = {k: v for k, v in batch.items() if k in ("attention_mask", "token_type_ids")}
            att = self.hf(input_ids=batch["input_ids"], output_attentions=True, **kw).attentions
        finally:
            if impl != "eager":
                self.hf.set_attn_implementation(impl)
        heads = [a.mean(1) for a in att]  # each (B, L, L)
        if mode == "last":
            return heads[-1][:, 0]
        if mode == "mean":
            return torch.stack(heads).mean(0)[:, 0]
        if mode == "rollout":
            eye = torch.eye(heads[0].shape[-1]).unsqueeze(0)
            roll = None
            for a in heads:
                a = 0.5 * a + 0.5 * eye
                a = a / a.sum(-1, keepdim=True)
                roll = a if roll is None else torch.bmm(a, roll)
            return roll[:, 0]
        raise ValueError(f"unknown attention mode {mode!r}; use last, mean or rollout")

    # -- persistence ---------------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.hf.save_pretrained(folder / "hf")
        self.tokenizer.save_pretrained(folder / "hf")
        save_config(folder, type(self), labels=self.labels, window_size=self.window_size, overlap=self.overlap,
                    base_model=self.model_name)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> HFClassifier:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        cfg = read_config(folder)
        path = str(Path(folder) / "hf")
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForSequenceClassification.from_pretrained(path)
        obj = cls(path, cfg["labels"], cfg.get("window_size"), cfg.get("overlap"), hf_model=model, tokenizer=tok)
        obj.model_name = cfg.get("base_model", path)
        return obj

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

The window size defaults to the model's position limit (:func:`max_positions`). The query is fed as the
first sentence of a pair (``query="include"``) or left out (``query="drop"``): a classifier fine-tuned on
plain texts never saw a query, and a query that is the same for every example (ERASER movies' "What is
the sentiment of this review?") tells it nothing while taking window room. A plain Hugging Face folder
(:meth:`HFClassifier.from_hf_folder`) chooses between the two from the dataset.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from rationalize.errors import DataError
from rationalize.models.base import HF_CONFIG_NAME, MASK, ClassifierInput, match_labels, read_config, save_config
from rationalize.models.hub import hf_load
from rationalize.models.windows import Window, WindowedClassifierMixin, pad_stack, perturb_pieces

if TYPE_CHECKING:
    from rationalize.data.schema import Dataset

QUERY_MODES = ("include", "drop")

#: Files of which a saved tokenizer has at least one (fast ``tokenizer.json``, or a slow tokenizer's vocabulary).
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "spiece.model",
                   "sentencepiece.bpe.model", "tokenizer.model")

#: Model types whose position ids start after the padding index (RoBERTa style), so that
#: ``max_position_embeddings - pad_token_id - 1`` positions are usable.
_PADDING_OFFSET_TYPES = frozenset({"roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "longformer",
                                   "roberta-prelayernorm", "data2vec-text", "ibert", "mpnet", "xmod", "luke",
                                   "markuplm", "esm"})


def max_positions(config: Any, tokenizer: Any) -> int:
    """Longest input the model accepts, in pieces including special tokens.

    The config's ``max_position_embeddings`` (less the padding offset of RoBERTa-style position ids); a
    model without absolute positions falls back to the tokenizer's ``model_max_length`` when it is a real
    limit, else 512. The tokenizer's value is not used otherwise: fine-tuning scripts often save it as
    their truncation length, which is not a limit of the model.
    """
    n = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
    if n:
        n = int(n)
        if getattr(config, "model_type", None) in _PADDING_OFFSET_TYPES:
            n -= int(getattr(config, "pad_token_id", None) or 0) + 1
        return n
    tok_max = int(getattr(tokenizer, "model_max_length", 0) or 0)
    return tok_max if 0 < tok_max < 1_000_000 else 512


class HFClassifier(WindowedClassifierMixin, nn.Module):
    """Wraps ``AutoModelForSequenceClassification`` (alias such as ``minilm``, local folder or hub name).

    A user's fine-tuned ``save_pretrained`` folder, with labels read from its ``id2label`` and matched to a
    dataset's, loads with :meth:`from_hf_folder`; one saved by :meth:`save` with :meth:`load`.

    Parameters
    ----------
    model: alias, folder or hub name; a new classification head is created when it has none.
    labels: the label names, in the order of the model's outputs.
    window_size: pieces per window including special tokens (default: :func:`max_positions`, the model's
        position limit).
    overlap: pieces shared by consecutive windows (default: a quarter of a window's document budget).
    query: ``include`` feeds an input's query as the first sentence of a pair (``[CLS] query [SEP] doc
        [SEP]``, in every window); ``drop`` ignores queries (``[CLS] doc [SEP]``).
    """

    #: windows per forward pass for callers that need a count (explainers' defaults)
    default_batch_size = 8
    #: padded pieces per PyTorch forward pass when no batch size is given: 8 windows of 256 pieces, 4 of
    #: 512. On the 2-core CPU of benchmarks/faithfulness.py, idle, 4096 (16 x 256) put the engine at 1.23x
    #: its floor (batches of 4); under load, PyTorch's two threads wait for each other at every parallel
    #: region, which makes small batches dearer (1024 pieces: 2x the 4096 floor at load 4.5) -- 2048 is
    #: between the two. ``batch_size`` (``--batch-size``) overrides it.
    piece_budget = 2048
    #: the same for ONNX Runtime passes: 4 windows of 256, 2 of 512. Idle, ONNX Runtime costs 1.3x more per
    #: piece at 16 x 256 than at 8 x 128 (its engine took 1.46x its floor at 4096 pieces); under load it is
    #: flat within 10% from 1024 to 4096 pieces
    onnx_piece_budget = 1024
    #: the forward backend of gradient-free passes: None (PyTorch) or an ONNX Runtime session
    #: (:func:`rationalize.models.onnx_backend.use_onnx`)
    backend: Any = None
    #: the folder the model was loaded from (where an ONNX export is cached), when there is one
    folder_: Path | None = None

    def __init__(self, model: str = "minilm", labels: Sequence[str] = ("NEG", "POS"), window_size: int | None = None,
                 overlap: int | None = None, *, hf_model: Any = None, tokenizer: Any = None,
                 query: str = "include"):
        super().__init__()
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        if query not in QUERY_MODES:
            raise ValueError(f"query must be one of {', '.join(QUERY_MODES)}, got {query!r}")
        self.model_name = model
        self.query_mode = query
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
        limit = max_positions(self.hf.config, self.tokenizer)
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
        self._cache_key = object()  # this model's encodings in the inputs' caches (see encoding)
        self.eval()  # inference mode by default (dropout off); fit() switches to train mode itself

    @property
    def forward_budget(self) -> int:
        """Padded pieces per gradient-free forward pass without a batch size: :attr:`onnx_piece_budget` on
        the ONNX Runtime backend, else :attr:`piece_budget`."""
        return self.onnx_piece_budget if self.backend is not None else self.piece_budget

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

    def encoding(self, inp: ClassifierInput) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Document piece ids, their dataset token indices and the query's piece ids (None without a
        query) of ``inp``, computed once per input and kept in its cache. A perturbed input
        (:meth:`ClassifierInput.perturbed <rationalize.models.base.ClassifierInput.perturbed>`) takes its
        pieces from its source's (:func:`~rationalize.models.windows.perturb_pieces`): the fast tokenizer
        encodes pre-split words one by one, so that is exactly what tokenising its tokens would give."""
        return inp.cached(self._cache_key, lambda: self._encode(inp))

    def _encode(self, inp: ClassifierInput) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        origin = inp.origin
        if origin is not None and len(origin.removed) == len(origin.source.tokens):
            s_ids, s_tok, s_query = self.encoding(origin.source)
            derived = perturb_pieces(s_ids, s_tok, origin, self.mask_id)
            if derived is not None and (origin.source.query is inp.query or origin.source.query == inp.query):
                return derived[0], derived[1], s_query
        d_ids, d_tok = self.pieces(inp.tokens)
        return d_ids, d_tok, self.pieces(inp.query)[0] if inp.query else None

    def windows(self, inputs: Sequence[ClassifierInput]) -> list[Window]:
        """Split each input into overlapping windows of at most ``window_size`` pieces (the query, when
        included, is repeated in each)."""
        out: list[Window] = []
        for i, inp in enumerate(inputs):
            d_ids, d_tok, q_ids = self.encoding(inp)
            if self.query_mode != "include":
                q_ids = None
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
        """Pad a batch of windows into ``input_ids`` and ``attention_mask`` (plus ``token_type_ids`` where
        the model uses them)."""
        ids = pad_stack([w.ids for w in windows], self.pad_id)
        mask = pad_stack([np.ones(len(w.ids), dtype=np.int64) for w in windows], 0)
        batch = {"input_ids": ids, "attention_mask": mask}
        if self.uses_segments:
            batch["token_type_ids"] = pad_stack([w.segments if w.segments is not None else np.zeros(len(w.ids), dtype=np.int64)
                                                 for w in windows], 0)
        return batch

    # -- forward passes ------------------------------------------------------------------------------
    def window_logits(self, batch: dict[str, torch.Tensor], inputs_embeds: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(B, n_labels)`` of a collated batch, or of ``inputs_embeds`` in its place (gradient explainers)."""
        if self.backend is not None and inputs_embeds is None and not torch.is_grad_enabled() and not self.training:
            return self.backend(batch)  # ONNX Runtime (rationalize.models.onnx_backend): forward-only work
        kw = {k: v for k, v in batch.items() if k in ("attention_mask", "token_type_ids")}
        if inputs_embeds is not None:
            return self.hf(inputs_embeds=inputs_embeds, **kw).logits
        return self.hf(input_ids=batch["input_ids"], **kw).logits

    def input_embeddings(self) -> nn.Module:
        """The model's input embedding layer (where gradient explainers attach)."""
        return self.hf.get_input_embeddings()

    @contextmanager
    def eager_attention(self) -> Iterator[None]:
        """Run the block with the eager attention implementation, then restore the model's own: eager
        attention returns attention weights and supports double backward (rationale supervision's input
        gradient penalty), which the fused CPU kernels do not."""
        impl = self.hf.config._attn_implementation
        if impl != "eager":
            self.hf.set_attn_implementation("eager")
        try:
            yield
        finally:
            if impl != "eager":
                self.hf.set_attn_implementation(impl)

    def logits_and_attention(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``(B, n_labels)`` and the last layer's attention from [CLS] to every position, averaged
        over heads ``(B, L)``, from one differentiable forward pass (what attention supervision aligns with
        the human rationale)."""
        kw = {k: v for k, v in batch.items() if k in ("attention_mask", "token_type_ids")}
        with self.eager_attention():
            out = self.hf(input_ids=batch["input_ids"], output_attentions=True, **kw)
        return out.logits, out.attentions[-1].mean(1)[:, 0]

    def token_attention(self, batch: dict[str, torch.Tensor], mode: str = "last") -> torch.Tensor:
        """Attention from the first position ([CLS]) to every position, averaged over heads, for
        ``mode`` = ``last`` (last layer), ``mean`` (mean of layers) or ``rollout`` (Abnar & Zuidema,
        2020: residual-corrected attention multiplied through the layers)."""
        kw = {k: v for k, v in batch.items() if k in ("attention_mask", "token_type_ids")}
        with self.eager_attention():
            att = self.hf(input_ids=batch["input_ids"], output_attentions=True, **kw).attentions
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
        """Write the model and tokenizer (under ``hf/``) and the config to ``folder``; reload with
        :meth:`load`. Returns the folder."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.hf.save_pretrained(folder / "hf")
        self.tokenizer.save_pretrained(folder / "hf")
        save_config(folder, type(self), labels=self.labels, window_size=self.window_size, overlap=self.overlap,
                    base_model=self.model_name, query=self.query_mode)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> HFClassifier:
        """Reload a folder written by :meth:`save` (``rationalize.json`` + ``hf/``)."""
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        cfg = read_config(folder)
        path = str(Path(folder) / "hf")
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForSequenceClassification.from_pretrained(path)
        obj = cls(path, cfg["labels"], cfg.get("window_size"), cfg.get("overlap"), hf_model=model, tokenizer=tok,
                  query=cfg.get("query", "include"))
        obj.model_name = cfg.get("base_model", path)
        obj.folder_ = Path(folder)
        return obj

    @classmethod
    def from_hf_folder(cls, folder: str | Path, labels: Sequence[str] | None = None, *,
                       dataset: Dataset | None = None, model_labels: Sequence[str] | None = None,
                       query: str = "auto", window_size: int | None = None,
                       overlap: int | None = None) -> HFClassifier:
        """Wrap a user's fine-tuned classifier: a folder written by ``model.save_pretrained(folder)`` and
        ``tokenizer.save_pretrained(folder)``, with no ``rationalize.json``.

        Labels: the model's output names are its config's ``id2label`` (or ``model_labels``, one name per
        output in output order, for a model whose ``id2label`` was never set), matched to ``labels``
        (default: ``dataset.labels``) by :func:`~rationalize.models.base.match_labels`: same name
        case-insensitively, else a common alias (``negative`` = ``NEG``). Generic ``LABEL_i`` names are
        not matched by order; they must be named. The returned classifier's ``labels`` are the dataset's
        names in the model's output order, so ``predict_proba`` column ``j`` is label ``labels[j]``. With
        neither ``labels`` nor ``dataset``, the ``id2label`` names are kept as they are.

        Query (``query``): ``include`` or ``drop`` (see :class:`HFClassifier`); ``auto`` drops it when every
        example of ``dataset`` has the same query (or none) -- a constant query carries no information about
        the example and a plain fine-tuned model was trained without it -- and includes it otherwise (a
        question that varies per example is part of the task), or when no dataset is given.

        Window size: ``window_size`` or :func:`max_positions`; weights load in float32 (exact gradients).
        Refused with a :class:`~rationalize.errors.DataError`: no tokenizer, no classification head, or
        label names that cannot be matched.
        """
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        folder = Path(folder)
        config_path = folder / HF_CONFIG_NAME
        if query not in ("auto", *QUERY_MODES):
            raise ValueError(f"query must be auto, include or drop, got {query!r}")

        def no_tokenizer(why: str) -> DataError:
            return DataError(folder, None, None, f"has no usable tokenizer ({why}); save it next to the model "
                                                 "with tokenizer.save_pretrained(folder)")

        if not any((folder / name).is_file() for name in TOKENIZER_FILES):
            # transformers would build an empty tokenizer (every word [UNK]) from config.json alone
            raise no_tokenizer(f"none of {', '.join(TOKENIZER_FILES)}")
        try:
            tok = AutoTokenizer.from_pretrained(str(folder))
        except (OSError, ValueError, TypeError) as exc:
            raise no_tokenizer(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
        if len(tok) <= len(set(tok.all_special_ids)):
            raise no_tokenizer("its vocabulary holds only special tokens")
        try:
            hf, info = AutoModelForSequenceClassification.from_pretrained(str(folder), output_loading_info=True,
                                                                          dtype=torch.float32)
        except (OSError, ValueError, KeyError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise DataError(config_path, None, None, f"is not a sequence classifier that transformers can load "
                            f"({type(exc).__name__}: {first})") from None
        missing = sorted(info.get("missing_keys") or ())
        if missing:  # transformers would initialise them at random: explanations of noise
            shown = ", ".join(missing[:4]) + (", ..." if len(missing) > 4 else "")
            raise DataError(config_path, None, None, f"holds no trained classification head (weights missing from "
                            f"the checkpoint: {shown}); fine-tune it first, e.g. rationalize train classifier "
                            f"--encoder minilm --model {folder}")
        n = int(hf.config.num_labels)
        id2label = {int(k): str(v) for k, v in (hf.config.id2label or {}).items()}
        names = [id2label.get(i, f"LABEL_{i}") for i in range(n)]
        if model_labels is not None:
            if len(model_labels) != n:
                raise DataError(config_path, None, "id2label", f"names {n} outputs but {len(model_labels)} "
                                f"model_labels were given ({', '.join(map(str, model_labels))})")
            names = [str(x) for x in model_labels]
        target = labels if labels is not None else (dataset.labels if dataset is not None else None)
        if target is not None:
            names = match_labels(names, target, source=config_path)
        if query == "auto":
            query = "drop" if dataset is not None and has_constant_query(dataset) else "include"
        try:
            obj = cls(str(folder), names, window_size, overlap, hf_model=hf, tokenizer=tok, query=query)
        except ValueError as exc:
            raise DataError(folder, None, None, str(exc)) from None
        obj.folder_ = Path(folder)
        return obj


def has_constant_query(dataset: Dataset) -> bool:
    """True when every example of every split has the same query (or none): such a query says nothing
    about the example (ERASER movies: "What is the sentiment of this review?")."""
    return len({ex.query for examples in dataset.splits.values() for ex in examples}) <= 1

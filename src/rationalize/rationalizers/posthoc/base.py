"""The shared interface and text plumbing of every post-hoc explainer.

An explainer is built on a classifier that implements :class:`~rationalize.models.windows.WindowedModel`
(our :class:`~rationalize.models.classifier.EncoderClassifier` and
:class:`~rationalize.models.hf_classifier.HFClassifier`) and, like Captum's ``attribute``, maps a batch
of inputs and targets to one attribution score per **dataset token** of the (concatenated) documents:

``explainer.attribute(inputs, target=None) -> list[np.ndarray]``

Captum computes the attributions (on the word-embedding outputs, or on a binary "token kept" vector for
perturbation methods); this module does the text work around it:

* sub-word pieces -> dataset tokens with the model's exact map, aggregated by ``sum`` (default; keeps
  completeness), ``mean`` or ``max-abs``;
* long documents: windows are attributed separately and combined as the pooled prediction combines them
  (mean of window logits), so the scores explain the model's actual document prediction;
* query tokens are inputs but never receive scores (their baseline equals the input);
* targets: the predicted class by default, or any class index / label name, per example.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from rationalize.engine.training import eval_mode, frozen_parameters
from rationalize.models.base import ClassifierInput
from rationalize.models.windows import Window, WindowedModel

Target = int | str | Sequence[int | str] | None
AGGREGATIONS = ("sum", "mean", "max-abs")


class Explainer:
    """Base class: stores parameters (sklearn style); subclasses implement :meth:`_attribute_windows`
    (attention; the gradient family through
    :class:`~rationalize.rationalizers.posthoc.gradient.GradientExplainer`) or override :meth:`attribute`
    (:class:`PerturbationExplainer`, random). :meth:`attribute` leaves the model's train/eval mode and
    ``requires_grad`` flags as it found them."""

    name: ClassVar[str] = ""
    #: how per-dimension embedding attributions become one number per piece: ``sum`` or ``l2``
    default_reduce: ClassVar[str] = "sum"

    def __init__(self, model: Any, aggregation: str = "sum", batch_size: int = 16, output: str = "logits",
                 reduce: str | None = None, seed: int = 0):
        if not isinstance(model, WindowedModel):
            raise TypeError(f"{type(model).__name__} does not implement the windowed classifier interface "
                            "(windows, collate, window_logits, input_embeddings); use EncoderClassifier or HFClassifier")
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
        if output not in ("logits", "probs"):
            raise ValueError(f"output must be 'logits' or 'probs', got {output!r}")
        self.model = model
        self.aggregation = aggregation
        self.batch_size = batch_size
        self.output = output
        self.reduce = reduce or self.default_reduce
        self.seed = seed

    # -- public API ------------------------------------------------------------------------------------
    def attribute(self, inputs: Sequence[ClassifierInput], target: Target = None) -> list[np.ndarray]:
        """One score per document token of each input (query tokens are not scored). The model is
        explained in eval mode (no dropout: the scores explain its deterministic prediction) and given
        back in the mode it was in, with its parameters' ``requires_grad`` flags unchanged."""
        with eval_mode(self.model), frozen_parameters(self.model):
            targets = self.resolve_targets(inputs, target)
            wins = self.model.windows(inputs)
            piece_scores = [np.zeros(0)] * len(wins)
            order = sorted(range(len(wins)), key=lambda i: len(wins[i].ids))
            for k in range(0, len(order), self.batch_size):
                idx = order[k : k + self.batch_size]
                chunk = [wins[i] for i in idx]
                scores = self._attribute_windows(chunk, [targets[w.example] for w in chunk])
                for i, w, s in zip(idx, chunk, scores):
                    piece_scores[i] = s[: len(w.ids)] / w.n_windows
        return self.to_tokens(inputs, wins, piece_scores)

    def __call__(self, inputs: Sequence[ClassifierInput], target: Target = None) -> list[np.ndarray]:
        return self.attribute(inputs, target)

    # -- helpers for subclasses ------------------------------------------------------------------------
    def _attribute_windows(self, windows: Sequence[Window], targets: Sequence[int]) -> list[np.ndarray]:
        raise NotImplementedError

    def resolve_targets(self, inputs: Sequence[ClassifierInput], target: Target) -> list[int]:
        """Target class index of every input: predicted class when ``target`` is None."""
        labels = self.model.labels

        def one(t: int | str) -> int:
            if isinstance(t, str):
                if t not in labels:
                    raise ValueError(f"target {t!r} is not one of the model's labels {labels}")
                return labels.index(t)
            if not 0 <= int(t) < len(labels):
                raise ValueError(f"target index {t} out of range for {len(labels)} labels")
            return int(t)

        if target is None:
            logits = self.model.predict_logits(inputs, self.batch_size)  # type: ignore[attr-defined]
            return [int(i) for i in logits.argmax(1)]
        if isinstance(target, (int, str, np.integer)):
            return [one(target)] * len(inputs)  # type: ignore[arg-type]
        target = list(target)
        if len(target) != len(inputs):
            raise ValueError(f"{len(target)} targets for {len(inputs)} inputs")
        return [one(t) for t in target]

    def forward_embeds(self, batch: dict[str, torch.Tensor]) -> tuple[Callable[..., torch.Tensor], tuple]:
        """A Captum forward function over word embeddings plus its ``additional_forward_args``."""
        keys = [k for k in ("attention_mask", "token_type_ids") if k in batch]
        model, probs = self.model, self.output == "probs"

        def forward(embeds: torch.Tensor, *extra: torch.Tensor) -> torch.Tensor:
            feats = dict(zip(keys, extra))
            feats["input_ids"] = torch.zeros(embeds.shape[:2], dtype=torch.long)
            logits = model.window_logits(feats, inputs_embeds=embeds)
            return torch.softmax(logits, -1) if probs else logits

        return forward, tuple(batch[k] for k in keys)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """Word-piece embeddings of ``ids`` from the model's input embedding layer."""
        return self.model.input_embeddings()(ids)

    def baseline_ids(self, windows: Sequence[Window], batch: dict[str, torch.Tensor], kind: str = "pad") -> torch.Tensor:
        """Input ids where every document piece is replaced by ``pad`` / ``mask`` ids; special tokens and
        the query stay, so that they get no attribution (the query is never explained)."""
        ids = batch["input_ids"].clone()
        fill = {"pad": self.model.pad_id, "mask": self.model.mask_id}.get(kind)
        if fill is None:
            raise ValueError(f"baseline must be 'pad', 'mask' or 'zero', got {kind!r}")
        for r, w in enumerate(windows):
            doc = torch.from_numpy(w.token_index >= 0)
            ids[r, : len(w.ids)][doc] = fill
        return ids

    def reduce_embedding_dim(self, attr: torch.Tensor) -> np.ndarray:
        """``(n, L, D)`` -> ``(n, L)`` by ``sum`` over dimensions or the ``l2`` norm."""
        if self.reduce == "sum":
            out = attr.sum(-1)
        elif self.reduce == "l2":
            out = attr.norm(dim=-1)
        elif self.reduce == "abs-sum":
            out = attr.abs().sum(-1)
        else:
            raise ValueError(f"reduce must be sum, l2 or abs-sum, got {self.reduce!r}")
        return out.detach().double().cpu().numpy()

    def to_tokens(self, inputs: Sequence[ClassifierInput], windows: Sequence[Window],
                  piece_scores: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Sum each document piece's scores over the windows that contain it, then aggregate the pieces of
        each dataset token (``sum``, ``mean`` or ``max-abs``). Tokens without pieces score 0."""
        n_pieces = [0] * len(inputs)
        for w in windows:
            if w.piece_index is not None and len(w.piece_index):
                n_pieces[w.example] = max(n_pieces[w.example], int(w.piece_index.max()) + 1)
        piece_val = [np.zeros(n) for n in n_pieces]
        piece_tok = [np.full(n, -1, dtype=np.int64) for n in n_pieces]
        for w, s in zip(windows, piece_scores):
            sel = w.token_index >= 0
            pix = w.piece_index[sel] if w.piece_index is not None else w.token_index[sel]
            np.add.at(piece_val[w.example], pix, s[sel])
            piece_tok[w.example][pix] = w.token_index[sel]
        out = []
        for i, inp in enumerate(inputs):
            tok = np.zeros(len(inp.tokens))
            pv, pt = piece_val[i], piece_tok[i]
            ok = pt >= 0
            pv, pt = pv[ok], pt[ok]
            if self.aggregation == "sum":
                np.add.at(tok, pt, pv)
            elif self.aggregation == "mean":
                np.add.at(tok, pt, pv)
                cnt = np.bincount(pt, minlength=len(tok))
                tok = np.divide(tok, cnt, out=np.zeros_like(tok), where=cnt > 0)
            else:  # max-abs
                np.maximum.at(tok, pt, np.abs(pv))
            out.append(tok)
        return out


class PerturbationExplainer(Explainer):
    """Base of methods that perturb dataset tokens (occlusion, LIME, KernelSHAP).

    Captum sees one example at a time as a ``(1, n_tokens)`` vector of ones ("token kept"); the forward
    function turns each perturbed row into model inputs by replacing every piece of a removed token
    with the model's mask id (windows keep their layout), runs all windows of all rows in batches of
    ``batch_size`` windows and pools windows per row. ``perturbations_per_eval`` rows go through one call.
    """

    def __init__(self, model: Any, perturbations_per_eval: int = 16, **kw: Any):
        super().__init__(model, **kw)
        self.perturbations_per_eval = perturbations_per_eval

    def keep_forward(self, windows: Sequence[Window]) -> Callable[[torch.Tensor], torch.Tensor]:
        """Forward over "token kept" rows. Only windows that lose a token are run again: the logits of an
        untouched window are its unperturbed logits (computed once), which makes leave-one-out on a long
        document cost about one window per perturbation instead of all of them."""
        model, probs, bs = self.model, self.output == "probs", self.batch_size
        base = [torch.from_numpy(w.ids) for w in windows]
        tix = [torch.from_numpy(np.where(w.token_index >= 0, w.token_index, 0)) for w in windows]
        doc = [torch.from_numpy(w.token_index >= 0) for w in windows]
        mask_id = model.mask_id

        def run(rows: list[tuple[np.ndarray, Window]]) -> torch.Tensor:
            logits = []
            with torch.no_grad():
                for s in range(0, len(rows), bs):
                    part = [Window(0, ids, w.token_index, w.segments) for ids, w in rows[s : s + bs]]
                    logits.append(model.window_logits(model.collate(part)))
            return torch.cat(logits) if logits else torch.zeros(0)

        clean = run([(w.ids, w) for w in windows])  # (n_windows, n_labels)

        def forward(keep: torch.Tensor) -> torch.Tensor:
            out = clean.unsqueeze(0).repeat(keep.shape[0], 1, 1)
            todo, where = [], []
            for r in range(keep.shape[0]):
                k = keep[r] > 0.5
                for j, (b, t, d) in enumerate(zip(base, tix, doc)):
                    removed = d & ~k[t] if len(k) else torch.zeros_like(d)
                    if bool(removed.any()):
                        todo.append((torch.where(removed, torch.full_like(b, mask_id), b).numpy(), windows[j]))
                        where.append((r, j))
            if todo:
                fresh = run(todo)
                for (r, j), row in zip(where, fresh):
                    out[r, j] = row
            out = out.mean(1)
            return torch.softmax(out, -1) if probs else out

        return forward

    def attribute(self, inputs: Sequence[ClassifierInput], target: Target = None) -> list[np.ndarray]:
        """One score per dataset token of each input, from perturbed forward passes in eval mode (the
        model's previous mode is restored afterwards)."""
        out = []
        with eval_mode(self.model):
            targets = self.resolve_targets(inputs, target)
            for i, inp in enumerate(inputs):
                if len(inp.tokens) == 0:
                    out.append(np.zeros(0))
                    continue
                wins = self.model.windows([inp])
                forward = self.keep_forward(wins)
                ones = torch.ones(1, len(inp.tokens))
                attr = self._perturb(forward, ones, targets[i], i)
                out.append(attr.detach().double().view(-1).numpy())
        return out

    def _perturb(self, forward: Callable[[torch.Tensor], torch.Tensor], ones: torch.Tensor, target: int,
                 index: int) -> torch.Tensor:
        raise NotImplementedError

"""The windowed view of a classifier that post-hoc explainers and training share.

A classifier input (dataset tokens plus an optional query) becomes one or more :class:`Window` objects:
model ids for one forward pass together with the exact map from each model position back to a dataset
token (``token_index``; ``-1`` for special tokens and query positions). A document longer than the
model's limit becomes several overlapping windows; the example's logits are the mean of its windows'
logits. Because that pooling is linear in the window logits, an attribution of the pooled logit is the
sum over windows of each window's attribution divided by the number of windows, which is how the
explainers in :mod:`rationalize.rationalizers.posthoc` handle long documents.

Both :class:`~rationalize.models.hf_classifier.HFClassifier` and
:class:`~rationalize.models.classifier.EncoderClassifier` implement :class:`WindowedModel`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from rationalize.data.schema import Dataset, Example
from rationalize.engine.batching import pack
from rationalize.models.base import ClassifierInput, Perturbation


@dataclass
class Window:
    """One forward pass worth of model input for example ``example`` (index into the batch of inputs).

    ``ids``: model token ids; ``token_index[j]``: dataset token (in the example's concatenated documents)
    that position ``j`` is a piece of, or -1; ``segments``: token type ids where the model uses them;
    ``piece_index[j]``: which of the example's document pieces position ``j`` holds (windows overlap).
    """

    example: int
    ids: np.ndarray
    token_index: np.ndarray
    segments: np.ndarray | None = None
    n_windows: int = 1
    piece_index: np.ndarray | None = None  # position of each piece among the example's document pieces (-1: none)


@runtime_checkable
class WindowedModel(Protocol):
    """What explainers need from a classifier besides :class:`~rationalize.models.base.TextClassifier`."""

    labels: list[str]
    mask_id: int
    pad_id: int

    def windows(self, inputs: Sequence[ClassifierInput]) -> list[Window]:
        """Turn classifier inputs into model windows (several per long document)."""

    def collate(self, windows: Sequence[Window]) -> dict[str, torch.Tensor]:
        """Pad a batch of windows into the model's input tensors."""

    def window_logits(self, batch: dict[str, torch.Tensor], inputs_embeds: torch.Tensor | None = None) -> torch.Tensor:
        """Logits per window of a collated batch (or of ``inputs_embeds`` in place of the ids)."""

    def input_embeddings(self) -> torch.nn.Module:
        """The input embedding layer (where gradient explainers attach)."""

    def token_attention(self, batch: dict[str, torch.Tensor], mode: str = "last") -> torch.Tensor:
        """Attention weights ``(B, L)`` over the positions of each window (``mode``: last, mean or rollout)."""


def example_input(dataset: Dataset, example: Example) -> ClassifierInput:
    """The classifier input of an example: its documents' tokens concatenated, its query tokens."""
    tokens: list[str] = []
    for doc in dataset.docs_of(example):
        tokens.extend(doc.tokens)
    return ClassifierInput(tokens, example.query_tokens)


def perturb_pieces(ids: np.ndarray, word: np.ndarray, perturbation: Perturbation,
                   mask_id: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The piece ids and piece-to-token map of a perturbed input, selected from its source's (``ids``,
    ``word``: the source's pieces and the source token of each) with numpy instead of tokenising again.

    Exact when every dataset token is tokenised on its own (Hugging Face fast tokenizers with
    ``is_split_into_words``; a word vocabulary): deleted tokens lose their pieces and the later tokens
    move up; a masked token becomes a single ``mask_id`` piece, as :data:`~rationalize.models.base.MASK`
    does on the plain path. None when that cannot be done from the pieces alone (a masked token that had
    no piece), so the caller tokenises the perturbed tokens instead."""
    removed = perturbation.removed
    if len(ids) == 0:
        return (ids, word) if perturbation.mode == "delete" or not removed.any() else None
    hit = removed[word]
    if perturbation.mode == "delete":
        keep = ~hit
        return ids[keep], (np.cumsum(~removed) - 1)[word[keep]]
    first = hit.copy()
    first[1:] &= word[1:] != word[:-1]  # the first piece of each masked token becomes the mask piece
    if int(first.sum()) != int(removed.sum()):
        return None
    keep = ~hit | first
    return np.where(first, mask_id, ids)[keep], word[keep]


def pool_windows(window_logits: np.ndarray, windows: Sequence[Window], n_examples: int) -> np.ndarray:
    """Mean of the window logits of each example -> ``(n_examples, n_labels)`` logits."""
    out = np.zeros((n_examples, window_logits.shape[1]), dtype=np.float64)
    counts = np.zeros(n_examples)
    for w, row in zip(windows, window_logits):
        out[w.example] += row
        counts[w.example] += 1
    if (counts == 0).any():
        raise ValueError("an input produced no window")
    return out / counts[:, None]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of a ``(n, k)`` logit array (numerically stable)."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def length_batches(lengths: Sequence[int], batch_size: int | None = None, piece_budget: int | None = None) -> list[list[int]]:
    """Indices grouped by length (least padding): ``batch_size`` items a batch in increasing length, or,
    without one, :func:`~rationalize.engine.batching.pack`'s batches of at most ``piece_budget`` padded
    pieces (one item at least)."""
    if batch_size is not None or piece_budget is None:
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        size = batch_size or 32
        return [order[k : k + size] for k in range(0, len(order), size)]
    return pack(lengths, piece_budget)


def windowed_logits(model: WindowedModel, inputs: Sequence[ClassifierInput], batch_size: int | None = 32,
                    piece_budget: int | None = None) -> np.ndarray:
    """Pooled logits for ``inputs``: windows are batched by length (less padding) -- ``batch_size``
    windows a batch, or, when it is None, as many as fit ``piece_budget`` padded pieces -- run without
    gradients, then averaged per example."""
    wins = model.windows(inputs)
    out = np.zeros((len(wins), len(model.labels)), dtype=np.float64)
    was_training = getattr(model, "training", False)
    if was_training:
        model.eval()  # type: ignore[attr-defined]
    with torch.no_grad():
        for idx in length_batches([len(w.ids) for w in wins], batch_size, piece_budget):
            logits = model.window_logits(model.collate([wins[i] for i in idx]))
            out[idx] = logits.double().cpu().numpy()
    if was_training:
        model.train()  # type: ignore[attr-defined]
    return pool_windows(out, wins, len(inputs))


def pad_stack(rows: Sequence[np.ndarray], value: int) -> torch.Tensor:
    """Right-pad 1-d integer arrays into a ``(n, max_len)`` long tensor."""
    length = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), max(length, 1)), value, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return torch.from_numpy(out)


class WindowedClassifierMixin:
    """``predict_proba``, ``predict_results`` and ``training_step`` for any :class:`WindowedModel`
    (shared by our classifiers so that both behave identically)."""

    labels: list[str]
    default_batch_size: int = 32

    def predict_logits(self, inputs: Sequence[ClassifierInput], batch_size: int | None = None) -> np.ndarray:
        """``(len(inputs), len(labels))`` logits, each the mean over the input's windows. Without
        ``batch_size``: batches of ``forward_budget`` padded pieces where the model sets one, else
        ``default_batch_size`` windows."""
        budget = getattr(self, "forward_budget", None)
        size = batch_size or (None if budget else self.default_batch_size)
        return windowed_logits(self, inputs, size, budget)  # type: ignore[arg-type]

    def predict_proba(self, inputs: Sequence[ClassifierInput], batch_size: int | None = None) -> np.ndarray:
        """``(len(inputs), len(labels))`` probabilities; long documents are pooled over windows."""
        if len(inputs) == 0:
            return np.zeros((0, len(self.labels)))
        return softmax(self.predict_logits(inputs, batch_size))

    def predict_results(self, dataset: Dataset, split: str, batch_size: int | None = None,
                        progress: bool = False) -> list:
        """ERASER results with the classification and its scores (no rationales) for ``split``."""
        from rationalize.data.results import Result
        from rationalize.progress import Progress

        examples = dataset[split]
        out: list[Result] = []
        chunk = 64
        with Progress(len(examples), "predict", "example", enabled=progress) as bar:
            for k in range(0, len(examples), chunk):
                part = examples[k : k + chunk]
                probs = self.predict_proba([example_input(dataset, ex) for ex in part], batch_size)
                for ex, p in zip(part, probs):
                    scores = {lab: float(v) for lab, v in zip(self.labels, p)}
                    out.append(Result(ex.id, [], self.labels[int(np.argmax(p))], scores))
                bar.update(len(part))
        return out

    # -- training through rationalize.engine.training.fit ------------------------------------------
    def training_windows(self, dataset: Dataset, split: str, max_windows: int | None = None,
                         seed: int = 0) -> list[tuple[Window, int]]:
        """Every window of every labelled example of ``split`` with its example's label id (a document
        split into windows trains on each window; at most ``max_windows`` evenly spaced ones)."""
        index = {lab: i for i, lab in enumerate(self.labels)}
        examples = [ex for ex in dataset[split] if ex.label is not None]
        unknown = sorted({str(ex.label) for ex in examples} - set(index))
        if unknown:
            raise ValueError(f"labels {unknown} of split {split!r} are not in the model's labels {self.labels}")
        wins = self.windows([example_input(dataset, ex) for ex in examples])  # type: ignore[attr-defined]
        by_example: dict[int, list[Window]] = {}
        for w in wins:
            by_example.setdefault(w.example, []).append(w)
        items = []
        for i, ex in enumerate(examples):
            ws = by_example[i]
            if max_windows is not None and len(ws) > max_windows:
                pick = np.linspace(0, len(ws) - 1, max_windows).round().astype(int)
                ws = [ws[j] for j in pick]
            items.extend((w, index[str(ex.label)]) for w in ws)
        return items

    def collate_labelled(self, items: Sequence[tuple[Window, int]]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Collate ``(window, label id)`` items into ``(model inputs, label tensor)`` for :meth:`training_step`."""
        return self.collate([w for w, _ in items]), torch.tensor([y for _, y in items])  # type: ignore[attr-defined]

    def training_step(self, batch: tuple[Any, ...]) -> dict[str, torch.Tensor]:
        """Cross-entropy loss and accuracy of one collated labelled batch; a batch that also carries
        rationales (:func:`rationalize.models.supervision.collate_supervised`) adds the rationale loss."""
        feats, y = batch[0], batch[1]
        if len(batch) > 2:
            from rationalize.models.supervision import supervised_training_step

            return supervised_training_step(self, feats, y, batch[2])
        logits = self.window_logits(feats)  # type: ignore[attr-defined]
        loss = torch.nn.functional.cross_entropy(logits, y)
        return {"loss": loss, "acc": (logits.argmax(1) == y).float().mean()}

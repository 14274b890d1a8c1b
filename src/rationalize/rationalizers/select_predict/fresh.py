"""FRESH: Faithful Rationale Extraction from Saliency tHresholding (Jain, Wiegreffe, Pinter & Wallace,
ACL 2020, "Learning to Faithfully Rationalize by Construction").

Three independent steps instead of joint training: (1) a *support* classifier is trained on full
documents; (2) an *extractor* turns its token importance scores into hard rationales (top-k words, or
the best contiguous span, with ``k`` = sparsity · length; or, our addition, a global threshold on
per-document max-normalised scores, calibrated on the training split so that the mean selected
fraction equals the sparsity target: the rationale length then adapts to each document); (3) a *fresh* predictor, a new model that
never saw full documents, is trained and evaluated on the rationales alone. The prediction therefore
depends only on the rationale (faithful by construction), while the extractor can be any post-hoc
explainer.

Here the support model is our :class:`~rationalize.models.classifier.EncoderClassifier` (``bigru`` /
``cnn``, with its attention pooling) or :class:`~rationalize.models.hf_classifier.HFClassifier`
(``minilm``), trained by :func:`rationalize.commands.train_classifier.train_classifier`; the extractor is
any explainer of :func:`rationalize.rationalizers.posthoc.get_explainer` (default ``attention``, the
paper's best choice with gradients close behind). The fresh predictor is the framework's predictor;
by default it reads rationales with the other words deleted (``input_mode="delete"``), as in the paper.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rationalize.data.schema import Dataset
from rationalize.engine.training import TrainConfig
from rationalize.models.base import ClassifierInput, load_model
from rationalize.rationalizers.discretize import top_k
from rationalize.rationalizers.select_predict.framework import Item, Selection, SelectPredictRationalizer


def best_span(scores: Sequence[float], length: int) -> np.ndarray:
    """The contiguous window of ``length`` words with the highest total score."""
    s = np.asarray(scores, dtype=float)
    mask = np.zeros(len(s), dtype=bool)
    length = max(0, min(len(s), length))
    if length:
        sums = np.convolve(s, np.ones(length), mode="valid")
        start = int(np.argmax(sums))
        mask[start : start + length] = True
    return mask


class Fresh(SelectPredictRationalizer):
    """Extra parameters: ``extractor`` (an explainer name, default ``attention``), ``extractor_kw``
    (its options), ``rationale_type`` (``topk``, ``contiguous`` or ``threshold``), ``support_epochs`` (default: the
    training config's epochs)."""

    method = "fresh"

    def __init__(self, *args, extractor: str = "attention", extractor_kw: dict[str, Any] | None = None,
                 rationale_type: str = "topk", support_epochs: int | None = None, input_mode: str = "delete", **kw):
        if rationale_type not in ("topk", "contiguous", "threshold"):
            raise ValueError(f"rationale_type must be 'topk', 'contiguous' or 'threshold', got {rationale_type!r}")
        super().__init__(*args, input_mode=input_mode, extractor=extractor, extractor_kw=dict(extractor_kw or {}),
                         rationale_type=rationale_type, support_epochs=support_epochs, **kw)
        self.extractor = extractor
        self.extractor_kw = dict(extractor_kw or {})
        self.rationale_type = rationale_type
        self.support_epochs = support_epochs
        self._scores: dict[tuple, np.ndarray] = {}
        self.threshold_: float | None = None

    def _build(self, labels, vocab, matrix, config_only: bool = False) -> None:
        torch.manual_seed(self.seed)
        self.labels = list(labels)
        self.vocab_ = vocab
        self.predictor = self._make_backbone(vocab, matrix, config_only)
        self.predictor_head = torch.nn.Linear(self.predictor.out_dim, len(self.labels))
        self.register_buffer("steps_", torch.zeros((), dtype=torch.long))
        self._built = True

    def _set_support(self, support: Any) -> None:
        from rationalize.rationalizers.posthoc import get_explainer

        # kept out of the module tree: the support model is fixed after step (1), so it is neither
        # optimised with the fresh predictor nor part of its state dict (it is saved in support/)
        for p in support.parameters():
            p.requires_grad_(False)
        object.__setattr__(self, "support_", support)
        self.explainer_ = get_explainer(self.extractor, support, **self.extractor_kw)
        self._scores: dict[tuple, np.ndarray] = {}

    # -- extraction -----------------------------------------------------------------------------------
    def scores(self, items: Sequence[Item]) -> list[np.ndarray]:
        """The explainer's scores over each item's document words (cached: the support model is fixed)."""
        todo = [it for it in items if self._key(it) not in self._scores]
        if todo:
            found = self.explainer_.attribute([ClassifierInput(it.words, it.query or None) for it in todo])
            for it, s in zip(todo, found):
                self._scores[self._key(it)] = np.asarray(s, dtype=float)[: len(it.words)]
        return [self._scores[self._key(it)] for it in items]

    @staticmethod
    def _normalised(s: np.ndarray) -> np.ndarray:
        top = np.abs(s).max() if len(s) else 0.0
        return s / top if top > 0 else s

    def calibrate(self, items: Sequence[Item]) -> float:
        """The global threshold whose mean selected fraction over ``items`` is the sparsity target."""
        normed = [self._normalised(s) for s in self.scores(items) if len(s)]
        lo, hi = -1.0, 1.0
        for _ in range(40):  # bisection on the mean per-document selected fraction
            mid = (lo + hi) / 2
            frac = float(np.mean([(s >= mid).mean() for s in normed])) if normed else 0.0
            lo, hi = (mid, hi) if frac > self.sparsity_ else (lo, mid)
        self.threshold_ = hi
        return hi

    def extract(self, items: Sequence[Item]) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(hard mask, scores)`` over each item's document words, from the support model's explainer."""
        out = []
        for it, s in zip(items, self.scores(items)):
            if self.rationale_type == "threshold":
                if self.threshold_ is None:
                    raise RuntimeError("FRESH threshold is not calibrated (fit() does it)")
                mask = self._normalised(s) >= self.threshold_ if len(s) else np.zeros(0, dtype=bool)
            else:
                k = max(1, round(self.sparsity_ * len(it.words))) if len(it.words) else 0
                mask = top_k(s, k) if self.rationale_type == "topk" else best_span(s, k)
            out.append((mask, s))
        return out

    @staticmethod
    def _key(it: Item) -> tuple:
        return (tuple(it.query), tuple(it.words))

    def select(self, batch) -> Selection:
        wm = batch["word_mask"]
        z = torch.zeros(wm.shape)
        probs = torch.zeros(wm.shape)
        for i, ((mask, s), it) in enumerate(zip(self.extract(batch["items"]), batch["items"])):
            q = len(it.query)
            n = min(len(mask), int(batch["selectable"][i].sum()))
            z[i, q : q + n] = torch.as_tensor(mask[:n], dtype=torch.float32)
            probs[i, q : q + n] = torch.as_tensor(s[:n], dtype=torch.float32)
        return self._finish(z, probs, batch)

    def objective(self, batch, sel, ce, rate, trans):
        return {"loss": ce.mean()}

    # -- training -------------------------------------------------------------------------------------
    def fit(self, dataset: Dataset, train_split: str = "train", val_split: str = "val",
            config: TrainConfig | None = None, out_dir: str | Path | None = None) -> Fresh:
        """Train the support classifier, extract rationales, then train the fresh predictor on them."""
        from rationalize.commands.train_classifier import train_classifier

        cfg = config or TrainConfig(monitor="objective", mode="min", seed=self.seed)
        out = Path(out_dir) if out_dir is not None else None
        support, _ = train_classifier(
            dataset, self.encoder, out / "support" if out else None, epochs=self.support_epochs or cfg.epochs,
            lr=None if self.encoder not in ("bigru", "cnn") else cfg.lr, batch_size=cfg.batch_size, seed=self.seed,
            patience=cfg.patience, train_split=train_split, val_split=val_split, progress=cfg.progress,
            max_steps_per_epoch=cfg.max_steps_per_epoch,
            **({"vectors": self.embeddings, "hidden": self.hidden} if self.encoder in ("bigru", "cnn") else {"model": self.encoder}))
        self._set_support(support)
        super().fit(dataset, train_split, val_split, cfg, out / "predictor" if out else None)
        return self

    def _fit_loop(self, train_items, val_items, cfg, out_dir):
        if self.rationale_type == "threshold":
            self.calibrate(train_items)
        return super()._fit_loop(train_items, val_items, cfg, out_dir)

    def save(self, folder: str | Path) -> Path:
        folder = Path(super().save(folder))
        self.support_.save(folder / "support")
        (folder / "fresh.json").write_text(json.dumps({"threshold_": self.threshold_}), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Fresh:
        model = super().load(folder)
        model._set_support(load_model(Path(folder) / "support"))
        model.threshold_ = json.loads((Path(folder) / "fresh.json").read_text(encoding="utf-8"))["threshold_"]
        return model  # type: ignore[return-value]



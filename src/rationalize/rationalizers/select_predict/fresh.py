"""FRESH: Faithful Rationale Extraction from Saliency tHresholding (Jain, Wiegreffe, Pinter & Wallace,
ACL 2020, "Learning to Faithfully Rationalize by Construction").

Three independent steps instead of joint training: (1) a *support* classifier is trained on full
documents; (2) an *extractor* turns its token importance scores into hard rationales (top-k words, or
the best contiguous span, with ``k`` = sparsity · length rounded up, as everywhere in rationalize:
:func:`rationalize.rationalizers.discretize.k_tokens`; or, our addition, a global threshold on
per-document max-normalised scores, calibrated on the training split so that the mean selected
fraction equals the sparsity target: the rationale length then adapts to each document); (3) a *fresh* predictor, a new model that
never saw full documents, is trained and evaluated on the rationales alone. The prediction therefore
depends only on the rationale (faithful by construction), while the extractor can be any post-hoc
explainer.

Here the support model is our :class:`~rationalize.models.classifier.EncoderClassifier` (``bigru`` /
``cnn``, with its attention pooling) or :class:`~rationalize.models.hf_classifier.HFClassifier`
(``minilm``), trained by :func:`rationalize.models.training.train_classifier`; the extractor is
any explainer of :func:`rationalize.rationalizers.posthoc.get_explainer` (default ``attention``, the
paper's best choice with gradients close behind). The fresh predictor is the framework's predictor;
by default it reads rationales with the other words deleted (``input_mode="delete"``), as in the paper.

With ``trained_extractor=True`` step (2) is the paper's full version: a token tagger (same encoder family as
the predictor) is trained to reproduce the support model's rationales on the training split, and at
prediction time the *tagger* marks the rationale, without the support model. A tagger learns what the
support model's rationales have in common across documents, so it also marks evidence that the support
model happened to ignore in one document (e.g. the second of two sentiment phrases once the first one
has decided the prediction); it is also cheaper at prediction time than running an explainer.

Rationale supervision (``rationale_supervision=λ``, ``supervised_fraction``) acts where FRESH learns where to
look: the support classifier is trained with :class:`~rationalize.models.supervision.RationaleSupervision`
(its attention aligned with the human masks, same λ, fraction and seed), and the trained extractor, when on,
learns the human mask instead of the support model's rationale on the supervised examples. The extracted
rationale itself is fixed while the fresh predictor trains, so there is no selection loss on it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from rationalize.data.schema import Dataset
from rationalize.engine.training import TrainConfig, eval_mode, fit, iterate_minibatches
from rationalize.models.base import ClassifierInput, load_model
from rationalize.rationalizers import discretize as D
from rationalize.rationalizers.select_predict.framework import Batch, Item, Selection, SelectPredictRationalizer


class RationaleTagger(nn.Module):
    """FRESH's trained extractor: one logit per document word ("is it in the rationale?"), trained with
    binary cross-entropy on the support model's rationales (query words and padding are ignored)."""

    def __init__(self, backbone: nn.Module):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.out_dim, 1)

    def logits(self, batch: dict[str, Any]) -> torch.Tensor:
        """One logit per word: is it in the rationale?"""
        return self.head(self.backbone.word_states(batch)).squeeze(-1)

    def training_step(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Binary cross-entropy against the support model's rationales over selectable words, plus accuracy."""
        logits, target, sel = self.logits(batch), batch["targets"], batch["selectable"]
        loss = F.binary_cross_entropy_with_logits(logits[sel], target[sel])
        hit = ((logits[sel] > 0) == (target[sel] > 0.5)).float().mean()
        return {"loss": loss, "accuracy": hit.detach()}


class Fresh(SelectPredictRationalizer):
    """Extra parameters: ``extractor`` (an explainer name, default ``attention``), ``extractor_kw``
    (its options), ``rationale_type`` (``topk``, ``contiguous`` or ``threshold``), ``support_epochs`` (default: the
    training config's epochs), ``support_model`` (a folder saved by ``rationalize train classifier``: use that
    classifier as the support model instead of training one; step (1) is the same for every rationale
    length and extractor, so it is worth reusing), ``trained_extractor`` (train a tagger on the support
    model's rationales and extract with it; see the module docstring) and ``tagger_epochs``.

    With a Hugging Face predictor and ``input_mode="delete"`` the predictor reads the *compacted*
    rationale (``long_inputs``), so rationales from documents longer than the encoder's limit are read
    whole as long as the rationale itself fits."""

    method = "fresh"
    supervises_selection = False

    def __init__(self, *args, extractor: str = "attention", extractor_kw: dict[str, Any] | None = None,
                 rationale_type: str = "topk", support_epochs: int | None = None, input_mode: str = "delete",
                 support_model: str | None = None, trained_extractor: bool = False, tagger_epochs: int = 5, **kw):
        if rationale_type not in ("topk", "contiguous", "threshold"):
            raise ValueError(f"rationale_type must be 'topk', 'contiguous' or 'threshold', got {rationale_type!r}")
        if kw.get("comprehensiveness_weight") or kw.get("singularity_weight"):
            raise ValueError("FRESH's extractor is fixed while its predictor trains; the ECHR regularizers do not apply")
        if kw.get("predictor_warmup_steps"):
            raise ValueError("FRESH trains its predictor on rationales only; predictor_warmup_steps must be 0")
        if kw.get("predictor_encoder") is not None or kw.get("predictor_hidden") is not None:
            raise ValueError("FRESH's predictor is built from encoder/hidden (its support model is the other network); "
                             "predictor_encoder and predictor_hidden do not apply")
        super().__init__(*args, input_mode=input_mode, extractor=extractor, extractor_kw=dict(extractor_kw or {}),
                         rationale_type=rationale_type, support_epochs=support_epochs,
                         support_model=None if support_model is None else str(support_model),
                         trained_extractor=trained_extractor, tagger_epochs=tagger_epochs, **kw)
        self.support_model = support_model
        self.trained_extractor = trained_extractor
        self.tagger_epochs = tagger_epochs
        self.extractor = extractor
        self.extractor_kw = dict(extractor_kw or {})
        self.rationale_type = rationale_type
        self.support_epochs = support_epochs
        self._scores: dict[tuple, np.ndarray] = {}
        self.threshold_: float | None = None
        self._tagger_ready = False

    def _build(self, labels, vocab, matrix, config_only: bool = False) -> None:
        torch.manual_seed(self.seed)
        self.labels = list(labels)
        self.vocab_ = vocab
        self.predictor = self._make_backbone(vocab, matrix, config_only)
        if self.input_mode == "delete" and hasattr(self.predictor, "long_inputs"):
            self.predictor.long_inputs = True  # the selection is known before the predictor runs
        self.predictor_head = torch.nn.Linear(self.predictor.out_dim, len(self.labels))
        if self.trained_extractor:
            self.tagger = RationaleTagger(self._make_backbone(vocab, matrix, config_only))
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
    def support_scores(self, items: Sequence[Item]) -> list[np.ndarray]:
        """The explainer's scores over each item's document words (cached: the support model is fixed)."""
        todo = [it for it in items if self._key(it) not in self._scores]
        if todo:
            found = self.explainer_.attribute([ClassifierInput(it.words, it.query or None) for it in todo])
            for it, s in zip(todo, found):
                self._scores[self._key(it)] = np.asarray(s, dtype=float)[: len(it.words)]
        return [self._scores[self._key(it)] for it in items]

    def tagger_scores(self, items: Sequence[Item], batch_size: int = 32) -> list[np.ndarray]:
        """The trained extractor's probability that each document word is in the rationale."""
        out = []
        with eval_mode(self.tagger), torch.no_grad():
            for chunk in iterate_minibatches(list(items), batch_size):
                batch = self.tagger.backbone.collate([(it.query, it.words) for it in chunk])
                probs = torch.sigmoid(self.tagger.logits(batch)) * batch["selectable"]
                for i, it in enumerate(chunk):
                    q = len(it.query)
                    row = np.zeros(len(it.words))
                    got = probs[i, q : q + len(it.words)].double().numpy()
                    row[: len(got)] = got
                    out.append(row)
        return out

    def scores(self, items: Sequence[Item]) -> list[np.ndarray]:
        """Scores the rationale is cut from: the trained extractor's once it exists, else the explainer's."""
        if self.trained_extractor and self._tagger_ready:
            return self.tagger_scores(items)
        return self.support_scores(items)

    def _threshold_for(self, scores: Sequence[np.ndarray]) -> float:
        """The global threshold on max-normalised scores whose mean selected fraction is the sparsity target."""
        return D.calibrated_threshold(scores, self.sparsity_, normalize=True)

    def calibrate(self, items: Sequence[Item]) -> float:
        """Set ``threshold_`` so that the mean selected fraction over ``items`` is the sparsity target."""
        self.threshold_ = self._threshold_for(self.scores(items))
        return self.threshold_

    def _discretize(self, s: np.ndarray, threshold: float | None) -> np.ndarray:
        """The hard rationale cut from one document's scores by :mod:`rationalize.rationalizers.discretize`:
        the top ``sparsity`` fraction of words (``topk``; counted by ``k_tokens``, as ``explain`` and the
        faithfulness engine count them), the best window of that many words (``contiguous``) or the
        calibrated global threshold on max-normalised scores (``threshold``)."""
        if self.rationale_type == "threshold":
            if threshold is None:
                raise RuntimeError("FRESH threshold is not calibrated (fit() does it)")
            return D.threshold(s, threshold, normalize=True)
        if self.rationale_type == "topk":
            return D.top_k(s, self.sparsity_, fraction=True)
        return D.top_k_spans(s, 1, D.k_tokens(self.sparsity_, len(s), fraction=True))

    def extract(self, items: Sequence[Item]) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(hard mask, scores)`` over each item's document words."""
        return [(self._discretize(s, self.threshold_), s) for s in self.scores(items)]

    # -- the trained extractor ------------------------------------------------------------------------
    def _tagger_batch(self, items: Sequence[Item], targets: dict[tuple, np.ndarray]) -> dict[str, Any]:
        batch = self.tagger.backbone.collate([(it.query, it.words) for it in items])
        t = torch.zeros(batch["word_mask"].shape)
        for i, it in enumerate(items):
            q, m = len(it.query), targets[self._key(it)]
            n = min(len(m), int(batch["selectable"][i].sum()))
            t[i, q : q + n] = torch.as_tensor(m[:n], dtype=torch.float32)
        batch["targets"] = t
        return batch

    def _train_tagger(self, train_items: list[Item], val_items: list[Item], cfg: TrainConfig,
                      out_dir: Path | None) -> None:
        """Step (2) of the paper: label every training word with the support model's rationale, then fit
        the tagger to those labels (shared loop; early stopping on the validation loss)."""
        targets: dict[tuple, np.ndarray] = {}
        for split in (train_items, val_items):
            scores = self.support_scores(split)
            thr = self._threshold_for(scores) if self.rationale_type == "threshold" else None
            for it, sc in zip(split, scores):
                targets[self._key(it)] = self._discretize(sc, thr)
        for it in train_items:  # rationale supervision: the human mask is the tagger's target
            if it.rationale is not None and it.rationale.any():
                targets[self._key(it)] = it.rationale > 0.5

        def evaluate(tagger: nn.Module) -> dict[str, float]:  # fit() calls it in eval mode, without gradients
            losses = [float(tagger.training_step(self._tagger_batch(chunk, targets))["loss"])
                      for chunk in iterate_minibatches(list(val_items), cfg.batch_size)]
            return {"loss": float(np.mean(losses)) if losses else 0.0}

        tcfg = TrainConfig(epochs=self.tagger_epochs, batch_size=cfg.batch_size, lr=cfg.lr, seed=cfg.seed,
                           patience=cfg.patience, monitor="loss", mode="min", progress=cfg.progress,
                           max_steps_per_epoch=cfg.max_steps_per_epoch, grad_clip=cfg.grad_clip)
        self.tagger_history_ = fit(self.tagger, train_items, lambda chunk: self._tagger_batch(chunk, targets), evaluate,
                                   tcfg, out_dir=out_dir)
        for q in self.tagger.parameters():  # fixed from now on: the predictor's optimiser must not move it
            q.requires_grad_(False)
        self._tagger_ready = True

    @staticmethod
    def _key(it: Item) -> tuple:
        return (tuple(it.query), tuple(it.words))

    def select(self, batch: Batch) -> Selection:
        """The extractor's hard rationale of each item, fixed rather than learned with the predictor (FRESH,
        Jain et al., 2020)."""
        wm = batch["word_mask"]
        z = torch.zeros(wm.shape)
        probs = torch.zeros(wm.shape)
        for i, ((mask, s), it) in enumerate(zip(self.extract(batch["items"]), batch["items"])):
            q = len(it.query)
            n = min(len(mask), int(batch["selectable"][i].sum()))
            z[i, q : q + n] = torch.as_tensor(mask[:n], dtype=torch.float32)
            probs[i, q : q + n] = torch.as_tensor(s[:n], dtype=torch.float32)
        return self._finish(z, probs, batch)

    def objective(self, batch: Batch, sel: Selection, ce: torch.Tensor, rate: torch.Tensor,
                  trans: torch.Tensor) -> dict[str, torch.Tensor]:
        """Predictor cross-entropy only: the extractor is fixed, so there is no sparsity or continuity term."""
        return {"loss": ce.mean()}

    # -- training -------------------------------------------------------------------------------------
    def fit(self, dataset: Dataset, train_split: str = "train", val_split: str = "val",
            config: TrainConfig | None = None, out_dir: str | Path | None = None) -> Fresh:
        """Train the support classifier, extract rationales, then train the fresh predictor on them."""
        from rationalize.errors import OptionError
        from rationalize.models.supervision import RationaleSupervision, check_rationales
        from rationalize.models.training import train_classifier

        cfg = config or TrainConfig(monitor="objective", mode="min", seed=self.seed)
        out = Path(out_dir) if out_dir is not None else None
        supervision = RationaleSupervision(self.rationale_supervision, self.supervised_fraction, "attention", self.seed)
        if supervision.active:
            check_rationales(dataset, train_split)
            if self.support_model is not None:
                raise OptionError("--rationale-supervision", "fresh supervises the support model it trains; with "
                                  "--support-model, train that classifier with --rationale-supervision instead")
        if self.support_model is not None:
            support = load_model(self.support_model)
            missing = sorted(set(dataset.labels) - set(getattr(support, "labels", dataset.labels)))
            if missing:
                raise ValueError(f"support model {self.support_model} does not know the labels {missing} of {dataset.name!r}")
        else:
            support, _ = train_classifier(
                dataset, self.encoder, out / "support" if out else None, epochs=self.support_epochs or cfg.epochs,
                lr=None if self.encoder not in ("bigru", "cnn") else cfg.lr, batch_size=cfg.batch_size, seed=self.seed,
                patience=cfg.patience, train_split=train_split, val_split=val_split, progress=cfg.progress,
                max_steps_per_epoch=cfg.max_steps_per_epoch, supervision=supervision if supervision.active else None,
                **({"vectors": self.embeddings, "hidden": self.hidden} if self.encoder in ("bigru", "cnn") else {"model": self.encoder}))
        self._set_support(support)
        super().fit(dataset, train_split, val_split, cfg, out / "predictor" if out else None)
        return self

    def _fit_loop(self, train_items, val_items, cfg, out_dir):
        if self.trained_extractor:
            self._train_tagger(train_items, val_items, cfg, Path(out_dir).parent / "extractor" if out_dir else None)
        if self.rationale_type == "threshold":
            self.calibrate(train_items)
        return super()._fit_loop(train_items, val_items, cfg, out_dir)

    def save(self, folder: str | Path) -> Path:
        """Save the predictor, the support model (``support/``) and the threshold; returns the folder."""
        folder = Path(super().save(folder))
        self.support_.save(folder / "support")
        (folder / "fresh.json").write_text(json.dumps({"threshold_": self.threshold_}), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Fresh:
        """Load a model written by :meth:`save`, with its support model and threshold."""
        model = super().load(folder)
        model._set_support(load_model(Path(folder) / "support"))
        model.threshold_ = json.loads((Path(folder) / "fresh.json").read_text(encoding="utf-8"))["threshold_"]
        model._tagger_ready = model.trained_extractor
        return model  # type: ignore[return-value]



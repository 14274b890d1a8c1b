"""Learning from human rationales: a loss that aligns a classifier's attributions with the human mask.

Every ERASER dataset ships human rationales; :class:`RationaleSupervision` turns them into a training
signal for our classifiers (:class:`~rationalize.models.classifier.EncoderClassifier` and
:class:`~rationalize.models.hf_classifier.HFClassifier`), added to the cross-entropy with weight ``weight``
(λ) on a seeded ``fraction`` of the training examples that have rationales (partial supervision is the
realistic case: "I have 200 annotated examples"). Two alignment targets:

* ``attention``: the model's own attention over the window's document positions (the EncoderClassifier's
  attention pooling weights; for a transformer the last layer's [CLS] attention averaged over heads),
  renormalised over document tokens, is pulled towards the human mask normalised to a distribution:
  ``KL(mask / |mask| || attention)`` (attention supervision in the style of Bao et al., 2018,
  "Deriving machine attention from human rationales", and Zhong et al., 2019).
* ``gradient``: "right for the right reasons" (Ross, Hughes & Doshi-Velez, IJCAI 2017): the squared input
  gradient of the summed log-probabilities, ``sum_k log p_k``, on the word embeddings of the tokens *outside*
  the rationale (their annotation matrix ``A``), summed over positions and embedding dimensions and
  averaged over supervised windows. It needs a second backward pass (``create_graph``), so steps cost
  about twice as much.

The gold token mask of an example (:func:`example_token_mask`, the union of annotator groups over its
documents in the order :func:`~rationalize.models.windows.example_input` concatenates them) is mapped onto
each window's positions through ``Window.token_index``: a piece is a rationale piece when its dataset
token is; special tokens and query positions are never targets. A window without any rationale token
(a long document's window far from the evidence) gets no rationale loss.

λ = 0 (or fraction 0) does not touch training at all: :func:`rationalize.models.training.train_classifier`
then runs the exact unsupervised path, with the same weights. A rationale loss on a split without human
rationales raises :class:`NoRationalesError` instead of silently adding zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from rationalize.data.schema import Dataset, Example
from rationalize.errors import OptionError, RationalizeError
from rationalize.models.windows import Window

SUPERVISION_TARGETS = ("attention", "gradient")
"""What :class:`RationaleSupervision` aligns with the human mask."""


class NoRationalesError(RationalizeError, ValueError):
    """Rationale supervision was asked for on a split that has no human rationales."""


@dataclass(frozen=True)
class RationaleSupervision:
    """Rationale supervision of a classifier: ``weight`` (λ) times the alignment loss of ``target``
    (``attention`` or ``gradient``), on a ``fraction`` of the training examples with rationales drawn with
    ``seed``."""

    weight: float = 0.0
    fraction: float = 1.0
    target: str = "attention"
    seed: int = 0

    def __post_init__(self) -> None:
        check_weight_and_fraction(self.weight, self.fraction)
        if self.target not in SUPERVISION_TARGETS:
            raise OptionError("--supervision-target", f"must be one of {', '.join(SUPERVISION_TARGETS)}, got {self.target!r}")

    @property
    def active(self) -> bool:
        """Whether this changes training at all (λ > 0 and some examples supervised)."""
        return self.weight > 0 and self.fraction > 0


def check_weight_and_fraction(weight: float, fraction: float) -> None:
    """Raise :class:`~rationalize.errors.OptionError` (naming the command-line option) unless ``weight`` (λ)
    is a finite number >= 0 and ``fraction`` is in [0, 1]; shared by classifiers and rationalizers."""
    if not (weight >= 0 and np.isfinite(weight)):
        raise OptionError("--rationale-supervision", f"must be a finite number >= 0, got {weight}")
    if not 0.0 <= fraction <= 1.0:
        raise OptionError("--supervised-fraction", f"must be in [0, 1], got {fraction}")


def example_token_mask(dataset: Dataset, example: Example) -> np.ndarray:
    """The human rationale of ``example`` as a boolean mask over its concatenated document tokens (the
    token order of :func:`~rationalize.models.windows.example_input`), the union of annotator groups."""
    parts = [np.asarray(example.gold_token_mask(doc), dtype=bool) for doc in dataset.docs_of(example)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def check_rationales(dataset: Dataset, split: str) -> None:
    """Raise :class:`NoRationalesError` unless some labelled example of ``split`` has a human rationale."""
    if not any(ex.evidences and ex.label is not None for ex in dataset[split]):
        raise NoRationalesError(f"rationale supervision needs human rationales, but split {split!r} of dataset "
                                f"{dataset.name!r} has none (use --rationale-supervision 0, or a dataset with evidence)")


def supervised_examples(examples: Sequence[Example], fraction: float, seed: int) -> set[int]:
    """Indices of the examples that get a rationale loss: ``fraction`` of those with human rationales
    (rounded, at least one when ``fraction`` > 0), drawn with ``seed`` independently of the training order."""
    candidates = [i for i, ex in enumerate(examples) if ex.evidences]
    if fraction <= 0 or not candidates:
        return set()
    n = max(1, round(fraction * len(candidates)))
    order = np.random.default_rng(seed).permutation(len(candidates))
    return {candidates[int(j)] for j in order[:n]}


def window_rationale(window: Window, token_mask: np.ndarray) -> np.ndarray:
    """The human mask on ``window``'s positions: 1.0 where the position is a piece of a rationale token,
    0.0 elsewhere (special tokens, query positions and tokens outside the rationale)."""
    tix = np.asarray(window.token_index)
    out = np.zeros(len(tix), dtype=np.float32)
    doc = (tix >= 0) & (tix < len(token_mask))
    out[doc] = token_mask[tix[doc]]
    return out


def attach_rationales(dataset: Dataset, split: str, items: Sequence[tuple[Window, int]],
                      supervision: RationaleSupervision) -> list[tuple[Window, int, np.ndarray | None]]:
    """Add to each ``(window, label id)`` training item of ``split`` (as
    :meth:`~rationalize.models.windows.WindowedClassifierMixin.training_windows` makes them) the window's
    rationale mask, or None for a window whose example is not supervised."""
    check_rationales(dataset, split)
    examples = [ex for ex in dataset[split] if ex.label is not None]  # what Window.example indexes
    chosen = supervised_examples(examples, supervision.fraction, supervision.seed)
    masks = {i: example_token_mask(dataset, examples[i]) for i in chosen}
    return [(w, y, window_rationale(w, masks[w.example]) if w.example in masks else None) for w, y in items]


def collate_supervised(model: Any, items: Sequence[tuple[Window, int, np.ndarray | None]],
                       supervision: RationaleSupervision) -> tuple[dict[str, torch.Tensor], torch.Tensor, dict[str, Any]]:
    """Collate supervised items into ``(model inputs, labels, rationale batch)``; the rationale batch holds
    ``rationale`` (B, L) floats, ``valid`` (B, L) document positions, ``supervised`` (B,) and the config."""
    feats, y = model.collate_labelled([(w, lab) for w, lab, _ in items])
    length = feats["input_ids"].shape[1]
    rationale = torch.zeros(len(items), length)
    valid = torch.zeros(len(items), length, dtype=torch.bool)
    supervised = torch.zeros(len(items), dtype=torch.bool)
    for i, (w, _, mask) in enumerate(items):
        valid[i, : len(w.token_index)] = torch.from_numpy(np.asarray(w.token_index) >= 0)
        if mask is not None and mask.any():
            rationale[i, : len(mask)] = torch.from_numpy(mask)
            supervised[i] = True
    return feats, y, {"rationale": rationale, "valid": valid, "supervised": supervised, "config": supervision}


def attention_alignment_loss(attention: torch.Tensor, rationale: torch.Tensor, valid: torch.Tensor,
                             supervised: torch.Tensor) -> torch.Tensor:
    """Mean over supervised rows of ``KL(rationale / |rationale| || attention over valid positions)``
    (0 when no row is supervised; still part of the graph)."""
    if not bool(supervised.any()):
        return attention.sum() * 0.0
    att = attention[supervised] * valid[supervised]
    att = att / att.sum(1, keepdim=True).clamp_min(1e-12)
    target = rationale[supervised] / rationale[supervised].sum(1, keepdim=True)
    kl = target * (torch.log(target.clamp_min(1e-12)) - torch.log(att.clamp_min(1e-12)))
    return kl.sum(1).mean()


def gradient_alignment_loss(logits: torch.Tensor, embeds: torch.Tensor, rationale: torch.Tensor, valid: torch.Tensor,
                            supervised: torch.Tensor) -> torch.Tensor:
    """Ross et al.'s "right reasons" term: squared gradient of ``sum_k log p_k`` w.r.t. the input
    embeddings ``embeds`` (B, L, D) at the document positions outside the rationale, summed over positions
    and dimensions, averaged over the supervised rows. Differentiable (built with ``create_graph``)."""
    if not bool(supervised.any()):
        return logits.sum() * 0.0
    logp = torch.log_softmax(logits, dim=-1)
    (grad,) = torch.autograd.grad(logp.sum(), embeds, create_graph=True)
    outside = (valid & (rationale == 0) & supervised.unsqueeze(1)).to(grad.dtype)
    return (grad.pow(2).sum(-1) * outside).sum() / supervised.sum()


def rationale_alignment(model: Any, feats: dict[str, torch.Tensor], extra: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """One forward pass of ``model`` on a collated batch that returns ``(logits, alignment loss)``, the
    loss being that of the batch's target (``extra`` as :func:`collate_supervised` builds it)."""
    sup: RationaleSupervision = extra["config"]
    rationale, valid, supervised = extra["rationale"], extra["valid"], extra["supervised"]
    if sup.target == "attention":
        if not hasattr(model, "logits_and_attention"):
            raise TypeError(f"{type(model).__name__} has no attention to supervise; use --supervision-target gradient")
        logits, attention = model.logits_and_attention(feats)
        return logits, attention_alignment_loss(attention, rationale, valid, supervised)
    embeds = model.input_embeddings()(feats["input_ids"])
    if not embeds.requires_grad:  # frozen embeddings: the input still needs a gradient
        embeds = embeds.detach().requires_grad_(True)
    eager = getattr(model, "eager_attention", None)  # fused attention kernels have no double backward
    with eager() if eager is not None else nullcontext():
        logits = model.window_logits(feats, inputs_embeds=embeds)
        return logits, gradient_alignment_loss(logits, embeds, rationale, valid, supervised)


def supervised_training_step(model: Any, feats: dict[str, torch.Tensor], y: torch.Tensor,
                             extra: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Cross-entropy plus λ times the rationale alignment loss of one collated batch (what
    :meth:`~rationalize.models.windows.WindowedClassifierMixin.training_step` runs when the batch carries
    rationales). Returns ``loss``, ``acc``, ``ce`` and ``rationale_loss``."""
    logits, align = rationale_alignment(model, feats, extra)
    ce = torch.nn.functional.cross_entropy(logits, y)
    return {"loss": ce + extra["config"].weight * align, "acc": (logits.argmax(1) == y).float().mean(),
            "ce": ce.detach(), "rationale_loss": align.detach()}

"""The select-then-predict framework shared by every rationalizer in this package.

A *generator* reads the whole input and selects a rationale ``z`` over the document words (the query,
if any, is always visible and never selected); a *predictor* reads only the selected words (the rest is
replaced by the mask embedding, or deleted) and classifies. Because the predictor never sees unselected
words, the rationale is faithful by construction (Lei, Barzilay & Jaakkola, EMNLP 2016).

Both parts are trained jointly with :func:`rationalize.engine.training.fit` under a sparsity target (a
fraction of document words, by default the training split's human-rationale fraction) and a continuity
term (transitions ``|z_t - z_{t-1}|`` per word, by default allowed up to the human rationales' own
transition rate). Subclasses only say how ``z`` is drawn and how the generator is trained:
:class:`~.lei2016.Lei2016` (REINFORCE), :class:`~.gumbel.GumbelRationalizer` (straight-through
Gumbel-sigmoid), :class:`~.hardkuma.HardKumaRationalizer` (HardKuma with Lagrangian relaxation) and
:class:`~.fresh.Fresh` (a fixed extractor, then a fresh predictor). Noise injection (Storek et al., 2023)
is an option of all of them (:mod:`.noise`), and so is **rationale supervision**: with
``rationale_supervision=λ > 0`` a seeded ``supervised_fraction`` of the training examples carries its human
token mask, and :meth:`SelectPredictRationalizer.rationale_loss` (binary cross-entropy of the generator's
selection probabilities against that mask; A2R: the attention's KL to it) joins the loss with weight λ,
in one place, :meth:`SelectPredictRationalizer.training_step`, for every method (ERASER's supervised
Lei et al. baseline, DeYoung et al. 2020; the "rationale loss" of the supervised rationalizers).

A trained model implements the :class:`~rationalize.models.base.TextClassifier` protocol (so the
faithfulness engine can score it) and writes ERASER results with :meth:`predict_results`.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from rationalize.data.results import DocRationale, Result
from rationalize.data.schema import Dataset, Example, mask_to_spans
from rationalize.engine.training import (
    TrainConfig,
    TrainHistory,
    eval_mode,
    fit,
    frozen_parameters,
    iterate_minibatches,
)
from rationalize.models.base import ClassifierInput, read_config, save_config
from rationalize.models.embeddings import Vocab, embedding_matrix
from rationalize.models.supervision import check_rationales, check_weight_and_fraction, supervised_examples
from rationalize.rationalizers.discretize import k_tokens, sentence_scores, top_k
from rationalize.rationalizers.select_predict.backbones import (
    Backbone,
    Batch,
    HFBackbone,
    WordBackbone,
    unit_term_frequency,
)
from rationalize.rationalizers.select_predict.noise import NoiseInjection

log = logging.getLogger(__name__)

#: test-time selection rules of :meth:`SelectPredictRationalizer.predict_results`: ``own`` is the
#: method's own decision (``p > 0.5``, HardKuma's most likely outcome, A2R's top-k), ``top-k`` keeps the
#: ``k_tokens(ρ, words)`` highest soft scores of every document (ρ the sparsity target), so that every
#: method is compared at the same sparsity (equal-k evaluation)
SELECTION_RULES = ("own", "top-k")

@dataclass
class Item:
    """One training/prediction input: query words, document words (documents concatenated, cut at
    ``max_length``), label index (-1 if unknown) and where each document sits in ``words``."""

    id: str
    query: list[str]
    words: list[str]
    label: int = -1
    docs: list[tuple[str, int, int, int]] = field(default_factory=list)  # (docid, start, end, full length)
    #: the human rationale over ``words`` (1.0 = rationale word) when this item is rationale-supervised
    rationale: np.ndarray | None = None


@dataclass
class Selection:
    """What a generator returns: ``z`` in [0, 1] per word (query words 1, padding 0), the selection
    probability per word (soft scores), and method-specific tensors."""

    z: torch.Tensor
    probs: torch.Tensor
    extra: dict[str, torch.Tensor] = field(default_factory=dict)


def rate_and_transitions(z: torch.Tensor, selectable: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per example: fraction of selectable words selected, and transitions ``Σ|z_t - z_{t-1}|`` per
    selectable word (differentiable in ``z``)."""
    sel = selectable.float()
    n = sel.sum(1).clamp(min=1)
    zs = z * sel
    rate = zs.sum(1) / n
    pair = sel[:, 1:] * sel[:, :-1]
    trans = ((zs[:, 1:] - zs[:, :-1]).abs() * pair).sum(1) / n
    return rate, trans


def rationale_batch(items: Sequence[Item], shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(rationale, supervised)`` of a batch: ``(B, W)`` human masks at the document-word positions (after
    the query words) and ``(B,)`` which items carry one with at least one rationale word."""
    rationale = torch.zeros(shape)
    supervised = torch.zeros(shape[0], dtype=torch.bool)
    for i, it in enumerate(items):
        if it.rationale is not None and it.rationale.any():
            q = len(it.query)
            n = min(len(it.rationale), shape[1] - q)
            rationale[i, q : q + n] = torch.from_numpy(np.asarray(it.rationale[:n], dtype=np.float32))
            supervised[i] = True
    return rationale, supervised


def human_transition_rate(dataset: Dataset, split: str) -> float:
    """Mean over examples of (2 · gold spans) / document words: how fragmented human rationales are."""
    rates = []
    for ex in dataset[split]:
        n = sum(len(d) for d in dataset.docs_of(ex))
        if n:
            spans = 0
            for d in dataset.docs_of(ex):
                mask = ex.gold_token_mask(d)
                spans += sum(1 for t, m in enumerate(mask) if m and (t == 0 or not mask[t - 1]))
            rates.append(2 * spans / n)
    return float(np.mean(rates)) if rates else 0.0


def random_subset(allowed: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """``(B, N)`` bool: per row, ``counts[row]`` positions drawn uniformly among the ``allowed`` ones (torch's
    global generator): the random rival rationales of ECHR's singularity, over words or sentences."""
    keys = torch.rand(allowed.shape).masked_fill(~allowed, 2.0)  # allowed positions first, in random order
    return (keys.argsort(1).argsort(1) < counts.unsqueeze(1)) & allowed


WORD_VECTOR_ENCODERS = ("bigru", "cnn")
"""Encoders over word vectors (:mod:`rationalize.models.encoders`); the others are Hugging Face encoders."""


def predictor_encoder_error(encoder: str, predictor_encoder: str | None) -> str | None:
    """Why ``predictor_encoder`` cannot go with ``encoder`` (one vocabulary or one tokenizer), or ``None``."""
    if predictor_encoder in (None, encoder) or {encoder, predictor_encoder} <= set(WORD_VECTOR_ENCODERS):
        return None
    return (f"predictor_encoder {predictor_encoder!r} and encoder {encoder!r} must both be word-vector encoders "
            f"({', '.join(WORD_VECTOR_ENCODERS)}) or the same Hugging Face encoder")


class SelectPredictRationalizer(nn.Module):
    """Base class; see the module docstring. Parameters (stored as given, sklearn-style):

    encoder: ``bigru`` | ``cnn`` (word vectors) or ``minilm`` / a Hugging Face name or folder.
    embeddings: word vectors for bigru/cnn (``glove50``, ``spacy-md``, or ``None`` for random 50-d).
    hidden: GRU hidden size per direction / CNN channels per width.
    predictor_encoder, predictor_hidden: the predictor's own encoder and size (``None``: the generator's
        ``encoder`` / ``hidden``). Generator and predictor are separate networks anyway, so they need not share an
        architecture: e.g. a BiGRU generator (context along the whole review, which ranks the annotated words
        better) with a CNN predictor (which classifies a sparse selection better and is cheaper). Both must be
        word-vector encoders (``bigru``/``cnn``, one vocabulary), or both the same Hugging Face encoder. The
        complement network, when there is one, is built like the predictor.
    sparsity: target fraction of document words to select (``None``: human-rationale fraction of train).
    continuity: allowed transitions per word (``None``: human rationales' rate on train).
    sparsity_weight, continuity_weight: penalty weights (HardKuma and A2R do not use them: HardKuma has
        Lagrange multipliers, A2R selects exactly k words).
    input_mode: how the predictor hides unselected words: ``mask`` (mask embedding) or ``delete``.
    noise_injection: ``None``/0, a rate, or a :class:`NoiseInjection` (training only; no gradient reaches the
        generator through replaced words, see :meth:`cut_noisy_gradient`).
    max_length: document words kept per example (longer documents are cut; the rest is never selected).
    comprehensiveness_weight: weight of the comprehensiveness regularizer of Chalkidis et al. (NAACL 2021,
        "Paragraph-level rationale extraction through regularization", ECHR): the *same* predictor reads the
        complement of the selection (document words not selected; the query stays) and each example pays
        ``max(0, CE(rationale) - CE(complement))``: the complement must not predict the label better than
        the rationale. 0 (default): off. See :meth:`echr_terms`.
    singularity_weight: weight of their singularity regularizer: the predictor also reads a uniformly random
        selection of as many document words as the rationale, and each example pays
        ``max(0, CE(rationale) - CE(random))``: the rationale must beat a random selection of its size.
        0 (default): off.
    complement_weight: weight of the complement control of Yu, Chang, Zhang & Jaakkola (EMNLP 2019):
        a third network learns to predict the label from the *unselected* words, and the generator is
        penalised by ``max(0, log C - CE_complement)`` when that works better than chance. It stops
        the degenerate solution where the generator marks the evidence of one class only and the
        predictor reads the other class from an empty selection. 0 (default) turns it off.
    warmup_steps: the sparsity and continuity weights are 0 for this many training steps, then ramp up
        linearly to their full value over as many steps again, so that the predictor learns from dense selections before the generator is pushed to be
        sparse (without it the generator tends to collapse to a random sparse selection before the
        predictor can tell it which words matter).
    rationale_supervision: weight λ of the rationale loss (:meth:`rationale_loss`) on the supervised
        examples; 0 (default) leaves training exactly as without it. Needs human rationales on the
        training split (:class:`~rationalize.models.supervision.NoRationalesError` otherwise).
    supervised_fraction: fraction of the training examples with human rationales that are supervised,
        drawn with ``seed`` (:func:`~rationalize.models.supervision.supervised_examples`, the classifiers' rule).
    predictor_warmup_steps: for this many first training steps the predictor alone is trained, on the
        whole document (every word visible, no noise), and the generator is left untouched. Afterwards
        the predictor already knows which words carry the label, so the generator's first gradients
        (or rewards) say which words to keep; without it, on long documents (movie reviews) the
        generator can fall into an absorbing all-or-nothing selection (HardKuma's rectified samples,
        REINFORCE's collapsed Bernoullis) before the predictor has learned anything. 0 (default): off.
    """

    method: ClassVar[str] = ""
    #: what one keep/drop decision covers: ``word``, or ``sentence`` (:mod:`.sentences`)
    unit: ClassVar[str] = "word"
    #: whether ``complement_weight`` and ``predictor_warmup_steps`` apply (False where the objective has no
    #: place for them: A2R's soft/hard predictors, REFER's exact top-k); a non-zero value is then refused
    complement_control: ClassVar[bool] = True

    def __init__(self, encoder: str = "bigru", embeddings: str | None = "glove50", hidden: int = 100,
                 predictor_encoder: str | None = None, predictor_hidden: int | None = None,
                 sparsity: float | None = None, continuity: float | None = None, sparsity_weight: float = 1.0,
                 continuity_weight: float = 1.0, input_mode: str = "mask",
                 noise_injection: float | NoiseInjection | None = None, max_length: int | None = 2048,
                 dropout: float = 0.1, freeze_embeddings: bool = True, complement_weight: float = 0.0,
                 comprehensiveness_weight: float = 0.0, singularity_weight: float = 0.0,
                 warmup_steps: int = 50, predictor_warmup_steps: int = 0, rationale_supervision: float = 0.0,
                 supervised_fraction: float = 1.0, seed: int = 0, **method_params: Any):
        super().__init__()
        check_weight_and_fraction(rationale_supervision, supervised_fraction)
        self.rationale_supervision = float(rationale_supervision)
        self.supervised_fraction = float(supervised_fraction)
        if input_mode not in ("mask", "delete"):
            raise ValueError(f"input_mode must be 'mask' or 'delete', got {input_mode!r}")
        for name, v in (("sparsity", sparsity), ("continuity", continuity)):
            if v is not None and not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be a fraction in [0, 1], got {v}")
        if (msg := predictor_encoder_error(encoder, predictor_encoder)) is not None:
            raise ValueError(msg)
        if predictor_hidden is not None and predictor_hidden < 1:
            raise ValueError(f"predictor_hidden must be >= 1, got {predictor_hidden}")
        self.encoder = encoder
        self.embeddings = embeddings
        self.hidden = hidden
        self.predictor_encoder = predictor_encoder
        self.predictor_hidden = predictor_hidden
        self.sparsity = sparsity
        self.continuity = continuity
        self.sparsity_weight = sparsity_weight
        self.continuity_weight = continuity_weight
        self.input_mode = input_mode
        if isinstance(noise_injection, (int, float)):
            noise_injection = NoiseInjection(float(noise_injection)) if noise_injection > 0 else None
        self.noise_injection = noise_injection
        self.max_length = max_length
        self.dropout = dropout
        self.freeze_embeddings = freeze_embeddings
        self.warmup_steps = warmup_steps
        if predictor_warmup_steps < 0:
            raise ValueError(f"predictor_warmup_steps must be >= 0, got {predictor_warmup_steps}")
        if not self.complement_control and (complement_weight or predictor_warmup_steps):
            raise ValueError(f"{self.method} has no complement control or predictor warm-up")
        self.predictor_warmup_steps = predictor_warmup_steps
        self.complement_weight = complement_weight
        for name, v in (("comprehensiveness_weight", comprehensiveness_weight), ("singularity_weight", singularity_weight)):
            if not v >= 0:
                raise ValueError(f"{name} must be >= 0, got {v}")
        self.comprehensiveness_weight = comprehensiveness_weight
        self.singularity_weight = singularity_weight
        self.seed = seed
        self.method_params = method_params
        self._built = False

    # ------------------------------------------------------------------ parameters and building
    def get_params(self) -> dict[str, Any]:
        """The constructor parameters as given (sklearn-style; noise injection as its config dict)."""
        noise = self.noise_injection.config() if self.noise_injection is not None else None
        return {"encoder": self.encoder, "embeddings": self.embeddings, "hidden": self.hidden,
                "predictor_encoder": self.predictor_encoder, "predictor_hidden": self.predictor_hidden,
                "sparsity": self.sparsity, "continuity": self.continuity, "sparsity_weight": self.sparsity_weight,
                "continuity_weight": self.continuity_weight, "input_mode": self.input_mode,
                "noise_injection": noise, "max_length": self.max_length, "dropout": self.dropout,
                "freeze_embeddings": self.freeze_embeddings, "warmup_steps": self.warmup_steps,
                "predictor_warmup_steps": self.predictor_warmup_steps, "complement_weight": self.complement_weight,
                "comprehensiveness_weight": self.comprehensiveness_weight, "singularity_weight": self.singularity_weight,
                "rationale_supervision": self.rationale_supervision, "supervised_fraction": self.supervised_fraction,
                "seed": self.seed, **self.method_params}

    def _make_backbone(self, vocab: Vocab | None, matrix: np.ndarray | None, config_only: bool = False,
                       role: str = "generator") -> Backbone:
        """The generator's encoder, or with ``role="predictor"`` the predictor's (``predictor_encoder``)."""
        encoder, hidden = self.encoder, self.hidden
        if role == "predictor":
            encoder = self.encoder if self.predictor_encoder is None else self.predictor_encoder
            hidden = self.hidden if self.predictor_hidden is None else self.predictor_hidden
        if encoder in WORD_VECTOR_ENCODERS:
            assert vocab is not None and matrix is not None
            return WordBackbone(vocab, matrix, encoder, hidden, self.freeze_embeddings, self.dropout)
        return HFBackbone(encoder, _config_only=config_only)

    def _build(self, labels: Sequence[str], vocab: Vocab | None, matrix: np.ndarray | None, config_only: bool = False) -> None:
        """Create the generator and predictor networks (seeded: same seed, same initial weights)."""
        torch.manual_seed(self.seed)
        self.labels = list(labels)
        self.vocab_ = vocab
        self.generator = self._make_backbone(vocab, matrix, config_only)
        self.predictor = self._make_backbone(vocab, matrix, config_only, role="predictor")
        self.predictor_head = nn.Linear(self.predictor.out_dim, len(self.labels))
        self._build_generator_head()
        if self.complement_weight > 0:
            self.complement = self._make_backbone(vocab, matrix, config_only, role="predictor")
            self.complement_head = nn.Linear(self.complement.out_dim, len(self.labels))
        self.register_buffer("steps_", torch.zeros((), dtype=torch.long))
        self._built = True

    def ramp(self) -> float:
        """Warm-up factor in [0, 1] of the sparsity/continuity weights (see ``warmup_steps``); its steps
        count from the end of the predictor warm-up, when the generator starts selecting."""
        if self.warmup_steps <= 0:
            return 1.0
        steps = float(self.steps_) - self.predictor_warmup_steps
        return min(1.0, max(0.0, steps / self.warmup_steps - 1.0))

    def _build_generator_head(self) -> None:
        self.generator_head = nn.Linear(self.generator.out_dim, 1)

    def _check_built(self) -> None:
        if not self._built:
            raise RuntimeError(f"{type(self).__name__} is not trained: call fit() or load() first")

    # ------------------------------------------------------------------ data
    def items(self, dataset: Dataset, split: str) -> list[Item]:
        """Turn a split into :class:`Item` (documents of an example concatenated, cut at ``max_length``)."""
        out = []
        index = {lab: i for i, lab in enumerate(self.labels)}
        for ex in dataset[split]:
            out.append(self._item(ex, dataset, index))
        return out

    def _item(self, ex: Example, dataset: Dataset, index: dict[str, int]) -> Item:
        words: list[str] = []
        docs = []
        for doc in dataset.docs_of(ex):
            room = len(doc) if self.max_length is None else max(0, self.max_length - len(words))
            take = doc.tokens[:room]
            docs.append((doc.docid, len(words), len(words) + len(take), len(doc)))
            words.extend(take)
        label = index.get(str(ex.label), -1) if ex.label is not None else -1
        return Item(ex.id, ex.query.split() if ex.query else [], words, label, docs)

    def item_length(self, item: Item) -> int:
        """Positions ``item`` takes in a batch (query and document words): the length that
        ``TrainConfig.bucket`` groups batches by."""
        return len(item.query) + len(item.words)

    def collate(self, items: Sequence[Item]) -> Batch:
        """A batch of items: the backbone's batch plus ``labels``, the ``items`` themselves and, with noise
        injection, the term frequencies it needs."""
        batch = self.predictor.collate([(it.query, it.words) for it in items])
        batch["labels"] = torch.as_tensor([it.label for it in items], dtype=torch.long)
        batch["items"] = list(items)
        if self.noise_injection is not None:
            batch["doc_units"] = self.predictor.document_units(batch)
            batch["tf"] = unit_term_frequency(batch["ids"], batch["doc_units"])
        if any(it.rationale is not None for it in items):
            batch["rationale"], batch["supervised"] = rationale_batch(items, batch["selectable"].shape)
        return batch

    # ------------------------------------------------------------------ forward pieces
    def generator_logits(self, batch: Batch) -> torch.Tensor:
        """``(B, W, k)`` generator outputs per word (k = 1 except HardKuma)."""
        return self.generator_head(self.generator.word_states(batch))

    def select(self, batch: Batch) -> Selection:
        """Draw (training) or decide (eval) the selection; implemented by each method."""
        raise NotImplementedError

    def _finish(self, z: torch.Tensor, probs: torch.Tensor, batch: Batch, **extra: torch.Tensor) -> Selection:
        """Force query words to 1 and padding to 0."""
        sel, wm = batch["selectable"], batch["word_mask"]
        query = wm & ~sel
        z = torch.where(sel, z, query.float())
        probs = torch.where(sel, probs, torch.zeros_like(probs))
        return Selection(z, probs, extra)

    def top_k_selection(self, batch: Batch, scores: torch.Tensor, k: float | None = None) -> torch.Tensor:
        """``(B, W)`` 0/1 selection of the highest ``scores`` in every document of every example:
        :func:`~rationalize.rationalizers.discretize.top_k` with ``k_tokens(k, document words)`` words
        per document (``k`` a fraction, default the sparsity target ``sparsity_``; a document cut at
        ``max_length`` keeps at most its visible words); query words 1, padding 0. Not differentiable."""
        k = self.sparsity_ if k is None else k
        z = torch.zeros(scores.shape)
        values = scores.detach().float().numpy()
        for i, it in enumerate(batch["items"]):
            q = len(it.query)
            docs = it.docs or [("", 0, len(it.words), len(it.words))]
            for _, start, end, full in docs:
                count = min(k_tokens(k, full, fraction=True), end - start)
                mask = top_k(values[i, q + start : q + end], count, fraction=False)
                z[i, q + start : q + end] = torch.from_numpy(mask.astype(np.float32))
        sel, wm = batch["selectable"], batch["word_mask"]
        return torch.where(sel, z, (wm & ~sel).float())

    def predict_logits(self, batch: Batch, z: torch.Tensor, ids: torch.Tensor | None = None) -> torch.Tensor:
        """Predictor logits from the words selected by ``z`` (``ids`` overrides the input ids, e.g. noise-injected)."""
        return self.predictor_head(self.predictor.pooled(batch, z, ids, self.input_mode))

    def inject_noise(self, batch: Batch, z: torch.Tensor) -> tuple[torch.Tensor | None, float, torch.Tensor | None]:
        """Noisy predictor ids during training (``None`` without noise injection), the replaced fraction
        of selected units, and ``(B, W)`` the words with a replaced unit (``None`` without noise)."""
        if self.noise_injection is None or not self.training:
            return None, 0.0, None
        chosen = (z > 0) & batch["selectable"]
        units = (self.predictor.units_of(batch, chosen.float(), fill=0.0) > 0) & batch["mask"]
        noisy, replaced = self.noise_injection(batch["ids"], batch["tf"], units, document=batch["doc_units"])
        words = self.predictor.words_of(batch, replaced)
        return noisy, float(replaced.sum()) / max(1, int(units.sum())), words

    @staticmethod
    def cut_noisy_gradient(z: torch.Tensor, replaced_words: torch.Tensor | None) -> torch.Tensor:
        """``z`` with its gradient cut at the replaced words: a replaced position shows the predictor a
        word the generator never picked, so the generator must not be credited (or blamed) for it
        through the predictor's loss (the noisy hard path; Storek et al. never back-propagate it)."""
        if replaced_words is None:
            return z
        return torch.where(replaced_words, z.detach(), z)

    # ------------------------------------------------------------------ training
    #: whether gradients flow from the predictor into ``z`` (False for REINFORCE)
    differentiable: ClassVar[bool] = True

    def complement_terms(self, batch: Batch, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(complement predictor loss, per-example generator penalty)`` of the complement control."""
        y = batch["labels"]
        zc = torch.where(batch["selectable"], 1 - z, z)  # query stays visible, padding stays 0
        logits = self.complement_head(self.complement.pooled(batch, zc.detach(), None, self.input_mode))
        comp_ce = F.cross_entropy(logits, y, reduction="none")
        chance = math.log(len(self.labels))
        if not self.differentiable:
            return comp_ce.mean(), F.relu(chance - comp_ce).detach()
        with frozen_parameters(self.complement, self.complement_head):  # the penalty trains the generator only
            adv = self.complement_head(self.complement.pooled(batch, zc, None, self.input_mode))
        return comp_ce.mean(), F.relu(chance - F.cross_entropy(adv, y, reduction="none"))

    #: whether the rationale loss trains this method's selection (False for FRESH, whose extractor is fixed
    #: while its predictor trains; FRESH supervises its support model and tagger instead)
    supervises_selection: ClassVar[bool] = True

    def complement_selection(self, batch: Batch, z: torch.Tensor) -> torch.Tensor:
        """``1 - z`` on the document words; query words stay visible (1), padding stays 0."""
        return torch.where(batch["selectable"], 1 - z, z)

    def random_selection(self, batch: Batch, z: torch.Tensor) -> torch.Tensor:
        """A uniformly random 0/1 selection of as many document words per example as ``z`` selects
        (``z > 0``); query words 1, padding 0. Uses torch's global generator (seeded by the training loop)."""
        sel = batch["selectable"]
        pick = random_subset(sel, ((z > 0) & sel).sum(1))
        return torch.where(sel, pick.float(), (batch["word_mask"] & ~sel).float())

    def echr_terms(self, batch: Batch, z: torch.Tensor, ce: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-example ECHR penalties (Chalkidis et al., 2021) that are switched on: ``comprehensiveness``
        ``max(0, ce - CE(complement))`` and ``singularity`` ``max(0, ce - CE(random selection of the same
        size))``, ``ce`` being the rationale's cross-entropy; the same predictor reads all three. Deviation:
        our selections are words, not the paper's paragraphs."""
        out: dict[str, torch.Tensor] = {}
        y = batch["labels"]
        if self.comprehensiveness_weight > 0:
            ce_c = F.cross_entropy(self.predict_logits(batch, self.complement_selection(batch, z)), y, reduction="none")
            out["comprehensiveness"] = F.relu(ce - ce_c)
        if self.singularity_weight > 0:
            ce_r = F.cross_entropy(self.predict_logits(batch, self.random_selection(batch, z.detach())), y,
                                   reduction="none")
            out["singularity"] = F.relu(ce - ce_r)
        return out

    def training_step(self, batch: Batch) -> dict[str, torch.Tensor | float]:
        """One training step: :meth:`step` (the method's loss and logged terms; predictor-only during
        ``predictor_warmup_steps``) plus, on a batch with rationale-supervised items, ``λ ·``
        :meth:`rationale_loss` (logged as ``rationale_loss``)."""
        self.steps_ += 1
        if int(self.steps_) <= self.predictor_warmup_steps:
            return self._predictor_warmup_step(batch)
        terms, sel = self.step(batch)
        if "rationale" in batch and self.supervises_selection and self.rationale_supervision > 0:
            rl = self.rationale_loss(batch, sel)
            terms["loss"] = terms["loss"] + self.rationale_supervision * rl
            terms["rationale_loss"] = rl.detach()
        return terms

    def rationale_loss(self, batch: Batch, sel: Selection) -> torch.Tensor:
        """The supervised rationale loss of a batch: binary cross-entropy of the selection probabilities
        (``sel.probs``: Bernoulli / Gumbel ``σ(logit)``, HardKuma ``P(h ≠ 0)``) against the human mask over the
        document words, mean per supervised example, then over the batch's supervised examples. It needs
        ``sel.probs`` to carry the generator's gradient (every method but FRESH)."""
        rows, selectable = batch["supervised"], batch["selectable"]
        if not bool(rows.any()):
            return sel.probs.sum() * 0.0
        probs = sel.probs[rows].clamp(1e-6, 1 - 1e-6)
        sel_rows = selectable[rows].float()
        bce = F.binary_cross_entropy(probs, batch["rationale"][rows], reduction="none") * sel_rows
        return (bce.sum(1) / sel_rows.sum(1).clamp(min=1)).mean()

    def step(self, batch: Batch) -> tuple[dict[str, torch.Tensor | float], Selection]:
        """The method's own training step: select, inject noise (if configured), predict; the loss and logged
        terms of :meth:`objective` (plus the complement term, if any), and the selection."""
        sel = self.select(batch)
        noisy, replaced, replaced_words = self.inject_noise(batch, sel.z)
        logits = self.predict_logits(batch, self.cut_noisy_gradient(sel.z, replaced_words), noisy)
        ce = F.cross_entropy(logits, batch["labels"], reduction="none")
        rate, trans = rate_and_transitions(sel.z, batch["selectable"])
        comp_loss = penalty = None
        if self.complement_weight > 0:
            comp_loss, penalty = self.complement_terms(batch, sel.z)
            # the penalty joins the per-example cost the generator minimises
            ce_for_objective = ce + self.ramp() * self.complement_weight * penalty
        else:
            ce_for_objective = ce
        echr = self.echr_terms(batch, sel.z, ce)
        for name, weight in (("comprehensiveness", self.comprehensiveness_weight), ("singularity", self.singularity_weight)):
            if name in echr:
                ce_for_objective = ce_for_objective + self.ramp() * weight * echr[name]
        terms = self.objective(batch, sel, ce_for_objective, rate, trans)
        if comp_loss is not None:
            terms["loss"] = terms["loss"] + comp_loss
            terms["complement_ce"] = comp_loss.detach()
        terms.update({k: v.mean().detach() for k, v in echr.items()})
        hard_rate, _ = rate_and_transitions((sel.z > 0).float(), batch["selectable"])
        terms.update({"ce": ce.mean().detach(), "selection_rate": hard_rate.mean().detach(),
                      "transitions": trans.mean().detach(),
                      "accuracy": (logits.argmax(1) == batch["labels"]).float().mean()})
        if self.noise_injection is not None:
            terms["replaced"] = replaced
        return terms, sel

    def _predictor_warmup_step(self, batch: Batch) -> dict[str, torch.Tensor | float]:
        """One step of ``predictor_warmup_steps``: the predictor reads every word; only it is trained."""
        logits = self.predict_logits(batch, batch["word_mask"].float())
        ce = F.cross_entropy(logits, batch["labels"])
        return {"loss": ce, "ce": ce.detach(), "selection_rate": 1.0,
                "accuracy": (logits.argmax(1) == batch["labels"]).float().mean()}

    def objective(self, batch: Batch, sel: Selection, ce: torch.Tensor, rate: torch.Tensor,
                  trans: torch.Tensor) -> dict[str, torch.Tensor]:
        """Default (differentiable ``z``): cross-entropy + sparsity and continuity penalties."""
        sparsity = (rate - self.sparsity_).abs()
        continuity = F.relu(trans - self.continuity_)
        r = self.ramp()
        loss = ce + r * (self.sparsity_weight * sparsity + self.continuity_weight * continuity)
        return {"loss": loss.mean(), "sparsity": sparsity.mean().detach(), "continuity": continuity.mean().detach()}

    @property
    def uses_continuity(self) -> bool:
        """Whether training asks for contiguous selections (here: a non-zero ``continuity_weight``), and so
        whether early stopping counts excess transitions."""
        return self.continuity_weight > 0

    def validation_metrics(self, items: Sequence[Item], batch_size: int = 32) -> dict[str, float]:
        """Accuracy, cross-entropy, selection rate, transitions and the early-stopping ``objective``
        (cross-entropy + |selection - target|, + excess transitions where :attr:`uses_continuity`) on
        held-out items; no gold rationales are used (the method is unsupervised). Model selection penalises
        only what training asks for: a method told nothing about contiguity is not stopped early for
        scattered selections."""
        ces, correct, rates, transs = [], [], [], []
        with eval_mode(self), torch.no_grad():
            for chunk in iterate_minibatches(list(items), batch_size):
                batch = self.collate(chunk)
                sel = self.select(batch)
                logits = self.predict_logits(batch, sel.z)
                ces.append(F.cross_entropy(logits, batch["labels"], reduction="none"))
                correct.append((logits.argmax(1) == batch["labels"]).float())
                r, t = rate_and_transitions((sel.z > 0).float(), batch["selectable"])
                rates.append(r)
                transs.append(t)
        ce, rate, trans = torch.cat(ces).mean(), torch.cat(rates).mean(), torch.cat(transs).mean()
        objective = ce + (rate - self.sparsity_).abs()
        if self.uses_continuity:
            objective = objective + F.relu(trans - self.continuity_)
        return {"accuracy": float(torch.cat(correct).mean()), "ce": float(ce), "selection_rate": float(rate),
                "transitions": float(trans), "objective": float(objective)}

    def _prepare(self, dataset: Dataset, train_split: str) -> None:
        """Targets, vocabulary, embeddings, networks and noise statistics from the training split."""
        self.sparsity_ = self.sparsity if self.sparsity is not None else dataset.mean_rationale_fraction(train_split)
        if self.sparsity_ <= 0:
            raise ValueError(f"split {train_split!r} of {dataset.name!r} has no human rationales to take the "
                             "sparsity target from; pass sparsity=<fraction>")
        self.continuity_ = (self.continuity if self.continuity is not None
                            else human_transition_rate(dataset, train_split))
        vocab = matrix = None
        if self.encoder in WORD_VECTOR_ENCODERS:
            texts = [d.tokens for ex in dataset[train_split] for d in dataset.docs_of(ex)]
            texts += [ex.query.split() for ex in dataset[train_split] if ex.query]
            vocab = Vocab.build(texts)
            matrix, coverage = embedding_matrix(vocab, self.embeddings, seed=self.seed)
            log.info("vocabulary %d words, %.1f%% covered by %s", len(vocab), 100 * coverage, self.embeddings)
        self._build(dataset.labels, vocab, matrix)
        self.register_buffer("targets_", torch.tensor([self.sparsity_, self.continuity_]))

    def fit(self, dataset: Dataset, train_split: str = "train", val_split: str = "val",
            config: TrainConfig | None = None, out_dir: str | Path | None = None) -> SelectPredictRationalizer:
        """Build the networks from ``dataset`` and train them with the shared loop (early stopping on the
        validation ``objective``)."""
        cfg = config or TrainConfig(monitor="objective", mode="min", seed=self.seed)
        if self.rationale_supervision > 0 and self.supervised_fraction > 0:
            check_rationales(dataset, train_split)  # before any network is built
        self._prepare(dataset, train_split)
        train_items = self.training_items(dataset, train_split)
        val_items = [it for it in self.items(dataset, val_split) if it.label >= 0] if val_split in dataset.splits else train_items
        if self.noise_injection is not None:
            docs = []
            for k in range(0, len(train_items), 256):
                docs += self.predictor.unit_id_lists([(it.query, it.words) for it in train_items[k : k + 256]])
            self.noise_injection.fit(docs, self.predictor.vocab_size, exclude=self.predictor.special_ids)
        self.history_ = self._fit_loop(train_items, val_items, cfg, out_dir)
        return self

    def training_items(self, dataset: Dataset, split: str) -> list[Item]:
        """The labelled items of ``split``; with rationale supervision, a seeded ``supervised_fraction`` of
        them (:func:`~rationalize.models.supervision.supervised_examples` over the labelled examples) carry
        their human mask over the kept document words (the union of annotator groups)."""
        index = {lab: i for i, lab in enumerate(self.labels)}
        pairs = [(ex, self._item(ex, dataset, index)) for ex in dataset[split]]
        pairs = [(ex, it) for ex, it in pairs if it.label >= 0]
        if self.rationale_supervision > 0 and self.supervised_fraction > 0:
            chosen = supervised_examples([ex for ex, _ in pairs], self.supervised_fraction, self.seed)
            for i in chosen:
                ex, it = pairs[i]
                parts = [np.asarray(ex.gold_token_mask(dataset.doc(docid)), dtype=np.float32)[: end - start]
                         for docid, start, end, _ in it.docs]
                it.rationale = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        return [it for _, it in pairs]

    def _fit_loop(self, train_items: list[Item], val_items: list[Item], cfg: TrainConfig,
                  out_dir: str | Path | None) -> TrainHistory:
        return fit(self, train_items, self.collate, lambda m: m.validation_metrics(val_items, cfg.batch_size), cfg,
                   out_dir=out_dir)

    # ------------------------------------------------------------------ inference
    def eval_selection(self, batch: Batch, rule: str = "own", k: float | None = None) -> Selection:
        """The prediction-time selection under ``rule`` (:data:`SELECTION_RULES`): the method's own ``z``,
        or ``top-k`` of its soft scores at ``k`` (default the sparsity target); soft scores unchanged."""
        if rule not in SELECTION_RULES:
            raise ValueError(f"unknown selection rule {rule!r}; use one of {', '.join(SELECTION_RULES)}")
        sel = self.select(batch)
        if rule == "top-k":
            sel = Selection(self.top_k_selection(batch, sel.probs, k), sel.probs, sel.extra)
        return sel

    def _infer(self, items: Sequence[Item], batch_size: int, rule: str = "own",
               k: float | None = None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per item: z over document words (under ``rule``), selection probabilities, class probabilities
        (of the predictor reading that z)."""
        self._check_built()
        out = []
        with eval_mode(self), torch.no_grad():
            for chunk in iterate_minibatches(list(items), batch_size):
                batch = self.collate(chunk)
                sel = self.eval_selection(batch, rule, k)
                proba = torch.softmax(self.predict_logits(batch, sel.z), -1).numpy()
                for i, it in enumerate(chunk):
                    q = len(it.query)
                    n = len(it.words)
                    out.append((sel.z[i, q : q + n].numpy(), sel.probs[i, q : q + n].numpy(), proba[i]))
        return out

    def predict_proba(self, inputs: Sequence[ClassifierInput], batch_size: int | None = None) -> np.ndarray:
        """Class probabilities (TextClassifier protocol): select on each input, predict from the selection."""
        self._check_built()
        items = []
        for k, inp in enumerate(inputs):
            words = list(inp.tokens) if self.max_length is None else list(inp.tokens)[: self.max_length]
            items.append(Item(str(k), list(inp.query or []), words))
        if not items:
            return np.zeros((0, len(self.labels)))
        return np.stack([p for _, _, p in self._infer(items, batch_size or 32)])

    def rationales(self, inputs: Sequence[ClassifierInput], batch_size: int = 32) -> list[np.ndarray]:
        """Boolean selection over each input's tokens (tokens cut by ``max_length`` are never selected)."""
        items = [Item(str(k), list(i.query or []), list(i.tokens)[: self.max_length or None]) for k, i in enumerate(inputs)]
        res = self._infer(items, batch_size)
        out = []
        for inp, (z, _, _) in zip(inputs, res):
            mask = np.zeros(len(inp.tokens), dtype=bool)
            mask[: len(z)] = z > 0
            out.append(mask)
        return out

    def predict_results(self, dataset: Dataset, split: str, batch_size: int | None = 32, *,
                        limit: int | None = None, rule: str = "own", k: float | None = None) -> list[Result]:
        """ERASER results for ``split`` (its first ``limit`` examples): hard rationales (selected words as
        spans), selection probabilities as soft token scores, their mean per sentence as soft sentence
        scores (the default :data:`~rationalize.rationalizers.discretize.SENTENCE_REDUCE`, as post-hoc
        results), and the predicted class with its probabilities. ``rule`` (:data:`SELECTION_RULES`)
        decides the hard rationale the predictor reads: the method's own (default) or ``top-k``, the
        ``k_tokens(k, words)`` highest soft scores of every document (``k`` default: the sparsity target),
        the equal-sparsity comparison of different methods."""
        self._check_built()
        index = {lab: i for i, lab in enumerate(self.labels)}
        examples = dataset[split][:limit] if limit is not None else dataset[split]
        items = [self._item(ex, dataset, index) for ex in examples]
        results = []
        for it, (z, probs, proba) in zip(items, self._infer(items, batch_size or 32, rule, k)):
            rats = []
            for docid, start, end, full in it.docs:
                hard = np.zeros(full, dtype=bool)
                hard[: end - start] = z[start:end] > 0
                soft = np.zeros(full)
                soft[: end - start] = probs[start:end]
                doc = dataset.doc(docid)
                sents = sentence_scores(soft, doc.sentences).tolist()
                rats.append(DocRationale(docid, mask_to_spans(hard), soft.tolist(), sents))
            scores = {lab: float(p) for lab, p in zip(self.labels, proba)}
            results.append(Result(it.id, rats, self.labels[int(np.argmax(proba))], scores))
        return results

    # ------------------------------------------------------------------ persistence
    def save(self, folder: str | Path) -> Path:
        """Write ``rationalize.json`` (class, parameters, labels, targets), the vocabulary and weights."""
        self._check_built()
        folder = Path(folder)
        save_config(folder, type(self), method=self.method, params=self.get_params(), labels=self.labels,
                    sparsity_=self.sparsity_, continuity_=self.continuity_)
        if self.vocab_ is not None:
            self.vocab_.save(folder / "vocab.json")
            dim = self.predictor.enc.embed.weight.shape[1]
            (folder / "embedding_dim.json").write_text(json.dumps(dim))
        torch.save(self.state_dict(), folder / "weights.pt")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> SelectPredictRationalizer:
        """Reload a model saved with :meth:`save` (no training data or word vectors needed)."""
        folder = Path(folder)
        cfg = read_config(folder)
        params = dict(cfg["params"])
        noise = params.pop("noise_injection", None)
        model = cls(noise_injection=NoiseInjection(**noise) if noise else None, **params)
        model.sparsity_, model.continuity_ = float(cfg["sparsity_"]), float(cfg["continuity_"])
        vocab = matrix = None
        if model.encoder in WORD_VECTOR_ENCODERS:
            vocab = Vocab.load(folder / "vocab.json")
            dim = json.loads((folder / "embedding_dim.json").read_text())
            matrix = np.zeros((len(vocab), dim), dtype=np.float32)
        model._build(cfg["labels"], vocab, matrix, config_only=True)
        model.register_buffer("targets_", torch.zeros(2))
        model._prepare_load()
        state = torch.load(folder / "weights.pt", weights_only=True)
        model.load_state_dict(state)
        model.eval()
        return model

    def _prepare_load(self) -> None:
        """Hook for subclasses that own extra modules/buffers before ``load_state_dict``."""

"""Sentence-level selection: the rationale is a set of whole sentences (issue 15; the noise-injection
paper's FEVER and MultiRC setting, Storek, Subbiah & McKeown, ACL 2023, and the unit of paragraph-level
extraction for legal documents).

:class:`SentenceUnits` is a mixin for any :class:`~.framework.SelectPredictRationalizer`; put it first:
``class SentenceA2R(SentenceUnits, A2R)``. It changes only *what is selected*, not how a method learns:

* the generator's per-word outputs are averaged over each sentence and every word of the sentence gets
  that average, so one logit (or HardKuma's ``a, b``) decides a whole sentence;
* a sampled selection (Gumbel, HardKuma, REINFORCE) is the sample of the sentence's first word copied
  to the sentence, i.e. one sample per sentence;
* ``top-k`` keeps the ``k_tokens(ρ, sentences)`` sentences of each document with the highest mean soft
  score (``ρ`` = ``sparsity``, a fraction of *sentences* here); A2R's hard rationale is this rule;
* the sparsity terms count the fraction of sentences selected; without ``sparsity`` the target is the
  training split's human-rationale fraction of *sentences* (:func:`sentence_rationale_fraction`).

Sentences come from the dataset's documents; inputs without them (``predict_proba`` on raw tokens)
are split after ``.``, ``!`` and ``?``. Training refuses a split none of whose documents has more than
one sentence, and any document whose sentence bounds leave tokens out, with one
:class:`NoSentencesError` line. The predictor still reads words (masked or deleted outside the
rationale) and noise injection still replaces words, now inside the selected sentences.

:class:`SentenceA2R` (``sentence-a2r``) and :class:`SentenceGumbel` (``sentence-gumbel``) are in the
method registry: ``make_rationalizer("sentence-a2r", sparsity=0.2)`` or
``rationalize train rationalizer --method sentence-a2r``; a saved one reloads as its own class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from rationalize.data.schema import Dataset, Example
from rationalize.engine.training import eval_mode, iterate_minibatches
from rationalize.errors import RationalizeError
from rationalize.rationalizers.discretize import k_tokens, top_k
from rationalize.rationalizers.select_predict.a2r import A2R
from rationalize.rationalizers.select_predict.framework import (
    Batch,
    Item,
    Selection,
    SelectPredictRationalizer,
    random_subset,
)
from rationalize.rationalizers.select_predict.gumbel import GumbelRationalizer

SENTENCE_END = frozenset({".", "!", "?"})


class NoSentencesError(RationalizeError, ValueError):
    """A sentence-level method was given documents without usable sentence bounds."""


def check_sentences(dataset: Dataset, split: str, method: str) -> None:
    """Raise :class:`NoSentencesError` unless some document of ``split`` has two or more non-empty sentences
    (a dataset that stores each document as one sentence has no sentence boundaries to select by)."""
    for ex in dataset[split]:
        for doc in dataset.docs_of(ex):
            if sum(1 for a, b in doc.sentences if b > a) > 1:
                return
    raise NoSentencesError(f"{method} selects whole sentences, but no document of split {split!r} of dataset "
                           f"{dataset.name!r} has more than one sentence (ERASER documents: one sentence per line); "
                           "use a token-level method")


def sentence_rationale_fraction(dataset: Dataset, split: str) -> float:
    """Mean over examples of (non-empty sentences holding a human-rationale token) / (non-empty sentences of
    its documents); 0 for a split without evidence. The sentence counterpart of
    :meth:`~rationalize.data.schema.Dataset.mean_rationale_fraction`."""
    fracs = []
    for ex in dataset[split]:
        n = hit = 0
        for doc in dataset.docs_of(ex):
            mask = ex.gold_token_mask(doc)
            for a, b in doc.sentences:
                if b > a:
                    n += 1
                    hit += any(mask[a:b])
        if n:
            fracs.append(hit / n)
    return float(np.mean(fracs)) if fracs else 0.0


@dataclass
class SentenceItem(Item):
    """An :class:`Item` with the sentence index (counted over the example's documents) of every word."""

    sentence_of: list[int] = field(default_factory=list)


def split_sentences(words: Sequence[str]) -> list[int]:
    """Sentence index per word for raw tokens: a new sentence starts after ``.``, ``!`` or ``?``."""
    out, s = [], 0
    for w in words:
        out.append(s)
        if w in SENTENCE_END:
            s += 1
    return out


def sentence_index(batch: Batch, items: Sequence[Item]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(sent, first)``: ``(B, W)`` sentence index of every document word (-1 elsewhere) and ``(B, S)``
    the batch position of each sentence's first word (-1 for absent sentences)."""
    width = batch["word_mask"].shape[1]
    per = [it.sentence_of if isinstance(it, SentenceItem) and it.sentence_of else split_sentences(it.words)
           for it in items]
    n_sent = max([max(p) + 1 for p in per if p] or [1])
    sent = torch.full((len(items), width), -1, dtype=torch.long)
    first = torch.full((len(items), n_sent), -1, dtype=torch.long)
    for i, (it, p) in enumerate(zip(items, per)):
        q = len(it.query)
        idx = torch.as_tensor(p, dtype=torch.long)
        pos = torch.arange(q, q + len(p))
        keep = batch["selectable"][i, q : q + len(p)]  # a transformer may have cut the document
        sent[i, q : q + len(p)] = torch.where(keep, idx, torch.full_like(idx, -1))
        for s, t in zip(reversed(idx[keep].tolist()), reversed(pos[keep].tolist())):
            first[i, s] = t
    return sent, first


def sentence_mean(values: torch.Tensor, sent: torch.Tensor, n_sent: int) -> torch.Tensor:
    """``(B, S, ...)`` mean of ``values`` ``(B, W, ...)`` over the words of each sentence (0 if none)."""
    b, w = sent.shape
    rest = values.shape[2:]
    flat = values.reshape(b, w, -1)
    valid = (sent >= 0).unsqueeze(-1).to(flat.dtype)
    index = sent.clamp(min=0).unsqueeze(-1).expand_as(flat)
    total = torch.zeros(b, n_sent, flat.shape[-1], dtype=flat.dtype).scatter_add(1, index, flat * valid)
    count = torch.zeros(b, n_sent, 1, dtype=flat.dtype).scatter_add(1, sent.clamp(min=0).unsqueeze(-1), valid)
    return (total / count.clamp(min=1)).reshape(b, n_sent, *rest)


def broadcast(values: torch.Tensor, sent: torch.Tensor) -> torch.Tensor:
    """``(B, W, ...)`` each word's sentence value from ``(B, S, ...)`` (padding/query positions: sentence 0;
    callers mask them)."""
    b, w = sent.shape
    flat = values.reshape(b, values.shape[1], -1)
    index = sent.clamp(min=0).unsqueeze(-1).expand(b, w, flat.shape[-1])
    return torch.gather(flat, 1, index).reshape(b, w, *values.shape[2:])


class SentenceUnits:
    """Mixin: select whole sentences (module docstring). ``sparsity`` is a fraction of sentences."""

    unit = "sentence"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # every hook here calls super(): a method class before the mixin would shadow them all silently
        mro = cls.__mro__
        before = mro[1 : mro.index(SentenceUnits)]
        if any(issubclass(c, SelectPredictRationalizer) and not issubclass(c, SentenceUnits) for c in before):
            raise TypeError(f"{cls.__name__}: put SentenceUnits first among the bases, e.g. "
                            f"class {cls.__name__}(SentenceUnits, A2R)")

    # -- data
    def _prepare(self, dataset: Dataset, train_split: str) -> None:
        """The method's preparation, after checking that the split has sentences; without ``sparsity`` the
        target is the human rationales' fraction of sentences."""
        check_sentences(dataset, train_split, self.method)  # type: ignore[attr-defined]
        super()._prepare(dataset, train_split)  # type: ignore[misc]
        if self.sparsity is None:  # type: ignore[attr-defined]
            self.sparsity_ = sentence_rationale_fraction(dataset, train_split)
            self.targets_[0] = self.sparsity_  # type: ignore[attr-defined]

    def _item(self, ex: Example, dataset: Dataset, index: dict[str, int]) -> Item:
        it = super()._item(ex, dataset, index)  # type: ignore[misc]
        sentence_of: list[int] = []
        offset = 0
        for docid, start, end, _full in it.docs:
            doc = dataset.doc(docid)
            of = np.full(len(doc), -1, dtype=int)
            for s, (a, b) in enumerate(doc.sentences):
                of[a:b] = offset + s
            if (of < 0).any():
                raise NoSentencesError(f"document {docid!r} of dataset {dataset.name!r}: token {int(np.argmax(of < 0))} "
                                       "is in no sentence; a sentence-level method needs sentence bounds that cover "
                                       "every token")
            sentence_of.extend(of[: end - start].tolist())
            offset += len(doc.sentences)
        fields = {k: getattr(it, k) for k in ("id", "query", "words", "label", "docs")}
        return SentenceItem(**fields, sentence_of=sentence_of)

    def collate(self, items: Sequence[Item]) -> Batch:
        """The method's batch plus each word's sentence index (``sent``) and each sentence's first word."""
        batch = super().collate(items)  # type: ignore[misc]
        batch["sent"], batch["sent_first"] = sentence_index(batch, batch["items"])
        return batch

    # -- selection
    def generator_logits(self, batch: Batch) -> torch.Tensor:
        """The per-word outputs averaged over each sentence and given back to its words."""
        out = super().generator_logits(batch)  # type: ignore[misc]
        sent = batch["sent"]
        pooled = sentence_mean(out, sent, batch["sent_first"].shape[1])
        return torch.where((sent >= 0).unsqueeze(-1), broadcast(pooled, sent), out)

    def attention(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """A2R: the attention logits averaged per sentence before the softmax (one logit per sentence)."""
        states = self.generator.word_states(batch)  # type: ignore[attr-defined]
        logits = self.generator_head(states)  # type: ignore[attr-defined]
        sent = batch["sent"]
        pooled = broadcast(sentence_mean(logits, sent, batch["sent_first"].shape[1]), sent)
        logits = torch.where((sent >= 0).unsqueeze(-1), pooled, logits).squeeze(-1)
        sel = batch["selectable"]
        alpha = torch.softmax(logits.masked_fill(~sel, float("-inf")), -1)
        return torch.where(sel, alpha, torch.zeros_like(alpha)), states

    def select(self, batch: Batch) -> Selection:
        """The method's selection with every sentence taking its first word's value (one sample per
        sentence; deterministic rules are already constant within a sentence)."""
        sel = super().select(batch)  # type: ignore[misc]
        sent, first = batch["sent"], batch["sent_first"]
        z_first = torch.gather(sel.z, 1, first.clamp(min=0)) * (first >= 0)
        z = torch.where(sent >= 0, broadcast(z_first, sent), sel.z)
        return Selection(z, sel.probs, sel.extra)

    def top_k_selection(self, batch: Batch, scores: torch.Tensor, k: float | None = None) -> torch.Tensor:
        """The ``k_tokens(k, sentences)`` sentences of every document with the highest mean score."""
        k = self.sparsity_ if k is None else k  # type: ignore[attr-defined]
        sent, first = batch["sent"], batch["sent_first"]
        mean = sentence_mean(scores.detach().float(), sent, first.shape[1]).numpy()
        z = torch.zeros(scores.shape)
        for i, it in enumerate(batch["items"]):
            row = sent[i].numpy()
            q = len(it.query)
            docs = it.docs or [("", 0, len(it.words), len(it.words))]
            for _, start, end, _full in docs:
                ids = np.unique(row[q + start : q + end])
                ids = ids[ids >= 0]
                if not len(ids):
                    continue
                keep = ids[top_k(mean[i, ids], k_tokens(k, len(ids), fraction=True), fraction=False)]
                z[i, q + start : q + end] = torch.from_numpy(np.isin(row[q + start : q + end], keep).astype(np.float32))
        sel, wm = batch["selectable"], batch["word_mask"]
        return torch.where(sel, z, (wm & ~sel).float())

    def random_selection(self, batch: Batch, z: torch.Tensor) -> torch.Tensor:
        """ECHR singularity's random rationale at this level: as many uniformly random whole sentences per
        example as ``z`` selects; query words 1, padding 0 (torch's global generator, as the word level)."""
        sent, first = batch["sent"], batch["sent_first"]
        present = first >= 0
        pick = random_subset(present, ((torch.gather(z, 1, first.clamp(min=0)) > 0) & present).sum(1))
        words = torch.gather(pick.float(), 1, sent.clamp(min=0)) * (sent >= 0)
        sel = batch["selectable"]
        return torch.where(sel, words, (batch["word_mask"] & ~sel).float())

    # -- objective: the selection rate counts sentences
    def sentence_rate(self, batch: Batch, z: torch.Tensor) -> torch.Tensor:
        """Per example: the fraction of its (visible) sentences selected."""
        first = batch["sent_first"]
        present = (first >= 0).float()
        z_first = torch.gather(z, 1, first.clamp(min=0)) * present
        return z_first.sum(1) / present.sum(1).clamp(min=1)

    def objective(self, batch: Batch, sel: Selection, ce: torch.Tensor, rate: torch.Tensor,
                  trans: torch.Tensor) -> dict[str, torch.Tensor]:
        """The method's objective with the selection rate counted in sentences and no continuity term (a
        sentence-level selection is contiguous within each sentence by construction)."""
        return super().objective(batch, sel, ce, self.sentence_rate(batch, sel.z), torch.zeros_like(trans))  # type: ignore[misc]

    def validation_metrics(self, items: Sequence[Item], batch_size: int = 32) -> dict[str, Any]:
        """The method's validation metrics plus ``sentence_rate``; a penalty method's ``objective`` counts
        sentences (CE + |sentence rate − target|); A2R's stays its hard cross-entropy."""
        out = super().validation_metrics(items, batch_size)  # type: ignore[misc]
        rates = []
        with eval_mode(self), torch.no_grad():  # type: ignore[arg-type]
            for chunk in iterate_minibatches(list(items), batch_size):
                batch = self.collate(chunk)
                rates.append(self.sentence_rate(batch, (self.select(batch).z > 0).float()))
        rate = float(torch.cat(rates).mean())
        out["sentence_rate"] = rate
        if not isinstance(self, A2R):
            out["objective"] = out["ce"] + abs(rate - self.sparsity_)  # type: ignore[attr-defined]
        return out


class SentenceA2R(SentenceUnits, A2R):
    """:class:`~.a2r.A2R` selecting the top-k sentences (its attention has one logit per sentence)."""

    method = "sentence-a2r"


class SentenceGumbel(SentenceUnits, GumbelRationalizer):
    """:class:`~.gumbel.GumbelRationalizer` with one straight-through sample per sentence."""

    method = "sentence-gumbel"

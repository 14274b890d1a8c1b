"""Noise injection for select-then-predict training (Storek, Subbiah & McKeown, ACL 2023).

During training only, part of the *selected* tokens is replaced by other words before the predictor
reads them. A generator that tries to pass the label through *which* uninformative tokens it picks
(e.g. a rare filler word placed where the label is known) loses that channel, because uninformative
selected tokens are exactly the ones that get replaced; informative content mostly survives. As in the
paper's released code (``adamstorek/noise_injection``: ``generate_word_statistics.py`` computes the
statistics, the data loader scales them by ``noise_p``, ``models.py`` replaces the selected words),
which adapts the tf-idf word replacement of Xie et al. (2020, UDA):

* ``token_probability="document"`` (default, the reference): every unit ``i`` of a document gets
  ``p_i = min(1, rate · n · (max_doc s - s_i) / Σ_doc (max s - s))`` over the ``n`` units of the
  whole document (``s`` = tf-idf in its document; uniform ``rate`` when all scores are equal); a
  selected unit is replaced with its ``p_i``. The probabilities do not depend on the selection, so a
  generator that selects informative words loses fewer of them (the replaced fraction of a selection
  is not fixed);
* replacement words are drawn from a distribution over the training vocabulary scored the same way:
  ``q(w) ∝ max_v S(v) - S(w)`` where ``S(w) = Σ_docs tf(w, d) · idf(w)``, so frequent, uninformative
  words are the most likely replacements and replacements carry little label information.

``token_probability="selection"`` is this package's earlier variant (the same weights normalised over
the *selected* units only, so every selection loses exactly ``rate`` of its units; kept as an
ablation, ``"tfidf"`` is its old name), ``"uniform"`` replaces every selected unit with probability
``rate``; ``replacement="uniform"`` / ``"unigram"`` are ablations of ``q``. Positions are the
predictor's own input units (words for BiGRU/CNN, word pieces for a transformer), so the mask and the
replaced units are always aligned. Documents are the part of the example the model reads (cut at
``max_length``); the query is never part of them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import torch

TOKEN_PROBABILITIES = ("document", "selection", "uniform")
#: old names of token probabilities (models saved before the reference formula was the default)
_ALIASES = {"tfidf": "selection"}
REPLACEMENTS = ("tfidf", "uniform", "unigram")


class NoiseInjection:
    """Replace selected tokens during training, at ``rate`` (``noise_p`` in the reference) scaled per
    token by its tf-idf (see the module docstring). Call :meth:`fit` on the training documents (lists of
    unit ids) first; learned statistics end in ``_``."""

    def __init__(self, rate: float = 0.1, token_probability: str = "document", replacement: str = "tfidf"):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"noise-injection rate must be in [0, 1], got {rate}")
        token_probability = _ALIASES.get(token_probability, token_probability)
        if token_probability not in TOKEN_PROBABILITIES:
            raise ValueError(f"token_probability must be one of {TOKEN_PROBABILITIES}, got {token_probability!r}")
        if replacement not in REPLACEMENTS:
            raise ValueError(f"replacement must be one of {REPLACEMENTS}, got {replacement!r}")
        self.rate = rate
        self.token_probability = token_probability
        self.replacement = replacement

    def config(self) -> dict:
        """The constructor parameters (``rate``, ``token_probability``, ``replacement``) as a dict."""
        return {"rate": self.rate, "token_probability": self.token_probability, "replacement": self.replacement}

    def fit(self, documents: Iterable[Sequence[int]], vocab_size: int, exclude: Sequence[int] = ()) -> NoiseInjection:
        """Collect idf per unit id and the replacement distribution from training documents."""
        df: Counter[int] = Counter()
        weighted_tf: dict[int, float] = {}
        counts: Counter[int] = Counter()
        docs = [list(d) for d in documents]
        for doc in docs:
            c = Counter(doc)
            df.update(c.keys())
            counts.update(c)
        n_docs = max(1, len(docs))
        idf = torch.zeros(vocab_size)
        for w, f in df.items():
            if 0 <= w < vocab_size:
                idf[w] = math.log(n_docs / f)
        for doc in docs:
            for w, c in Counter(doc).items():
                if 0 <= w < vocab_size:
                    weighted_tf[w] = weighted_tf.get(w, 0.0) + c / len(doc) * float(idf[w])
        seen = torch.zeros(vocab_size, dtype=torch.bool)
        seen[[w for w in df if 0 <= w < vocab_size]] = True
        seen[list(exclude)] = False
        if not bool(seen.any()):
            raise ValueError("noise injection needs a non-empty training vocabulary")
        if self.replacement == "uniform":
            q = seen.float()
        elif self.replacement == "unigram":
            q = torch.zeros(vocab_size)
            for w, c in counts.items():
                if 0 <= w < vocab_size:
                    q[w] = c
            q = q * seen
        else:
            score = torch.zeros(vocab_size)
            for w, s in weighted_tf.items():
                score[w] = s
            top = score[seen].max()
            q = torch.where(seen, top - score, torch.zeros_like(score))
            if float(q.sum()) <= 0:  # every word scored the same: fall back to uniform
                q = seen.float()
        self.idf_ = idf
        self.replacement_distribution_ = q / q.sum()
        return self

    def replace_probability(self, ids: torch.Tensor, tf: torch.Tensor, selected: torch.Tensor,
                            document: torch.Tensor | None = None) -> torch.Tensor:
        """Per-unit replacement probability, 0 outside ``selected``. ``document`` marks each row's document
        units (default: ``selected``); ``tf`` is each unit's relative frequency in its document. With
        ``"document"`` the probabilities are the reference formula over the whole document (see the
        module docstring); with ``"selection"`` their mean over the selected units is ``rate`` up to the
        cap at 1."""
        sel = selected.float()
        if self.token_probability == "uniform":
            return sel * self.rate
        if self.token_probability == "document":
            doc = selected if document is None else document
            return self.document_probability(ids, tf, doc) * sel
        s = tf * self.idf_[ids]
        top = torch.where(selected, s, torch.full_like(s, -math.inf)).max(1, keepdim=True).values
        w = torch.where(selected, top - s, torch.zeros_like(s))
        n = sel.sum(1, keepdim=True)
        total = w.sum(1, keepdim=True)
        flat = total <= 1e-12  # all selected tokens equally informative: uniform
        p = torch.where(flat, sel * self.rate, self.rate * w * n / total.clamp(min=1e-12))
        # Redistribute what the cap at 1 cuts off, so the mean stays at ``rate`` where possible.
        for _ in range(3):
            over = (p > 1).float()
            excess = ((p - 1).clamp(min=0) * sel).sum(1, keepdim=True)
            p = p.clamp(max=1.0)
            room = sel * (1 - over) * (p < 1).float()
            share = room * p
            p = p + excess * share / share.sum(1, keepdim=True).clamp(min=1e-12)
        return p.clamp(0, 1) * sel

    def document_probability(self, ids: torch.Tensor, tf: torch.Tensor, document: torch.Tensor) -> torch.Tensor:
        """The reference's per-document probabilities for every unit of ``document`` (0 elsewhere):
        ``min(1, rate · n · (max s - s_i) / Σ (max s - s))`` with ``s = tf · idf`` over the row's ``n``
        document units, and ``rate`` everywhere when all ``s`` are equal (the reference's uniform case)."""
        doc = document.float()
        s = tf * self.idf_[ids]
        top = torch.where(document, s, torch.full_like(s, -math.inf)).max(1, keepdim=True).values
        w = torch.where(document, top - s, torch.zeros_like(s))
        n = doc.sum(1, keepdim=True)
        total = w.sum(1, keepdim=True)
        relative = torch.where(total > 1e-12, w * n / total.clamp(min=1e-12), doc)
        return (self.rate * relative).clamp(max=1.0) * doc

    def __call__(self, ids: torch.Tensor, tf: torch.Tensor, selected: torch.Tensor,
                 generator: torch.Generator | None = None,
                 document: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(noisy_ids, replaced)``: ids with part of the ``selected`` units replaced (``document``
        as in :meth:`replace_probability`)."""
        if not hasattr(self, "idf_"):
            raise RuntimeError("NoiseInjection.fit() must be called before use")
        p = self.replace_probability(ids, tf, selected, document)
        replaced = (torch.rand(p.shape, generator=generator) < p) & selected
        n = int(replaced.sum())
        if n == 0:
            return ids, replaced
        draws = torch.multinomial(self.replacement_distribution_, n, replacement=True, generator=generator)
        noisy = ids.clone()
        noisy[replaced] = draws
        return noisy, replaced

"""Noise injection for select-then-predict training (Storek, Subbiah & McKeown, ACL 2023).

During training only, part of the *selected* tokens is replaced by other words before the predictor
reads them. A generator that tries to pass the label through *which* uninformative tokens it picks
(e.g. a rare filler word placed where the label is known) loses that channel, because uninformative
selected tokens are exactly the ones that get replaced; informative content mostly survives. Following
the paper (which adapts the tf-idf word replacement of Xie et al., 2020, UDA):

* a selected token's replacement probability is higher when its tf-idf in its own document is low:
  ``p_i ∝ max_j s_j - s_i`` over the selected tokens ``j`` of the example (``s`` = tf-idf), scaled so
  that the mean over selected tokens is ``rate`` (and capped at 1);
* replacement words are drawn from a distribution over the training vocabulary scored the same way:
  ``q(w) ∝ max_v S(v) - S(w)`` where ``S(w) = Σ_docs tf(w, d) · idf(w)``, so frequent, uninformative
  words are the most likely replacements and replacements carry little label information.

``token_probability="uniform"`` and ``replacement="uniform"`` / ``"unigram"`` are ablations. Positions
are the predictor's own input units (words for BiGRU/CNN, word pieces for a transformer), so the mask
and the replaced units are always aligned.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import torch

TOKEN_PROBABILITIES = ("tfidf", "uniform")
REPLACEMENTS = ("tfidf", "uniform", "unigram")


class NoiseInjection:
    """Replace a ``rate`` fraction of selected tokens during training. Call :meth:`fit` on the training
    documents (lists of unit ids) first; learned statistics end in ``_``."""

    def __init__(self, rate: float = 0.1, token_probability: str = "tfidf", replacement: str = "tfidf"):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"noise-injection rate must be in [0, 1], got {rate}")
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

    def replace_probability(self, ids: torch.Tensor, tf: torch.Tensor, selected: torch.Tensor) -> torch.Tensor:
        """Per-unit replacement probability (0 outside ``selected``); mean over selected units = ``rate``
        up to the cap at 1."""
        sel = selected.float()
        if self.token_probability == "uniform":
            return sel * self.rate
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

    def __call__(self, ids: torch.Tensor, tf: torch.Tensor, selected: torch.Tensor,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(noisy_ids, replaced)``: ids with part of the ``selected`` units replaced."""
        if not hasattr(self, "idf_"):
            raise RuntimeError("NoiseInjection.fit() must be called before use")
        p = self.replace_probability(ids, tf, selected)
        replaced = (torch.rand(p.shape, generator=generator) < p) & selected
        n = int(replaced.sum())
        if n == 0:
            return ids, replaced
        draws = torch.multinomial(self.replacement_distribution_, n, replacement=True, generator=generator)
        noisy = ids.clone()
        noisy[replaced] = draws
        return noisy, replaced

"""Select-then-predict rationalizers: a generator selects a rationale, a predictor classifies from it.

=============  =====================================================================================
``lei2016``    :class:`Lei2016` — Bernoulli selection, REINFORCE (Lei, Barzilay & Jaakkola, 2016)
``gumbel``     :class:`GumbelRationalizer` — straight-through Gumbel-sigmoid selection
``hardkuma``   :class:`HardKumaRationalizer` — HardKuma + Lagrangian relaxation (Bastings et al., 2019)
``a2r``        :class:`A2R` — attention generator, soft + hard (top-k) predictors, JS (Yu et al., 2021)
``fresh``      :class:`Fresh` — explainer-extracted rationales, fresh predictor (Jain et al., 2020)
``refer``      :class:`Refer` — top-k made differentiable by I-MLE, end to end (Madani & Minervini, 2023)
=============  =====================================================================================

Sentence-level variants (one keep/drop decision per sentence, ``sparsity`` a fraction of sentences;
:mod:`.sentences`):

===================  ===============================================================================
``sentence-a2r``     :class:`SentenceA2R` — A2R keeping the top-k sentences of each document
``sentence-gumbel``  :class:`SentenceGumbel` — Gumbel with one straight-through sample per sentence
===================  ===============================================================================

Noise injection (Storek, Subbiah & McKeown, 2023) is an option of every method:
``make_rationalizer("a2r", noise_injection=0.1)`` or a :class:`NoiseInjection` instance. Every method
also predicts under the equal-sparsity rule: ``predict_results(ds, split, rule="top-k")``.
"""

from __future__ import annotations

from typing import Any

from rationalize.rationalizers.base import Registry
from rationalize.rationalizers.select_predict.a2r import A2R
from rationalize.rationalizers.select_predict.framework import SELECTION_RULES, SelectPredictRationalizer
from rationalize.rationalizers.select_predict.fresh import Fresh
from rationalize.rationalizers.select_predict.gumbel import GumbelRationalizer
from rationalize.rationalizers.select_predict.hardkuma import HardKuma, HardKumaRationalizer
from rationalize.rationalizers.select_predict.lei2016 import Lei2016
from rationalize.rationalizers.select_predict.noise import NoiseInjection
from rationalize.rationalizers.select_predict.refer import Refer
from rationalize.rationalizers.select_predict.sentences import SentenceA2R, SentenceGumbel

#: the methods by their ``method`` name (a :class:`~rationalize.rationalizers.base.Registry`)
METHODS: Registry[type[SelectPredictRationalizer]] = Registry("select-predict", "rationalizer")
for _cls in (Lei2016, GumbelRationalizer, HardKumaRationalizer, A2R, Fresh, Refer, SentenceA2R, SentenceGumbel):
    METHODS.register(_cls.method, _cls)
del _cls


def make_rationalizer(method: str, **params: Any) -> SelectPredictRationalizer:
    """A new (untrained) rationalizer by name; ``params`` go to its constructor."""
    return METHODS.load(method, **params)


__all__ = ["A2R", "METHODS", "SELECTION_RULES", "Fresh", "GumbelRationalizer", "HardKuma", "HardKumaRationalizer", "Lei2016", "NoiseInjection",
           "Refer", "SelectPredictRationalizer", "SentenceA2R", "SentenceGumbel", "make_rationalizer"]

"""Select-then-predict results aggregate token scores per sentence as post-hoc results do: with
``discretize.sentence_scores``' one default (the mean), not a reduction of their own."""

from __future__ import annotations

import numpy as np
import pytest

from rationalize.rationalizers import discretize as D
from rationalize.rationalizers.select_predict import make_rationalizer
from tests.rationalizers.select_predict.conftest import FAST, quick_config


def test_soft_sentence_scores_are_the_shared_default_aggregate(synth):
    model = make_rationalizer("gumbel", **FAST)
    model.fit(synth, config=quick_config(epochs=1, max_steps_per_epoch=2))
    results = model.predict_results(synth, "test")
    assert len(results) == len(synth["test"]) > 0
    checked = 0
    for res in results:
        for rat in res.rationales:
            sents = synth.doc(rat.docid).sentences
            soft = np.asarray(rat.soft)
            assert len(sents) > 1 and rat.soft_sentences == pytest.approx(D.sentence_scores(soft, sents).tolist())
            assert rat.soft_sentences == pytest.approx([float(np.mean(soft[a:b])) for a, b in sents])
            checked += 1
    assert checked == len(results)

"""Pinned numbers of the official ERASER scorer on real data (see docs/evaluation.md for how they were made).

The results file is built deterministically here from the movies test split: the gold spans shifted
right by one token every other span (every third one dropped), soft scores that favour gold tokens
with ties, sentence scores, a classification that is right for two thirds of the annotations and faithfulness scores. The official
``rationale_benchmark/metrics.py`` was run on that file once, outside this repository; its numbers
are pinned below and ours must equal them to 1e-6.
"""

from __future__ import annotations

import math

import pytest

from rationalize.data.results import DocRationale, Result, ThresholdedScores
from tests.conftest import shared_path

OFFICIAL = {  # flattened official score file; supports and weighted averages left out for brevity
    'classification_scores.accuracy': 0.6633165829145728,
    'classification_scores.aopc_thresholds[0]': 0.01,
    'classification_scores.aopc_thresholds[1]': 0.05,
    'classification_scores.aopc_thresholds[2]': 0.1,
    'classification_scores.aopc_thresholds[3]': 0.2,
    'classification_scores.aopc_thresholds[4]': 0.5,
    'classification_scores.comprehensiveness': 0.14924623115577887,
    'classification_scores.comprehensiveness_aopc': 0.06417587939698492,
    'classification_scores.comprehensiveness_aopc_points[0]': 0.003731155778894448,
    'classification_scores.comprehensiveness_aopc_points[1]': 0.01865577889447239,
    'classification_scores.comprehensiveness_aopc_points[2]': 0.03731155778894479,
    'classification_scores.comprehensiveness_aopc_points[3]': 0.0746231155778895,
    'classification_scores.comprehensiveness_aopc_points[4]': 0.1865577889447236,
    'classification_scores.comprehensiveness_entropy': -0.09221879356865889,
    'classification_scores.comprehensiveness_kl': 0.0956864498561263,
    'classification_scores.prf.NEG.f1-score': 0.6633165829145728,
    'classification_scores.prf.NEG.precision': 0.6666666666666666,
    'classification_scores.prf.NEG.recall': 0.66,
    'classification_scores.prf.POS.f1-score': 0.6633165829145728,
    'classification_scores.prf.POS.precision': 0.66,
    'classification_scores.prf.POS.recall': 0.6666666666666666,
    'classification_scores.prf.accuracy': 0.6633165829145728,
    'classification_scores.prf.macro avg.f1-score': 0.6633165829145728,
    'classification_scores.prf.macro avg.precision': 0.6633333333333333,
    'classification_scores.prf.macro avg.recall': 0.6633333333333333,
    'classification_scores.sufficiency': 0.1484924623115578,
    'classification_scores.sufficiency_aopc': 0.13054070351758795,
    'classification_scores.sufficiency_aopc_points[0]': 0.19501507537688434,
    'classification_scores.sufficiency_aopc_points[1]': 0.1790954773869346,
    'classification_scores.sufficiency_aopc_points[2]': 0.15919597989949727,
    'classification_scores.sufficiency_aopc_points[3]': 0.11939698492462296,
    'classification_scores.sufficiency_aopc_points[4]': 0.0,
    'classification_scores.sufficiency_entropy': -0.0987962823375186,
    'classification_scores.sufficiency_kl': 0.08954148781661501,
    'iou_scores[0].macro.f1': 0.8106993710624596,
    'iou_scores[0].macro.p': 0.9842491774586459,
    'iou_scores[0].macro.r': 0.689178519122378,
    'iou_scores[0].micro.f1': 0.802405498281787,
    'iou_scores[0].micro.p': 0.9831578947368421,
    'iou_scores[0].micro.r': 0.6777939042089985,
    'iou_scores[0].threshold': 0.5,
    'rationale_prf.instance_macro.f1': 0.4107840576841762,
    'rationale_prf.instance_macro.p': 0.5006779884776679,
    'rationale_prf.instance_macro.r': 0.3495619293754401,
    'rationale_prf.instance_micro.f1': 0.40893470790378006,
    'rationale_prf.instance_micro.p': 0.5010526315789474,
    'rationale_prf.instance_micro.r': 0.3454281567489115,
    'sentence_soft_metrics.auprc': 0.5,
    'sentence_soft_metrics.average_precision': float("nan"),
    'sentence_soft_metrics.roc_auc_score': float("nan"),
    'token_prf.instance_macro.f1': 0.7956061344461429,
    'token_prf.instance_macro.p': 0.9698003403179221,
    'token_prf.instance_macro.r': 0.6878090712207137,
    'token_prf.instance_micro.f1': 0.8083495645143508,
    'token_prf.instance_micro.p': 0.9789052069425901,
    'token_prf.instance_micro.r': 0.6884076114171257,
    'token_soft_metrics.auprc': 0.8689870900884121,
    'token_soft_metrics.average_precision': 0.8200103073398102,
    'token_soft_metrics.roc_auc_score': 0.9197599905444921,
}


def movies_results(ds):
    results = []
    for i, ex in enumerate(ds["test"]):
        doc = ds.doc(ex.docids[0])
        n = len(doc)
        gold = sorted({(ev.start_token, ev.end_token) for ev in ex.evidences})
        hard, last = [], 0
        for j, (s, e) in enumerate(gold):
            s, e = min(s + j % 2, n), min(e + j % 2, n)
            if j % 3 == 2 or s < last or s >= e:
                continue
            hard.append((s, e))
            last = e
        mask = ex.gold_token_mask(doc)
        soft = [(1.0 if m else 0.0) + ((t * 7 + i) % 5) / 3 for t, m in enumerate(mask)]
        sents = [((k * 3 + i) % 4) / 4 for k in range(len(doc.sentences))]
        wrong = i % 3 == 0
        label = ("POS" if ex.label == "NEG" else "NEG") if wrong else ex.label
        p = 0.55 + (i % 9) / 20
        other = "NEG" if label == "POS" else "POS"
        dist = lambda q, a=label, b=other: {a: q, b: 1 - q}
        bins = [ThresholdedScores(t, dist(p - t * ((i % 4) / 4)), dist(p - (0.5 - t) * ((i % 5) / 5)))
                for t in (0.5, 0.2, 0.1, 0.05, 0.01)]
        results.append(Result(ex.id, [DocRationale(doc.docid, hard, soft, sents)], label, dist(p),
                              dist(p - 0.1 * (i % 4)), dist(p - 0.05 * (i % 7)), bins))
    return results


def flatten(d, prefix=""):
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = d
    return out


@pytest.mark.realdata
def test_movies_matches_official_scorer():
    from rationalize.data.eraser import load_eraser
    from rationalize.metrics import evaluate

    ds = load_eraser(shared_path("movies"), splits=["test"])
    ours = flatten(evaluate(ds, "test", movies_results(ds)))
    assert set(OFFICIAL) <= set(ours)
    for key, value in OFFICIAL.items():
        if math.isnan(value):
            assert ours[key] != ours[key], key
        else:
            assert ours[key] == pytest.approx(value, abs=1e-6), key

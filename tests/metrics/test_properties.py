"""Property tests on random valid results files: ranges and a brute-force recount."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rationalize.data.results import DocRationale, Result
from rationalize.data.schema import Dataset, Document, Evidence, Example
from rationalize.metrics import evaluate


@st.composite
def dataset_and_results(draw):
    n_ex = draw(st.integers(1, 5))
    docs, examples, results = {}, [], []
    for i in range(n_ex):
        n = draw(st.integers(1, 15))
        doc = Document.from_sentences(f"d{i}", [[f"w{t}" for t in range(n)]])
        docs[doc.docid] = doc
        groups = []
        for _ in range(draw(st.integers(0, 2))):
            group = []
            for _ in range(draw(st.integers(1, 3))):
                s = draw(st.integers(0, n - 1))
                e = draw(st.integers(s + 1, n))
                group.append(Evidence(doc.docid, s, e, 0, 1))
            groups.append(group)
        label = draw(st.sampled_from(["NEG", "POS"]))
        examples.append(Example(f"a{i}", [doc.docid], label, evidence_groups=groups))
        if draw(st.booleans()) and i > 0:
            continue  # results cover part of the split (never the first, which decides what is scored)
        cuts = sorted(draw(st.lists(st.integers(0, n), max_size=6)))
        hard = [(cuts[j], cuts[j + 1]) for j in range(0, len(cuts) - 1, 2) if cuts[j] < cuts[j + 1]]
        soft = draw(st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0]), min_size=n, max_size=n))
        p = draw(st.floats(0.01, 0.99))
        results.append(Result(f"a{i}", [DocRationale(doc.docid, hard, soft)], draw(st.sampled_from(["NEG", "POS"])),
                              {"NEG": 1 - p, "POS": p}))
    return Dataset("rand", {"test": examples}, docs, ["NEG", "POS"]), results


def brute_force_token_micro_f1(ds, results, missing_as_empty=False):
    """Token micro F1 by set counting: over the covered annotations, or every one with ``missing_as_empty``."""
    gold, pred = set(), set()
    covered = {r.annotation_id for r in results}
    for ex in ds["test"]:
        if not missing_as_empty and ex.id not in covered:
            continue
        for ev in ex.evidences:
            for t in range(ev.start_token, ev.end_token):
                gold.add((ex.id, ev.docid, t))
    for r in results:
        for rat in r.rationales:
            for s, e in rat.hard:
                for t in range(s, e):
                    pred.add((r.annotation_id, rat.docid, t))
    tp = len(gold & pred)
    p = tp / len(pred) if pred else 0
    rec = tp / len(gold) if gold else 0
    return 0 if p == 0 or rec == 0 else 2 * p * rec / (p + rec)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dataset_and_results())
def test_metrics_in_range_and_token_f1_recount(data):
    ds, results = data
    s = evaluate(ds, "test", results, detect="any_line")
    if "token_prf" in s:
        assert abs(s["token_prf"]["instance_micro"]["f1"] - brute_force_token_micro_f1(ds, results)) < 1e-12
        empty = evaluate(ds, "test", results, detect="any_line", missing_as_empty=True)["token_prf"]
        assert abs(empty["instance_micro"]["f1"] - brute_force_token_micro_f1(ds, results, True)) < 1e-12
        for key in ("token_prf", "rationale_prf"):
            for avg in s[key].values():
                assert all(0 <= v <= 1 for v in avg.values())
        for row in s["iou_scores"]:
            assert 0 <= row["micro"]["p"] <= 1 and 0 <= row["macro"]["p"] <= 1
            assert row["micro"]["r"] >= 0  # may exceed 1 without one-to-one matching (official)
        matched = evaluate(ds, "test", results, detect="any_line", iou_matching="one_to_one")["iou_scores"]
        for row in matched:
            assert all(0 <= v <= 1 for avg in ("micro", "macro") for v in row[avg].values())
    soft = s["token_soft_metrics"]
    assert 0 <= soft["auprc"] <= 1
    for v in (soft["average_precision"], soft["roc_auc_score"]):
        assert math.isnan(v) or 0 <= v <= 1  # NaN when every key is single-class
    c = s["classification_scores"]
    assert 0 <= c["accuracy"] <= 1 and 0 <= c["prf"]["macro avg"]["f1-score"] <= 1

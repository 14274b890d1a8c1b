"""The faithfulness engine: exact perturbations, batching under a budget, masking, queries, resume."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rationalize.data.results import DocRationale, Result, read_results
from rationalize.data.schema import Dataset, Document, Evidence, Example
from rationalize.engine import FaithfulnessEngine, LocalExecutor
from rationalize.engine.faithfulness import pack
from rationalize.errors import DataError
from rationalize.metrics import evaluate
from rationalize.models.base import MASK
from rationalize.rationalizers.discretize import k_tokens, top_k
from tests.engine.conftest import LexiconClassifier

sig = lambda z: 1 / (1 + math.exp(-z))


def hand_dataset(query: str | None = None) -> Dataset:
    doc = Document.from_sentences("d", [["excellent", "x", "awful", "superb", "y"]])
    ex = Example("a", ["d"], "POS", query=query, evidence_groups=[[Evidence("d", 0, 1)]])
    return Dataset("hand", {"test": [ex]}, {"d": doc}, ["NEG", "POS"])


def hand_result() -> Result:
    # hard rationale: "excellent"; soft: "superb" > "excellent" > the rest
    return Result("a", [DocRationale("d", [(0, 1)], soft=[0.5, 0.1, 0.0, 0.9, 0.2])])


def test_perturbed_probabilities_by_hand(lexicon):
    (r,) = FaithfulnessEngine(lexicon, progress=False).run(hand_dataset(), "test", [hand_result()],
                                                           aopc_thresholds=(0.2, 0.4))
    # full: 2 POS - 1 NEG -> sigmoid(1), computed once because the line had no prediction
    assert r.classification == "POS" and r.classification_scores["POS"] == pytest.approx(sig(1))
    assert r.comprehensiveness_classification_scores["POS"] == pytest.approx(sig(0))  # without "excellent"
    assert r.sufficiency_classification_scores["POS"] == pytest.approx(sig(1))  # only "excellent"
    t02, t04 = r.thresholded_scores
    # 20 % of 5 tokens = 1: "superb"; 40 % = 2: "superb", "excellent"
    assert (t02.threshold, t04.threshold) == (0.2, 0.4)
    assert t02.comprehensiveness_classification_scores["POS"] == pytest.approx(sig(0))
    assert t02.sufficiency_classification_scores["POS"] == pytest.approx(sig(1))
    assert t04.comprehensiveness_classification_scores["POS"] == pytest.approx(sig(-1))
    assert t04.sufficiency_classification_scores["POS"] == pytest.approx(sig(2))
    s = evaluate(hand_dataset(), "test", [r], aopc_thresholds=(0.2, 0.4))["classification_scores"]
    assert s["comprehensiveness"] == pytest.approx(sig(1) - sig(0))
    assert s["sufficiency"] == pytest.approx(0.0)


def test_mask_mode_keeps_length_and_query_is_never_perturbed(lexicon):
    ds = hand_dataset(query="flip please")
    FaithfulnessEngine(lexicon, mode="mask", progress=False).run(ds, "test", [hand_result()], aopc_thresholds=(0.2,))
    seen = [inp for call in lexicon.calls for inp in call]
    assert all(inp.query == ["flip", "please"] for inp in seen)
    assert all(len(inp.tokens) == 5 for inp in seen)
    assert ["excellent", MASK, MASK, MASK, MASK] in [inp.tokens for inp in seen]  # sufficiency
    assert [MASK, "x", "awful", "superb", "y"] in [inp.tokens for inp in seen]  # comprehensiveness


def test_top_k_rounding_and_ties():
    # the engine's bins are fractions: ceil(t * n), float noise ignored, 1.0 is the whole document
    assert k_tokens(0.1, 30, fraction=True) == 3 and k_tokens(0.01, 5, fraction=True) == 1
    assert k_tokens(0.5, 5, fraction=True) == 3
    assert k_tokens(0.0, 5, fraction=True) == 0 and k_tokens(1.0, 5, fraction=True) == 5
    assert top_k([0.5, 0.9, 0.5, 0.5], 0.75, fraction=True).tolist() == [True, True, True, False]  # ties: earlier first


def test_pack_respects_the_budget_and_sorts_by_length():
    lengths = [5, 100, 30, 31, 7, 200, 1]
    batches = pack(lengths, token_budget=100)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 100
        assert [lengths[i] for i in b] == sorted((lengths[i] for i in b), reverse=True)
    assert batches[0] == [5]  # the 200-token input alone


def test_batches_across_examples_and_bins_without_recomputing_the_full_prediction(tiny_synth, lexicon):
    ds = tiny_synth
    results = []
    for ex in ds["test"]:
        doc = ds.docs_of(ex)[0]
        mask = ex.gold_token_mask(doc)
        hard = [(ev.start_token, ev.end_token) for ev in ex.evidences]
        results.append(Result(ex.id, [DocRationale(doc.docid, sorted(set(hard)), soft=[float(m) for m in mask])],
                              ex.label, {"NEG": 0.5, "POS": 0.5} if ex.label else None))
    results = [r if r.classification_scores else Result(r.annotation_id, r.rationales) for r in results]
    bins = (0.01, 0.05, 0.1, 0.2, 0.5)
    engine = FaithfulnessEngine(lexicon, token_budget=2000, progress=False)
    out = engine.run(ds, "test", results, aopc_thresholds=bins)
    n = len(results)
    assert engine.n_forward_inputs_ == n * (2 + 2 * len(bins))  # no unperturbed input recomputed
    assert len(lexicon.calls) == engine.n_batches_ < n  # several examples share each batch
    for call in lexicon.calls:
        lengths = [len(i.tokens) for i in call]
        assert lengths == sorted(lengths, reverse=True)
        assert len(call) == 1 or len(call) * max(lengths) <= 2000
    # the planted rationale is what the lexicon model reads: removing it leaves no signal
    for r in out:
        assert r.comprehensiveness_classification_scores["POS"] == pytest.approx(0.5)
        assert [t.threshold for t in r.thresholded_scores] == list(bins)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["x", "y", "excellent", "awful", "z"]), min_size=1, max_size=20), st.data())
def test_perturbing_an_ignored_rationale_leaves_comprehensiveness_at_zero(tokens, data):
    filler = [i for i, t in enumerate(tokens) if t in ("x", "y", "z")]
    chosen = sorted(data.draw(st.sets(st.sampled_from(filler), max_size=len(filler))) if filler else [])
    hard = [(i, i + 1) for i in chosen]
    doc = Document.from_sentences("d", [tokens])
    ds = Dataset("h", {"test": [Example("a", ["d"], "POS")]}, {"d": doc}, ["NEG", "POS"])
    for mode in ("delete", "mask"):
        (r,) = FaithfulnessEngine(LexiconClassifier(), mode=mode, progress=False).run(
            ds, "test", [Result("a", [DocRationale("d", hard)])], aopc_thresholds=())
        y = r.classification
        assert r.classification_scores[y] - r.comprehensiveness_classification_scores[y] == 0


def test_soft_only_results_use_the_top_k_fraction(lexicon):
    res = Result("a", [DocRationale("d", [], soft=[0.5, 0.1, 0.0, 0.9, 0.2])])
    (r,) = FaithfulnessEngine(lexicon, k_fraction=0.4, progress=False).run(hand_dataset(), "test", [res],
                                                                         aopc_thresholds=())
    # top 40 % = "superb", "excellent" form the rationale
    assert r.comprehensiveness_classification_scores["POS"] == pytest.approx(sig(-1))
    assert r.thresholded_scores is None


def test_a_killed_run_resumes_where_it_stopped(tiny_synth, tmp_path):
    ds = tiny_synth
    results = [Result(ex.id, [DocRationale(ex.docids[0], [(ev.start_token, ev.end_token) for ev in ex.evidences[:1]])])
               for ex in ds["test"]]
    out = tmp_path / "faith.jsonl"
    dying = LexiconClassifier(fail_after=2)
    with pytest.raises(RuntimeError, match="killed"):
        FaithfulnessEngine(dying, chunk_size=4, token_budget=100_000, progress=False).run(
            ds, "test", results, aopc_thresholds=(), out_path=out)
    written = read_results(out)
    assert 0 < len(written) < len(results)
    with out.open("a") as fh:
        fh.write('{"annotation_id": "half a li')  # a partial last line from the kill
    second = LexiconClassifier()
    resumed = FaithfulnessEngine(second, chunk_size=4, progress=False).run(
        ds, "test", results, aopc_thresholds=(), out_path=out)
    seen = sum(len(c) for c in second.calls)
    assert seen == 3 * (len(results) - len(written))  # full + comp + suff for the remaining ones only
    fresh = FaithfulnessEngine(LexiconClassifier(), progress=False).run(ds, "test", results, aopc_thresholds=())
    assert [r.to_record() for r in resumed] == [r.to_record() for r in fresh]
    assert [r.annotation_id for r in read_results(out)] == [r.annotation_id for r in results]


def test_custom_executor_is_used(lexicon):
    class Counting(LocalExecutor):
        n = 0

        def map(self, fn, items):
            for out in super().map(fn, items):
                Counting.n += 1
                yield out

    FaithfulnessEngine(lexicon, executor=Counting(), progress=False).run(
        hand_dataset(), "test", [hand_result()], aopc_thresholds=(0.2,))
    assert Counting.n == len(lexicon.calls) > 0


def test_unknown_annotation_is_a_clear_error(lexicon):
    with pytest.raises(DataError, match=r"annotation_id 1 annotations are not in split 'test' \(first: 'zz'\)") as err:
        FaithfulnessEngine(lexicon, progress=False).run(hand_dataset(), "test", [Result("zz", [])])
    assert err.value.field == "annotation_id" and lexicon.calls == []  # reported before any prediction


def test_perturbed_inputs_lists_what_run_predicts(lexicon):
    engine = FaithfulnessEngine(lexicon, progress=False)
    items = engine.perturbed_inputs(hand_dataset(), "test", [hand_result()], aopc_thresholds=(0.2,))
    assert [slot for _, slot, _ in items] == [("full",), ("comp",), ("suff",), ("comp", 0.2), ("suff", 0.2)]
    assert items[3][2].tokens == ["excellent", "x", "awful", "y"]  # "superb" (top 20 %) deleted

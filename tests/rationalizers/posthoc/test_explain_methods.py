"""Several methods in one pass (``explain --method a,b,c``): the results equal separate runs', each example
is predicted and tokenised once for all methods, and the faithfulness pass reuses both."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from rationalize.cli import app
from rationalize.data import write_eraser
from rationalize.data.results import read_results
from rationalize.engine import FaithfulnessEngine
from rationalize.rationalizers.posthoc import explain_dataset, explain_methods, get_explainer
from tests.models._tiny import tiny_bert

METHODS = {"occlusion": {}, "saliency": {}, "lime": {"n_samples": 12}, "random": {}}


class Counter:
    """Counts the model's unperturbed predictions and its tokenizer calls."""

    def __init__(self, model, monkeypatch):
        self.predict = 0
        self.tokenize = 0
        real_predict, real_pieces = model.predict_proba, model.pieces

        def predict(inputs, batch_size=None):
            self.predict += 1
            return real_predict(inputs, batch_size)

        def pieces(tokens):
            self.tokenize += 1
            return real_pieces(tokens)

        monkeypatch.setattr(model, "predict_proba", predict)
        monkeypatch.setattr(model, "pieces", pieces)


def records(results):
    return [r.to_record() for r in results]


def test_shared_run_equals_separate_runs_with_one_prediction_and_tokenisation(planted, monkeypatch):
    model = tiny_bert(window_size=24, overlap=6)
    explainers = {m: get_explainer(m, model, batch_size=4, **kw) for m, kw in METHODS.items()}
    n = 6
    count = Counter(model, monkeypatch)
    separate = {m: explain_dataset(e, planted, "test", k=3, batch=2, limit=n, progress=False)
                for m, e in explainers.items()}
    sep_predict, sep_tokenize = count.predict, count.tokenize
    count.predict = count.tokenize = 0
    inputs: dict = {}
    shared = explain_methods(explainers, planted, "test", k=3, batch=2, limit=n, progress=False, inputs=inputs)
    for m in METHODS:
        assert records(shared[m]) == records(separate[m]), m
    batches = -(-n // 2)
    assert count.predict == batches and sep_predict == len(METHODS) * batches
    # each example tokenised once (the planted data has no query), against once per method and pass
    assert count.tokenize == n and sep_tokenize >= len(METHODS) * n
    assert sorted(inputs) == sorted(ex.id for ex in planted["test"][:n])

    # faithfulness: the explanations' predictions and the cached tokenisations are reused
    count.predict = count.tokenize = 0
    engine = FaithfulnessEngine(model, progress=False)
    filled = {m: engine.run(planted, "test", shared[m], aopc_thresholds=(0.1, 0.5), sources=inputs) for m in METHODS}
    assert engine.n_forward_inputs_ == len(METHODS) * n * (2 + 2 * 2)  # no unperturbed input among them
    assert count.tokenize == 0
    alone = FaithfulnessEngine(model, progress=False).run(planted, "test", separate["lime"], aopc_thresholds=(0.1, 0.5))
    assert records(filled["lime"]) == records(alone)


def test_resuming_writes_only_what_is_missing(planted, tmp_path):
    model = tiny_bert(window_size=24, overlap=6)
    explainers = {m: get_explainer(m, model, batch_size=4) for m in ("occlusion", "random")}
    paths = {m: tmp_path / f"{m}.jsonl" for m in explainers}
    explain_dataset(explainers["random"], planted, "test", k=3, batch=2, limit=2, out_path=paths["random"],
                    progress=False)
    first = paths["random"].read_text()
    out = explain_methods(explainers, planted, "test", k=3, batch=2, limit=4, out_paths=paths, progress=False)
    assert paths["random"].read_text().startswith(first)
    for m, p in paths.items():
        assert [r.annotation_id for r in read_results(p)] == [ex.id for ex in planted["test"][:4]]
        assert records(read_results(p)) == records(out[m])


def test_different_models_are_refused(planted):
    a, b = tiny_bert(window_size=24), tiny_bert(window_size=24)
    with pytest.raises(ValueError, match="same model"):
        explain_methods({"x": get_explainer("random", a), "y": get_explainer("random", b)}, planted, "test")


@pytest.mark.slow
def test_cli_several_methods_with_faithfulness_equal_single_method_runs(planted, tmp_path):
    model = tiny_bert(window_size=24, overlap=6)
    folder = model.save(tmp_path / "model")
    data = write_eraser(planted, tmp_path / "data")
    base = ["explain", "--model", str(folder), "--data", str(data), "--split", "test", "--limit", "4", "--k", "3",
            "--faithfulness", "--no-progress"]
    r = CliRunner().invoke(app, [*base, "--method", "occlusion,random", "--out", str(tmp_path / "all.jsonl")])
    assert r.exit_code == 0, r.output
    for m in ("occlusion", "random"):
        r = CliRunner().invoke(app, [*base, "--method", m, "--out", str(tmp_path / f"{m}.jsonl")])
        assert r.exit_code == 0, r.output
        shared, alone = read_results(tmp_path / f"all.{m}.jsonl"), read_results(tmp_path / f"{m}.jsonl")
        assert len(shared) == 4 and all(x.comprehensiveness_classification_scores for x in shared)
        assert records(shared) == records(alone)
    assert not list(tmp_path.glob("*.rationales.jsonl"))
    r = CliRunner().invoke(app, [*base, "--method", "random,random", "--out", str(tmp_path / "x.jsonl")])
    assert r.exit_code != 0 and "each method once" in r.output
    assert np.isfinite(shared[0].comprehensiveness_classification_scores["POS"])

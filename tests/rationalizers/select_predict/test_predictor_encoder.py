"""A predictor encoder other than the generator's (``predictor_encoder`` / ``predictor_hidden``): the networks
are built as asked, the default builds exactly what it built before, a saved model reloads with its
architecture, and combinations that cannot share one vocabulary are one clear error."""

from __future__ import annotations

import pytest
import torch
from typer.testing import CliRunner

from rationalize.cli import app
from rationalize.models.base import load_model
from rationalize.models.encoders import BiGRUEncoder, CNNEncoder
from rationalize.rationalizers.select_predict import make_rationalizer
from tests.rationalizers.select_predict.conftest import FAST, quick_config

DATA = "synthetic:seed=1,train=60,val=20,test=20"


@pytest.mark.parametrize("method", ["a2r", "gumbel", "hardkuma", "sentence-a2r"])
def test_generator_and_predictor_get_their_own_encoders(tiny_synth, method):
    kw = {**FAST, "encoder": "bigru", "hidden": 8, "predictor_encoder": "cnn", "predictor_hidden": 12}
    if method == "gumbel":
        kw["complement_weight"] = 0.3  # the complement network is a predictor too
    model = make_rationalizer(method, **kw)
    model.fit(tiny_synth, config=quick_config(epochs=1, max_steps_per_epoch=1))
    assert isinstance(model.generator.enc, BiGRUEncoder) and model.generator.out_dim == 16
    assert isinstance(model.predictor.enc, CNNEncoder) and model.predictor.out_dim == 24  # 2 widths x 12
    assert model.predictor_head.in_features == 24
    if method == "gumbel":
        assert isinstance(model.complement.enc, CNNEncoder) and model.complement_head.in_features == 24
    assert model.get_params()["predictor_encoder"] == "cnn" and model.get_params()["predictor_hidden"] == 12


def test_the_default_builds_the_same_networks_as_naming_the_generator_encoder(tiny_synth):
    """``predictor_encoder=None`` must not change the seeded initialisation that earlier results were made with."""
    a = make_rationalizer("a2r", **FAST)
    b = make_rationalizer("a2r", **FAST, predictor_encoder=FAST["encoder"], predictor_hidden=FAST["hidden"])
    for m in (a, b):
        m.fit(tiny_synth, config=quick_config(epochs=1, max_steps_per_epoch=2))
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        torch.testing.assert_close(sa[k], sb[k], rtol=0, atol=0)


def test_a_mixed_model_reloads_with_its_architecture_and_predictions(tiny_synth, tmp_path):
    model = make_rationalizer("a2r", **{**FAST, "encoder": "bigru", "hidden": 8}, predictor_encoder="cnn",
                              predictor_hidden=12)
    model.fit(tiny_synth, config=quick_config(epochs=1, max_steps_per_epoch=2))
    model.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    assert isinstance(again.predictor.enc, CNNEncoder) and isinstance(again.generator.enc, BiGRUEncoder)
    want = model.predict_results(tiny_synth, "test", rule="top-k", k=0.2)
    got = again.predict_results(tiny_synth, "test", rule="top-k", k=0.2)
    assert [r.classification for r in got] == [r.classification for r in want]
    assert [r.rationales[0].hard for r in got] == [r.rationales[0].hard for r in want]


def test_encoders_that_cannot_share_a_vocabulary_are_refused():
    with pytest.raises(ValueError, match="word-vector encoders"):
        make_rationalizer("a2r", encoder="cnn", predictor_encoder="minilm")
    with pytest.raises(ValueError, match="word-vector encoders"):
        make_rationalizer("a2r", encoder="minilm", predictor_encoder="bigru")
    with pytest.raises(ValueError, match="predictor_hidden"):
        make_rationalizer("a2r", encoder="cnn", predictor_hidden=0)
    with pytest.raises(ValueError, match="FRESH"):
        make_rationalizer("fresh", encoder="cnn", predictor_encoder="bigru")


def test_cli_trains_a_mixed_model_and_refuses_a_transformer_predictor_in_one_line(tmp_path):
    runner = CliRunner()
    common = ["train", "rationalizer", "--data", DATA, "--method", "a2r", "--encoder", "bigru", "--embeddings",
              "none", "--hidden", "8", "--epochs", "1", "--max-steps-per-epoch", "1", "--batch-size", "8",
              "--no-progress"]
    res = runner.invoke(app, [*common, "--predictor-encoder", "cnn", "--predictor-hidden", "12",
                              "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert isinstance(load_model(tmp_path / "m").predictor.enc, CNNEncoder)
    res = runner.invoke(app, [*common, "--predictor-encoder", "minilm", "--out", str(tmp_path / "bad")])
    assert res.exit_code != 0
    assert "--predictor-encoder" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "bad").exists()

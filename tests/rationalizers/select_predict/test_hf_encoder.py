"""The Hugging Face encoder path (MiniLM in practice) with a tiny BERT built in the test: word-piece
alignment, masking of unselected pieces, noise injection on pieces, save/load."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rationalize.engine.training import TrainConfig
from rationalize.models.base import ClassifierInput, load_model
from rationalize.rationalizers.select_predict import make_rationalizer


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    try:
        from rationalize.models.hub import resolve

        tok = transformers.AutoTokenizer.from_pretrained(resolve("minilm")["path"])
    except Exception as exc:  # the offline MiniLM package carries the tokenizer
        pytest.skip(f"MiniLM tokenizer not available offline: {exc}")
    folder = tmp_path_factory.mktemp("tiny-bert")
    cfg = transformers.BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                  intermediate_size=37, max_position_embeddings=512)
    torch.manual_seed(0)
    transformers.BertModel(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    return str(folder)


def test_hf_encoder_trains_predicts_and_reloads(tiny_bert, tiny_synth, tmp_path):
    model = make_rationalizer("gumbel", encoder=tiny_bert, noise_injection=0.3)
    model.fit(tiny_synth, config=TrainConfig(epochs=1, batch_size=8, lr=1e-3, monitor="objective", mode="min",
                                             progress=False, max_steps_per_epoch=2))
    results = model.predict_results(tiny_synth, "test")
    doc = tiny_synth.doc(tiny_synth["test"][0].docids[0])
    assert len(results[0].rationales[0].soft) == len(doc)
    # pieces of unselected words are invisible to the predictor
    model.eval()
    batch = model.collate(model.items(tiny_synth, "test")[:4])
    with torch.no_grad():
        z = model.select(batch).z
        z = torch.where(batch["selectable"], (torch.arange(z.shape[1]) % 3 == 0).float().expand_as(z), z)
        hidden = (model.predictor.units_of(batch, z, fill=1.0) == 0) & batch["mask"]
        changed = batch["ids"].clone()
        changed[hidden] = 2000
        assert hidden.any()
        torch.testing.assert_close(model.predict_logits(batch, z), model.predict_logits(batch, z, changed), rtol=0, atol=1e-5)
    model.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    inputs = [ClassifierInput(doc.tokens)]
    np.testing.assert_allclose(again.predict_proba(inputs), model.predict_proba(inputs), atol=1e-5)


def test_delete_mode_reads_the_rationale_as_a_rewritten_text(tiny_bert):
    """Deleting words equals feeding the text without them (fresh positions), and with ``long_inputs``
    a rationale far beyond the encoder's piece limit still reaches the predictor."""
    from rationalize.rationalizers.select_predict.backbones import HFBackbone

    torch.manual_seed(0)
    bb = HFBackbone(tiny_bert, max_pieces=40, long_inputs=True).eval()
    words = [f"w{i % 7}" if i % 5 else "great" for i in range(120)]  # ~240 pieces, far over 40
    keep = np.zeros(len(words), dtype=bool)
    keep[[3, 50, 51, 110, 119]] = True
    batch = bb.collate([([], words)])
    assert batch["ids"].shape[1] > 40  # nothing cut at collate time
    z = torch.as_tensor(keep, dtype=torch.float32).unsqueeze(0)
    short = bb.collate([([], [w for w, k in zip(words, keep) if k])])
    with torch.no_grad():
        got = bb.pooled(batch, z, mode="delete")
        want = bb.pooled(short, torch.ones(1, int(keep.sum())), mode="mask")
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="max_pieces"):
        bb.pooled(batch, z, mode="mask")


def test_fresh_reuses_a_saved_support_classifier(tiny_synth, tmp_path):
    """``support_model`` skips step (1): the saved classifier's explanations drive the extraction."""
    from rationalize.models.training import train_classifier
    from rationalize.rationalizers.posthoc import get_explainer

    support, _ = train_classifier(tiny_synth, "cnn", tmp_path / "support", epochs=2, lr=5e-3, batch_size=16, seed=0,
                                  progress=False, vectors=None, hidden=16)
    model = make_rationalizer("fresh", encoder="cnn", embeddings=None, hidden=16, support_model=str(tmp_path / "support"),
                              extractor="saliency", sparsity=0.2)
    model.fit(tiny_synth, config=TrainConfig(epochs=1, batch_size=8, lr=1e-3, monitor="objective", mode="min",
                                             progress=False, max_steps_per_epoch=2), out_dir=tmp_path / "fresh")
    assert not (tmp_path / "fresh" / "support").exists()  # nothing trained for step (1)
    doc = tiny_synth.doc(tiny_synth["test"][0].docids[0])
    expected = get_explainer("saliency", support).attribute([ClassifierInput(doc.tokens)])[0]
    got = model.predict_results(tiny_synth, "test")[0].rationales[0]
    np.testing.assert_allclose(got.soft, expected, atol=1e-5)
    k = round(0.2 * len(doc))
    assert {t for s, e in got.hard for t in range(s, e)} == set(np.argsort(-np.asarray(expected), kind="stable")[:k].tolist())


def test_cli_warm_starts_from_an_encoder_folder(tiny_bert, tmp_path):
    """``--encoder DIR`` builds generator and predictor from the weights in DIR (e.g. a fine-tuned
    classifier's ``hf/`` folder): before any step they equal the folder's encoder."""
    from typer.testing import CliRunner

    from rationalize.cli import app

    transformers = pytest.importorskip("transformers")
    out = tmp_path / "m"
    res = CliRunner().invoke(app, ["train", "rationalizer", "--data", "synthetic:seed=1,train=16,val=8,test=8",
                                   "--method", "gumbel", "--encoder", tiny_bert, "--epochs", "1",
                                   "--max-steps-per-epoch", "1", "--batch-size", "8", "--lr", "0", "--no-progress",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    model = load_model(out)
    reference = transformers.AutoModel.from_pretrained(tiny_bert)
    for name, value in reference.state_dict().items():
        torch.testing.assert_close(model.predictor.model.state_dict()[name], value)

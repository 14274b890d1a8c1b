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

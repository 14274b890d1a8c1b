"""Small synthetic data and quick training settings shared by the select-then-predict tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rationalize.data import make_synthetic
from rationalize.engine.training import TrainConfig

#: tiny CNN models train in seconds on 1-2 cores
FAST = dict(encoder="cnn", embeddings=None, hidden=32, freeze_embeddings=False, warmup_steps=30, seed=0)
METHOD_KW = {
    "gumbel": dict(complement_weight=1.0),
    "lei2016": dict(complement_weight=0.3),
    # the reference multiplier (λ from 1e-5, η = 0.05) needs ~300 steps to reach its range; a test has 150
    "hardkuma": dict(complement_weight=1.0, lagrange_lr=0.5, sparsity=0.1),
    "a2r": dict(),
    "fresh": dict(extractor="input-x-gradient", rationale_type="threshold", trained_extractor=True),
    "refer": dict(),
    # one decision per sentence; their recovery check is in test_sentences.py (sentence AUPRC)
    "sentence-a2r": dict(),
    "sentence-gumbel": dict(complement_weight=1.0),
}


def quick_config(epochs: int = 10, seed: int = 0, **kw) -> TrainConfig:
    return TrainConfig(epochs=epochs, batch_size=16, lr=5e-3, monitor="objective", mode="min", progress=False,
                       patience=20, seed=seed, **kw)


@pytest.fixture(scope="package")
def synth():
    return make_synthetic(seed=0, train=240, val=40, test=40)


def token_prf(dataset, split, results) -> tuple[float, float, float]:
    """Micro token P/R/F1 of hard rationales against the planted evidence (hand computation)."""
    tp = fp = fn = 0
    for ex, res in zip(dataset[split], results):
        doc = dataset.doc(ex.docids[0])
        gold = np.array(ex.gold_token_mask(doc))
        pred = np.zeros(len(doc), dtype=bool)
        for s, e in res.rationale_for(doc.docid).hard:
            pred[s:e] = True
        tp += int((gold & pred).sum())
        fp += int((~gold & pred).sum())
        fn += int((gold & ~pred).sum())
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    return p, r, 2 * p * r / max(1e-12, p + r)


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

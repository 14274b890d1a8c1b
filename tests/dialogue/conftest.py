"""A tiny trained classifier on a synthetic split and one conversation over it (TF-IDF parser: no MiniLM)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def dialogue_data():
    import torch

    from rationalize.data import make_synthetic
    from rationalize.models.training import train_classifier

    torch.manual_seed(0)
    ds = make_synthetic(seed=0, train=120, val=16, test=16)
    first = ds["test"][0]
    ds.doc(first.docids[0]).tokens[0] = "<script>alert(1)</script>"
    clf, _ = train_classifier(ds, "cnn", None, epochs=2, progress=False, vectors=None, hidden=32)
    return ds, clf


@pytest.fixture(scope="session")
def tfidf_parser():
    from rationalize.dialogue.parser import Parser

    return Parser.train(["NEG", "POS"], encoder=None)


@pytest.fixture()
def conversation(dialogue_data, tfidf_parser):
    from rationalize.dialogue import Conversation

    ds, clf = dialogue_data
    return Conversation(ds, clf, "test", encoder=None, parser=tfidf_parser, max_examples=4,
                        compare_methods=("attention", "occlusion"))

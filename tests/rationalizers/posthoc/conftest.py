from __future__ import annotations

import pytest
import torch

from tests.models._tiny import planted_data, tiny_bert, trained_encoder


@pytest.fixture(scope="session")
def planted():
    return planted_data()


@pytest.fixture(scope="session")
def cnn_model(planted):
    torch.set_num_threads(1)
    return trained_encoder(planted, "cnn")


@pytest.fixture(scope="session")
def bert_model():
    return tiny_bert(window_size=24, overlap=6)

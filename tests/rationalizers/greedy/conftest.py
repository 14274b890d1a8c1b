"""Fixtures for the sequential-rationale tests: one tiny Llama trained (with word dropout) on the planted
language, shared by the whole session (about 10 s on one core)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session")
def planted():
    from rationalize.rationalizers.greedy.synthetic import train_planted_lm

    torch.set_num_threads(1)
    model, task = train_planted_lm(seed=0)
    return model, task


@pytest.fixture(scope="session")
def planted_data(planted):
    """Held-out planted sequences that all have an antecedent, with its position."""
    _, task = planted
    seqs, ante = task.sample(40, seed=123, none_rate=0.0)
    return seqs, ante

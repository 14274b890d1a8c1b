"""Session fixtures: the toy explanation task and one tiny GPT-2 trained on it (a few seconds, once)."""

from __future__ import annotations

import pytest

from tests.rationalizers.freetext.tiny import toy_dataset, trained_tiny


@pytest.fixture(scope="session")
def toy():
    return toy_dataset(n_train=160, n_val=40, seed=0)


@pytest.fixture(scope="session")
def toy_template(toy):
    from rationalize.rationalizers.freetext import PromptTemplate, task_for

    return PromptTemplate(task_for(toy), "explain-then-predict", "wt5")


@pytest.fixture(scope="session")
def trained_toy(toy, toy_template, tmp_path_factory):
    """``(generator, history, folder)``: the tiny GPT-2 after ``train_explainer``, saved in ``folder/model``."""
    folder = tmp_path_factory.mktemp("explainer")
    gen, history = trained_tiny(toy, toy_template, epochs=12, lr=3e-3, batch_size=16, out_dir=folder)
    return gen, history, folder

from __future__ import annotations

import json

import torch
from torch import nn

from rationalize.engine.training import TrainConfig, fit


class Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def training_step(self, batch):
        x, y = batch
        logits = self.lin(x)
        return {"loss": nn.functional.cross_entropy(logits, y), "acc": (logits.argmax(1) == y).float().mean()}


def _data(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    return list(zip(x, y))


def collate(items):
    return torch.stack([i[0] for i in items]), torch.stack([i[1] for i in items])


def make_eval(items):
    x, y = collate(items)

    def evaluate(model):
        return {"accuracy": float((model.lin(x).argmax(1) == y).float().mean())}

    return evaluate


def test_fit_learns_and_is_deterministic(tmp_path):
    train, val = _data(200, 0), _data(100, 1)
    cfg = TrainConfig(epochs=5, batch_size=16, lr=0.05, progress=False, seed=3)
    torch.manual_seed(0)
    m1 = Linear()
    h1 = fit(m1, train, collate, make_eval(val), cfg)
    torch.manual_seed(0)
    m2 = Linear()
    fit(m2, train, collate, make_eval(val), cfg)
    assert h1.best_value > 0.9
    assert torch.equal(m1.lin.weight, m2.lin.weight)
    assert {"train_loss", "train_acc", "val_accuracy"} <= set(h1.epochs[0])


def test_resume_after_interruption_matches_uninterrupted_run(tmp_path):
    train, val = _data(200, 0), _data(100, 1)
    full_cfg = TrainConfig(epochs=4, batch_size=16, lr=0.05, progress=False, patience=10)
    torch.manual_seed(0)
    ref = Linear()
    fit(ref, train, collate, make_eval(val), full_cfg, out_dir=tmp_path / "ref")
    # "kill" after 2 epochs, then resume with the full budget
    torch.manual_seed(0)
    part = Linear()
    fit(part, train, collate, make_eval(val), TrainConfig(**{**full_cfg.__dict__, "epochs": 2}), out_dir=tmp_path / "run")
    torch.manual_seed(123)  # a different init must not matter: the checkpoint restores everything
    resumed = Linear()
    hist = fit(resumed, train, collate, make_eval(val), full_cfg, out_dir=tmp_path / "run")
    assert hist.resumed_from == 2
    assert torch.allclose(resumed.lin.weight, ref.lin.weight)
    lines = (tmp_path / "run" / "history.jsonl").read_text().splitlines()
    assert [json.loads(l)["epoch"] for l in lines] == [1, 2, 3, 4]


def test_early_stopping_restores_best(tmp_path):
    train, val = _data(50, 0), _data(50, 1)
    calls = iter([0.5, 0.9, 0.6, 0.6, 0.6, 0.6])
    snapshots = []

    def evaluate(model):
        snapshots.append(model.lin.weight.detach().clone())
        return {"accuracy": next(calls)}

    m = Linear()
    hist = fit(m, train, collate, evaluate, TrainConfig(epochs=6, patience=2, progress=False, lr=0.1))
    assert hist.stopped_early and hist.best_epoch == 2 and len(hist.epochs) == 4
    assert torch.equal(m.lin.weight, snapshots[1])


def test_bound_heap_growth_sets_a_fixed_threshold_on_glibc():
    """In a child process: the setting is process-wide and would slow the rest of the suite."""
    import platform
    import subprocess
    import sys

    code = "from rationalize.engine.training import bound_heap_growth; print(bound_heap_growth())"
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert got in ("True", "False")
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert got == "True"  # mallopt accepted M_MMAP_THRESHOLD

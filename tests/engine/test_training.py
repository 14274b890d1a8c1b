from __future__ import annotations

import json

import pytest
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
    train = _data(50, 0)
    calls = iter([0.5, 0.9, 0.6, 0.6, 0.6, 0.6])
    snapshots = []

    def evaluate(model):
        snapshots.append(model.lin.weight.detach().clone())
        return {"accuracy": next(calls)}

    m = Linear()
    hist = fit(m, train, collate, evaluate, TrainConfig(epochs=6, patience=2, progress=False, lr=0.1))
    assert hist.stopped_early and hist.best_epoch == 2 and len(hist.epochs) == 4
    assert torch.equal(m.lin.weight, snapshots[1])


def test_start_from_epoch_keeps_no_early_model_and_counts_no_early_bad_epochs(tmp_path):
    """Epochs up to ``start_from_epoch`` are never the best, however good their score (the HardKuma reference's
    rule), and do not count toward patience: with patience 2, the early epochs' scores alone would have ended
    the run. The best later epoch is restored."""
    train = _data(50, 0)
    scores = [0.99, 0.2, 0.3, 0.6, 0.5, 0.4, 0.7]  # the best score overall is epoch 1's
    snapshots = []

    def evaluate(model):
        snapshots.append(model.lin.weight.detach().clone())
        return {"accuracy": scores[len(snapshots) - 1]}

    m = Linear()
    cfg = TrainConfig(epochs=7, patience=2, progress=False, lr=0.1, start_from_epoch=3)
    hist = fit(m, train, collate, evaluate, cfg, out_dir=tmp_path / "run")
    assert hist.best_epoch == 4 and hist.best_value == 0.6  # not epoch 1 (0.99), which plain selection keeps
    assert hist.stopped_early and len(hist.epochs) == 6  # 5 and 6 are the two bad epochs after 4
    assert torch.equal(m.lin.weight, snapshots[3])
    snapshots.clear()
    plain = fit(Linear(), train, collate, evaluate, TrainConfig(epochs=7, patience=2, progress=False, lr=0.1))
    assert plain.best_epoch == 1 and len(plain.epochs) == 3


def test_start_from_epoch_still_returns_the_last_model_of_a_short_run():
    """A run no longer than ``start_from_epoch`` keeps its last epoch (never no model at all); negative is refused."""
    train = _data(50, 0)
    scores = iter([0.9, 0.1])
    m = Linear()
    hist = fit(m, train, collate, lambda _: {"accuracy": next(scores)},
               TrainConfig(epochs=2, progress=False, lr=0.1, start_from_epoch=5))
    assert hist.best_epoch == 2
    with pytest.raises(ValueError, match="start_from_epoch"):
        TrainConfig(start_from_epoch=-1)


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


def test_batches_without_bucket_are_the_plain_shuffle():
    import random

    from rationalize.engine.training import batches

    items = list(range(50))
    order = list(range(50))
    random.Random(3).shuffle(order)
    assert [i for b in batches(items, 8, True, random.Random(3)) for i in b] == order


def test_bucketed_batches_hold_similar_lengths_and_every_item_once():
    import random

    from rationalize.engine.training import batches

    rng = random.Random(0)
    items = [("x" * rng.choice([5, 40, 300, 1200]) + str(i)) for i in range(256)]
    plain = batches(items, 16, True, random.Random(1))
    bucketed = batches(items, 16, True, random.Random(1), bucket=4, length=len)
    assert sorted(i for b in bucketed for i in b) == sorted(items)  # a partition of the items
    assert [len(b) for b in bucketed].count(16) == 16
    # pools of 4 batches are sorted, so a batch spans at most one jump between the 4 length levels
    def spread(bs):
        return sum(max(map(len, b)) - min(map(len, b)) for b in bs)

    def padded(bs):
        return sum(len(b) * max(map(len, b)) for b in bs)

    assert spread(bucketed) < spread(plain) / 2
    assert padded(bucketed) < padded(plain)
    assert bucketed == batches(items, 16, True, random.Random(1), bucket=4, length=len)  # seeded
    assert bucketed != batches(items, 16, True, random.Random(2), bucket=4, length=len)


def test_bucket_needs_item_lengths_and_a_non_negative_count():
    with pytest.raises(ValueError, match="bucket"):
        TrainConfig(bucket=-1)
    items = _data(40)
    with pytest.raises(ValueError, match="item_length"):
        fit(Linear(), items, collate, make_eval(items), TrainConfig(epochs=1, bucket=2, progress=False))


def test_fit_with_bucket_uses_the_models_item_length():
    class Sized(Linear):
        def __init__(self):
            super().__init__()
            self.seen: list[int] = []

        def item_length(self, item):
            return int(item[1])  # sort by label: pools give batches of one class mostly

        def training_step(self, batch):
            self.seen.append(int(batch[1].sum()))
            return super().training_step(batch)

    items = _data(128)
    model = Sized()
    fit(model, items, collate, make_eval(items), TrainConfig(epochs=1, batch_size=16, bucket=8, progress=False))
    # one pool of all 8 batches sorted by label: every batch is all 0 or all 1 but the one at the boundary
    assert sum(s not in (0, 16) for s in model.seen) <= 1

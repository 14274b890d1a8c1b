"""``eval_mode``: eval mode inside the block; every submodule's own flag back afterwards, also on errors."""

from __future__ import annotations

import pytest
from torch import nn

from rationalize.engine.training import eval_mode


def net() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Sequential(nn.Linear(2, 1), nn.Dropout(0.1)))


def flags(m: nn.Module) -> list[bool]:
    return [s.training for s in m.modules()]


def test_eval_inside_and_each_flag_restored():
    a, b = net().train(), net().eval()
    a[2].eval()  # mixed: a part kept in eval mode inside a training model
    before_a, before_b = flags(a), flags(b)
    with eval_mode(a, b, "not a module"):
        assert not any(flags(a)) and not any(flags(b))
    assert flags(a) == before_a and flags(b) == before_b
    assert a.training and not a[2].training and not a[2][1].training and a[1].training


def test_restored_when_the_block_raises():
    a = net().train()
    with pytest.raises(RuntimeError, match="boom"), eval_mode(a):
        raise RuntimeError("boom")
    assert all(flags(a))

"""One training loop for every trainable model in rationalize (classifiers, rationalizers, explainers).

A model is a ``torch.nn.Module`` with a ``training_step(batch) -> dict`` that returns at least
``"loss"`` (a scalar tensor); every other scalar it returns (selection rate, sparsity term, ...) is
averaged per epoch and logged. :func:`fit` adds what every method needs and none should re-write:
seeding, shuffled batches, gradient clipping, early stopping on a validation metric, checkpoints every
epoch, resume after a kill, progress (a bar per epoch on a terminal, one line per epoch otherwise: see
:mod:`rationalize.progress`) and a JSONL log of every epoch.

Models may define ``after_optimizer_step()`` (e.g. HardKuma's Lagrange multiplier updates) and
``item_length(item) -> int``, which ``TrainConfig.bucket`` needs (batches of similar length).

Files in ``out_dir``: ``checkpoint.pt`` (latest state, for resuming), ``best.pt`` (weights of the best
validation epoch, loaded back into the model when training ends) and ``history.jsonl``.
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rationalize.progress import Progress, format_metrics

log = logging.getLogger(__name__)


@contextmanager
def frozen_parameters(*modules: Any) -> Iterator[None]:
    """Turn off ``requires_grad`` on the weights of ``modules`` for the block, then restore each flag.

    Used where gradients must reach the *inputs* of a network but not its weights: explainers (autograd
    then keeps nothing for weight gradients, which makes a gradient explanation cheaper) and penalties
    that train one network through another (the complement control)."""
    params = [p for m in modules if hasattr(m, "parameters") for p in m.parameters()]
    flags = [p.requires_grad for p in params]
    try:
        for p in params:
            p.requires_grad_(False)
        yield
    finally:
        for p, f in zip(params, flags):
            p.requires_grad_(f)


@contextmanager
def eval_mode(*modules: Any) -> Iterator[None]:
    """Put ``modules`` in eval mode (dropout off) for the block, then give every submodule back its own
    ``training`` flag, also when the block raises.

    The sibling of :func:`frozen_parameters`, for code that *uses* a network a caller may be training
    (explainers, FRESH's extractor, validation inside a training loop): it must not leave the caller's
    model in eval mode, nor switch a submodule the caller keeps in eval mode (a frozen encoder) to train
    mode, which ``module.train(was)`` would do. Objects without ``modules()`` are ignored."""
    states = [(sub, sub.training) for m in modules if hasattr(m, "modules") for sub in m.modules()]
    try:
        for m in modules:
            if hasattr(m, "eval"):
                m.eval()
        yield
    finally:
        for sub, was in states:
            sub.training = was


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU) so that a run is repeatable."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


@dataclass
class TrainConfig:
    """Knobs of :func:`fit`. ``monitor`` names a key of the validation metrics; ``mode`` says whether
    larger (``"max"``) or smaller (``"min"``) is better."""

    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    grad_clip: float | None = 5.0
    patience: int = 3
    monitor: str = "accuracy"
    mode: str = "max"
    seed: int = 0
    progress: bool = True
    max_steps_per_epoch: int | None = None
    #: 0: batches of random items. ``n >= 1``: batches of items of similar length ("sortish"): the shuffled
    #: items are cut into pools of ``n`` batches, each pool is sorted by length before it is batched, and the
    #: batch order is shuffled. A recurrent encoder runs one step per position of a batch's longest item,
    #: so on long, uneven documents (ERASER movies) this cuts the work of an epoch; the batches' contents
    #: change, so results differ from ``bucket=0`` runs.
    bucket: int = 0
    #: Epochs ``1 .. start_from_epoch`` are trained but are neither kept as the best model nor counted toward
    #: ``patience``, so that a model from the unsettled first epochs (a near-chance predictor whose
    #: validation loss has not yet grown overconfident) cannot win model selection. Bastings et al.'s
    #: HardKuma keeps no model from its first 5 epochs "for stability"; Keras calls this ``start_from_epoch``.
    #: The last epoch is always a candidate, so a run of at most ``start_from_epoch`` epochs still returns
    #: its last model.
    start_from_epoch: int = 0

    def __post_init__(self) -> None:
        if self.mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {self.mode!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be positive")
        if self.bucket < 0:
            raise ValueError(f"bucket must be 0 (random batches) or a positive number of batches, got {self.bucket}")
        if self.start_from_epoch < 0:
            raise ValueError(f"start_from_epoch must be >= 0, got {self.start_from_epoch}")


def bound_heap_growth(threshold: int = 128 * 1024) -> bool:
    """Keep a long training run's memory near its working set on glibc (Linux), for the rest of the process.

    Batches of varying length allocate tensors of ever new sizes. glibc serves the large ones with
    ``mmap`` at first, then raises its threshold each time one is freed, so that later ones come from the
    heap, where the freed blocks of other sizes are not reused and are not given back: resident memory grows
    with every step (a CNN epoch on ERASER movies peaks at 1.4-1.7 GB this way, 0.7 GB with a fixed
    threshold; see ``benchmarks/memory.py``). A fixed ``M_MMAP_THRESHOLD`` stops that, at the price of
    fresh pages for every large tensor (steps measured up to 1.5x slower on a loaded 2-core machine), so it
    is an option (``--low-memory``), not the default. Returns False where the C library is not glibc."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        return bool(libc.mallopt(-3, int(threshold)))  # M_MMAP_THRESHOLD = -3
    except (OSError, AttributeError):
        return False


@dataclass
class TrainHistory:
    """What happened: one dict per epoch (mean training terms and validation metrics), the best epoch."""

    epochs: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int | None = None
    best_value: float | None = None
    stopped_early: bool = False
    resumed_from: int | None = None


def batches(items: Sequence[Any], batch_size: int, shuffle: bool, rng: random.Random | None = None, *,
            bucket: int = 0, length: Callable[[Any], int] | None = None) -> list[list[Any]]:
    """Split ``items`` into lists of ``batch_size`` (shuffled with ``rng`` when asked).

    With ``bucket >= 1`` and ``length`` (see :attr:`TrainConfig.bucket`), every pool of ``bucket`` batches of
    the shuffled order is sorted by ``length`` (stable, so ties keep the shuffled order) before it is cut
    into batches, and the batches are then shuffled: each batch holds items of similar length, every item
    is in exactly one batch, and the same ``rng`` state gives the same batches."""
    rng = rng or random.Random(0)
    order = list(range(len(items)))
    if shuffle:
        rng.shuffle(order)
    if bucket >= 1:
        if length is None:
            raise ValueError("bucket needs the items' lengths (the model defines no item_length)")
        pool = bucket * batch_size
        sizes = [length(items[i]) for i in range(len(items))]
        order = [i for k in range(0, len(order), pool) for i in sorted(order[k : k + pool], key=sizes.__getitem__)]
    out = [[items[i] for i in order[k : k + batch_size]] for k in range(0, len(order), batch_size)]
    if bucket >= 1 and shuffle:
        rng.shuffle(out)
    return out


def _better(value: float, best: float | None, mode: str) -> bool:
    if best is None or math.isnan(best):
        return not math.isnan(value)
    return value > best if mode == "max" else value < best


def fit(
    model: nn.Module,
    train_items: Sequence[Any],
    collate: Callable[[list[Any]], Any],
    evaluate: Callable[[nn.Module], dict[str, float]],
    config: TrainConfig | None = None,
    out_dir: str | Path | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    resume: bool = True,
    on_epoch_end: Callable[[int, dict[str, float]], None] | None = None,
) -> TrainHistory:
    """Train ``model`` on ``train_items`` (collated into batches by ``collate``) with early stopping on
    ``evaluate(model)[config.monitor]``. With ``out_dir`` and ``resume``, a run that was killed continues
    from its last finished epoch with the same optimizer, RNG and early-stopping state."""
    cfg = config or TrainConfig()
    seed_everything(cfg.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = optimizer or torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    out = Path(out_dir) if out_dir is not None else None
    history = TrainHistory()
    start_epoch = 0
    bad_epochs = 0
    py_rng = random.Random(cfg.seed)
    best_state: dict[str, torch.Tensor] | None = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        ckpt_path = out / "checkpoint.pt"
        if resume and ckpt_path.exists():
            state = torch.load(ckpt_path, weights_only=False)
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            start_epoch = state["epoch"] + 1
            bad_epochs = state["bad_epochs"]
            history = TrainHistory(**state["history"])
            history.resumed_from = start_epoch
            py_rng.setstate(state["py_rng"])
            torch.set_rng_state(state["torch_rng"])
            np.random.set_state(state["np_rng"])
    for epoch in range(start_epoch, cfg.epochs):
        if bad_epochs >= cfg.patience:
            history.stopped_early = True
            break
        model.train()
        sums: dict[str, float] = {}
        n = 0
        epoch_batches = batches(train_items, cfg.batch_size, shuffle=True, rng=py_rng, bucket=cfg.bucket,
                                length=getattr(model, "item_length", None))
        if cfg.max_steps_per_epoch is not None:
            epoch_batches = epoch_batches[: cfg.max_steps_per_epoch]
        bar = Progress(len(epoch_batches), f"epoch {epoch + 1}/{cfg.epochs}", "batch", enabled=cfg.progress,
                       leave=False)
        for raw in epoch_batches:
            terms = model.training_step(collate(raw))
            loss = terms["loss"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            opt.step()
            hook = getattr(model, "after_optimizer_step", None)
            if hook is not None:
                hook()
            n += 1
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach() if isinstance(v, torch.Tensor) else v)
            bar.update()
            bar.set_postfix({k: f"{sums[k] / n:.3f}" for k in list(sums)[:4]})
        model.eval()
        with torch.no_grad():
            val = evaluate(model)
        if cfg.monitor not in val:
            raise KeyError(f"evaluate() returned {sorted(val)}; the monitored metric {cfg.monitor!r} is missing")
        record = {"epoch": epoch + 1, **{f"train_{k}": s / max(n, 1) for k, s in sums.items()},
                  **{f"val_{k}": float(v) for k, v in val.items()}}
        history.epochs.append(record)
        value = float(val[cfg.monitor])
        if epoch + 1 <= min(cfg.start_from_epoch, cfg.epochs - 1):
            pass  # not yet a candidate (TrainConfig.start_from_epoch): neither the best nor a bad epoch
        elif _better(value, history.best_value, cfg.mode):
            history.best_value, history.best_epoch, bad_epochs = value, epoch + 1, 0
            if out is not None:
                torch.save(model.state_dict(), out / "best.pt")
            else:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            bad_epochs += 1
        summary = format_metrics({k.removeprefix("train_"): v for k, v in record.items() if k != "epoch"})
        bar.close(summary)
        if not cfg.progress:  # no bar: still one line per epoch, for logs of long runs (the CLI shows it)
            log.info("epoch %d/%d: %s (%.1fs)", epoch + 1, cfg.epochs, summary, bar.elapsed)
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, record)
        if out is not None:
            with (out / "history.jsonl").open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
            state = {
                "model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch,
                "bad_epochs": bad_epochs, "history": {k: v for k, v in asdict(history).items()},
                "py_rng": py_rng.getstate(), "torch_rng": torch.get_rng_state(), "np_rng": np.random.get_state(),
            }
            tmp = out / "checkpoint.pt.tmp"
            torch.save(state, tmp)
            tmp.replace(out / "checkpoint.pt")
    else:
        if bad_epochs >= cfg.patience:
            history.stopped_early = True
    # restore the best weights
    if out is not None and (out / "best.pt").exists():
        model.load_state_dict(torch.load(out / "best.pt", weights_only=True))
    elif best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


def iterate_minibatches(items: Sequence[Any], batch_size: int) -> Iterable[list[Any]]:
    """Unshuffled batches, for evaluation."""
    return batches(items, batch_size, shuffle=False)

"""Load any dataset by path or name through one call, :func:`load_dataset`.

Loaders register themselves with :func:`register_loader`: a name (used as ``--from`` in the CLI and as a
``name:`` prefix, e.g. ``hatexplain:/path``), a detector that recognises a path, and the load function.
A path is tried against each detector in registration order; ``synthetic`` (optionally
``synthetic:seed=3,train=500``) builds the synthetic benchmark in memory.

``load_dataset(source, splits=[...])`` asks for some splits only: a loader registered with
``partial=True`` (ERASER) reads and checks only those; any other loader reads everything and the other
splits are set aside (their ids kept in ``Dataset.unloaded_ids``). Either way a split the dataset does not
have raises :class:`~rationalize.errors.MissingSplitError` before any other work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rationalize.data.schema import Dataset
from rationalize.errors import DataError


@dataclass(frozen=True)
class LoaderSpec:
    """A registered loader; ``partial``: ``load`` takes ``splits=`` and reads only those splits."""

    name: str
    load: Callable[..., Dataset]
    detect: Callable[[Path], bool]
    description: str
    partial: bool = False

    def __call__(self, source: Any, splits: Sequence[str] | None) -> Dataset:
        if self.partial and splits is not None:
            return self.load(source, splits=splits)
        return only_splits(self.load(source), splits)


LOADERS: dict[str, LoaderSpec] = {}


def register_loader(
    name: str, load: Callable[..., Dataset], detect: Callable[[Path], bool], description: str, *,
    partial: bool = False,
) -> None:
    """Register a loader under ``name`` (a later registration of the same name replaces it); ``partial``: its
    ``load`` accepts ``splits=`` and then reads only those splits."""
    LOADERS[name] = LoaderSpec(name, load, detect, description, partial)


def only_splits(ds: Dataset, splits: Sequence[str] | None) -> Dataset:
    """``ds`` with only ``splits`` (all when ``None``); the ids of the others go to ``unloaded_ids``, and
    the documents only they use are dropped. A split ``ds`` lacks raises
    :class:`~rationalize.errors.MissingSplitError`."""
    if splits is None:
        return ds
    for split in splits:
        ds.check_split(split)
    dropped = [s for s in ds.splits if s not in splits]
    for split in dropped:
        ds.unloaded_ids[split] = frozenset(ex.id for ex in ds.splits.pop(split))
    if dropped:
        used = {d for exs in ds.splits.values() for ex in exs
                for d in (*ex.docids, *(ev.docid for ev in ex.evidences))}
        ds.documents = {d: doc for d, doc in ds.documents.items() if d in used}
    return ds


def _parse_synth_args(arg: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for part in filter(None, arg.split(",")):
        key, _, value = part.partition("=")
        key = key.strip()
        try:
            out[key] = int(value) if value.strip().lstrip("-").isdigit() else float(value)
        except ValueError:
            raise ValueError(f"synthetic option {part!r} must be key=number") from None
    return out


def load_dataset(source: str | Path, splits: Sequence[str] | None = None) -> Dataset:
    """Load a dataset from a path, ``loader:path``, ``synthetic[:k=v,...]`` or ``hf:name``; ``splits``: only
    those splits are needed (see the module docstring), ``None`` loads every split."""
    from rationalize.data.synthetic import make_synthetic  # local: keeps import light

    text = str(source)
    if text == "synthetic" or text.startswith("synthetic:"):
        synth = make_synthetic(**_parse_synth_args(text.partition(":")[2]))  # type: ignore[arg-type]
        return only_splits(synth, splits)
    prefix, sep, rest = text.partition(":")
    if sep and prefix in LOADERS and not Path(text).exists():
        return LOADERS[prefix](Path(rest) if prefix != "hf" else rest, splits)
    path = Path(text)
    if not path.exists():
        names = ", ".join(sorted(LOADERS))
        raise DataError(path, None, None, f"does not exist (give a path, 'synthetic', or one of: {names} as NAME:PATH)")
    for spec in LOADERS.values():
        if spec.name != "hf" and spec.detect(path):
            return spec(path, splits)
    raise DataError(path, None, None, "is not a dataset format rationalize recognises (ERASER folder, "
                    "Zaidan, HateXplain, e-SNLI, CoS-E, .jsonl or .csv); use NAME:PATH to choose a loader")


def load_splits(source: str | Path, required: Sequence[str], optional: Sequence[str] = ()) -> Dataset:
    """Load only the splits a job uses: every ``required`` split (a :class:`MissingSplitError` naming
    the splits there are when one is absent) and those of ``optional`` the dataset has. Training reads
    its train and val splits this way, so the documents of the other splits are never read."""
    from rationalize.errors import MissingSplitError

    wanted = list(dict.fromkeys([*required, *optional]))
    while True:
        try:
            return load_dataset(source, splits=wanted)
        except MissingSplitError as exc:
            if exc.split in required or exc.split not in wanted:
                raise
            wanted.remove(exc.split)


"""Load any dataset by path or name through one call, :func:`load_dataset`.

Loaders register themselves with :func:`register_loader`: a name (used as ``--from`` in the CLI and as a
``name:`` prefix, e.g. ``hatexplain:/path``), a detector that recognises a path, and the load function.
A path is tried against each detector in registration order; ``synthetic`` (optionally
``synthetic:seed=3,train=500``) builds the synthetic benchmark in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rationalize.data.schema import Dataset
from rationalize.errors import DataError


@dataclass(frozen=True)
class LoaderSpec:
    name: str
    load: Callable[[Path], Dataset]
    detect: Callable[[Path], bool]
    description: str


LOADERS: dict[str, LoaderSpec] = {}


def register_loader(
    name: str, load: Callable[[Path], Dataset], detect: Callable[[Path], bool], description: str
) -> None:
    """Register a loader under ``name`` (a later registration of the same name replaces it)."""
    LOADERS[name] = LoaderSpec(name, load, detect, description)


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


def load_dataset(source: str | Path) -> Dataset:
    """Load a dataset from a path, ``loader:path``, ``synthetic[:k=v,...]`` or ``hf:name``."""
    from rationalize.data.synthetic import make_synthetic  # local: keeps import light

    text = str(source)
    if text == "synthetic" or text.startswith("synthetic:"):
        return make_synthetic(**_parse_synth_args(text.partition(":")[2]))  # type: ignore[arg-type]
    prefix, sep, rest = text.partition(":")
    if sep and prefix in LOADERS and not Path(text).exists():
        return LOADERS[prefix].load(Path(rest) if prefix != "hf" else rest)  # type: ignore[arg-type]
    path = Path(text)
    if not path.exists():
        names = ", ".join(sorted(LOADERS))
        raise DataError(path, None, None, f"does not exist (give a path, 'synthetic', or one of: {names} as NAME:PATH)")
    for spec in LOADERS.values():
        if spec.name != "hf" and spec.detect(path):
            return spec.load(path)
    raise DataError(path, None, None, "is not a dataset format rationalize recognises (ERASER folder, "
                    "Zaidan, HateXplain, e-SNLI, CoS-E, .jsonl or .csv); use NAME:PATH to choose a loader")

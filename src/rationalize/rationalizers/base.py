"""One contract for every rationalizer, one registry type for every family, provenance in one place.

The four families of :mod:`rationalize.rationalizers` grew four shapes (post-hoc ``attribute``,
select-then-predict ``fit``/``predict_results``, greedy ``rationalize(adapter, sequences, ...)``, free-text
``generate_rationales`` to a file). This module gives them one face without touching their logic:

* :class:`Registry` -- names to classes, with ``register`` (decorator or call), ``load(name, **params)``,
  ``available()``, ``get`` and ``in``; an unknown name is one :class:`UnknownNameError` that lists the
  names there are. The families' own registries (post-hoc ``EXPLAINERS``, select-then-predict
  ``METHODS``, greedy ``SEQUENTIAL_RATIONALIZERS``) are instances of it.
* :class:`Rationalizer` -- ``name``/``family``, sklearn-style ``params``/``get_params()``, ``fit(dataset,
  split)`` (a no-op for methods that do not learn) and ONE ``rationalize(dataset, split, limit=...)`` that
  returns records: :class:`~rationalize.data.results.Result` for post-hoc and select-then-predict,
  :class:`~rationalize.rationalizers.greedy.base.SequentialRationale` for greedy, free-text dicts for
  free-text. The public method times the subclass's :meth:`Rationalizer._rationalize`, puts the models
  it uses in eval mode and gives them back in the mode they were in, and stamps every record with one
  :class:`Provenance` (template method).
* :data:`RATIONALIZERS` -- the contract registry of each family (``posthoc``, ``select-predict``,
  ``greedy``, ``freetext``), filled lazily by each family's ``contract`` module, and
  :func:`load_rationalizer` / :func:`available_rationalizers` over all of them.

This module imports neither torch nor any family: ``import rationalize`` stays light.
"""

from __future__ import annotations

import importlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Generic, TypeVar, overload

from rationalize.errors import RationalizeError

T = TypeVar("T")
_MISSING: Any = object()


class UnknownNameError(RationalizeError, ValueError):
    """A name that is not in a registry; the message lists the names that are."""


class Registry(Mapping[str, T], Generic[T]):
    """Names to classes, in registration order (in the spirit of Inseq's registry).

    ``what`` names the entries in messages (``unknown explanation method 'x'; choose from ...``);
    ``loader`` is called once, on first use, to import the modules whose decorators fill the registry
    (so that building the registry costs nothing until it is asked for); ``sort`` lists names sorted
    rather than in registration order. As a read-only :class:`~collections.abc.Mapping`, ``registry[name]``
    raises ``KeyError`` as a dict does, so code written against the old dicts keeps working."""

    def __init__(self, family: str, what: str = "rationalizer", *, loader: Callable[[], None] | None = None,
                 sort: bool = False, set_name: bool = False):
        self.family = family
        self.what = what
        self.sort = sort
        self.set_name = set_name
        self._entries: dict[str, T] = {}
        self._loader = loader
        self._loading = False

    # -- filling ---------------------------------------------------------------------------------------
    @overload
    def register(self, name: str) -> Callable[[T], T]:
        """``@registry.register(name)``: a class decorator that registers the class under ``name``."""

    @overload
    def register(self, name: str, cls: T) -> T:
        """``registry.register(name, cls)``: register ``cls`` under ``name`` and return it."""

    def register(self, name: str, cls: Any = _MISSING) -> Any:
        """Add ``cls`` under ``name``; without ``cls``, a class decorator that does so. With ``set_name``
        the class's ``name`` attribute is set to ``name`` (the post-hoc explainers read it)."""

        def add(c: T) -> T:
            if self.set_name:
                c.name = name  # type: ignore[attr-defined]
            self._entries[name] = c
            return c

        return add if cls is _MISSING else add(cls)

    def _ensure_loaded(self) -> None:
        if self._loader is not None and not self._loading:
            self._loading = True
            try:
                self._loader()
                self._loader = None
            finally:
                self._loading = False

    # -- reading ---------------------------------------------------------------------------------------
    def available(self) -> list[str]:
        """The registered names (sorted when the registry was made with ``sort=True``)."""
        self._ensure_loaded()
        return sorted(self._entries) if self.sort else list(self._entries)

    def get(self, name: str, default: Any = _MISSING) -> Any:  # type: ignore[override]
        """The class registered under ``name``; an :class:`UnknownNameError` listing the names (or
        ``default``, when given) for an unknown one."""
        self._ensure_loaded()
        if name in self._entries:
            return self._entries[name]
        if default is not _MISSING:
            return default
        raise UnknownNameError(f"unknown {self.what} {name!r}; choose from {', '.join(self.available())}")

    def load(self, name: str, /, *args: Any, **params: Any) -> Any:
        """An instance of the class registered under ``name``, built with ``params``."""
        return self.get(name)(*args, **params)

    def __getitem__(self, name: str) -> T:
        self._ensure_loaded()
        return self._entries[name]

    def __contains__(self, name: object) -> bool:
        self._ensure_loaded()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.available())

    def __len__(self) -> int:
        self._ensure_loaded()
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.family!r}, {self.available()})"


@dataclass(frozen=True)
class Provenance:
    """What made a record: the method and its family, its parameters (JSON-ready: objects such as a
    model are described by their class name), the package version and the seconds the whole
    ``rationalize`` call took. The same object is attached to every record of one call."""

    method: str
    family: str
    params: dict[str, Any]
    version: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """This provenance as a plain, JSON-ready dict (as stored in each record)."""
        return asdict(self)


def describe_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` as JSON-ready values: numbers, strings, booleans, ``None`` and lists/dicts of them are
    kept; any other object (a model, a generator) becomes ``"<ClassName>"`` so that the provenance of
    two runs with equal settings compares equal."""

    def one(v: Any) -> Any:
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, (list, tuple)):
            return [one(x) for x in v]
        if isinstance(v, Mapping):
            return {str(k): one(x) for k, x in v.items()}
        name = getattr(v, "name", None)
        return f"<{type(v).__name__}{' ' + name if isinstance(name, str) and name else ''}>"

    return {k: one(v) for k, v in params.items()}


class Rationalizer(ABC):
    """The contract every method of every family is used through.

    Subclasses set ``name`` and ``family``, keep their constructor arguments in ``self.params`` (via
    ``super().__init__(**params)``), implement :meth:`_rationalize` and, when they learn, :meth:`fit`.
    They may override :meth:`_modules` to name the torch modules a call uses, whose train/eval modes
    :meth:`rationalize` saves, sets to eval and restores."""

    name: ClassVar[str] = ""
    family: ClassVar[str] = ""
    #: what the adapter wraps (the family's own class or function), for the method tables of the docs
    wraps: ClassVar[str] = ""

    def __init__(self, **params: Any):
        self.params: dict[str, Any] = dict(params)

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters (sklearn style): ``type(self)(**r.get_params())`` is an equal,
        unfitted rationalizer."""
        return dict(self.params)

    def fit(self, dataset: Any, split: str = "train") -> Rationalizer:
        """Learn from ``dataset[split]``; methods that do not learn return ``self`` unchanged."""
        return self

    def rationalize(self, dataset: Any, split: str | None = None, *, limit: int | None = None,
                    labels: Sequence[str] | None = None) -> list[Any]:
        """Records for the examples of ``dataset[split]`` (the first ``limit``), in split order, each
        stamped with the call's :class:`Provenance`. Models run in eval mode and are given back in the
        mode they were in.

        ``dataset`` may also be raw inputs -- a string, a record ``{"text", "query", "label", "id"}`` or a
        list of them -- which :func:`~rationalize.data.inputs.inputs_dataset` turns into a one-split
        dataset (ids ``input-0``, ``input-1``... unless given) labelled with ``labels`` or, by default,
        the labels of the method's model; ``split`` is then left out."""
        from rationalize import __version__
        from rationalize.data.inputs import INPUTS_SPLIT, inputs_dataset, is_inputs

        if is_inputs(dataset):
            if split is not None:
                raise TypeError(f"{self.name}: split={split!r} is for a dataset; raw inputs form one split of their own")
            dataset = inputs_dataset(dataset, labels=labels if labels is not None else self.input_labels())
            split = INPUTS_SPLIT
        elif split is None:
            raise TypeError(f"{self.name}: rationalize(dataset, split) needs the split to explain "
                            f"(one of {', '.join(getattr(dataset, 'splits', {})) or 'the dataset splits'})")
        start = time.perf_counter()
        modules = self._modules()
        if modules:
            from rationalize.engine.training import eval_mode  # torch only when a method runs one

            with eval_mode(*modules):
                records = self._rationalize(dataset, split, limit=limit)
        else:
            records = self._rationalize(dataset, split, limit=limit)
        prov = Provenance(self.name, self.family, describe_params(self.params), __version__,
                          time.perf_counter() - start)
        for rec in records:
            stamp(rec, prov)
        return records

    @abstractmethod
    def _rationalize(self, dataset: Any, split: str, *, limit: int | None = None) -> list[Any]:
        """The family's work: records for the first ``limit`` examples of ``split``."""

    def _modules(self) -> list[Any]:
        """The torch modules one call runs (default: none)."""
        return []

    def input_labels(self) -> list[str] | None:
        """The label set raw inputs are read with: the labels of the method's model where it has one
        (default: none; a label given with an input is then kept as it is)."""
        return None

    def _resolved(self, key: str, load: Callable[[str], Any], missing: str) -> Any:
        """The object behind parameter ``key``: as given, or, when it is a string (a folder or model spec),
        ``load(spec)`` once, cached beside ``params`` so that ``get_params()`` still returns the spec.
        ``missing`` is the error message when the parameter was not given."""
        value = self.params[key]
        if value is None:
            raise ValueError(f"{self.name}: {missing}")
        if not isinstance(value, str):
            return value
        cache: dict[tuple[str, str], Any] = self.__dict__.setdefault("_loaded", {})
        if (key, value) not in cache:
            cache[key, value] = load(value)
        return cache[key, value]

    @staticmethod
    def examples(dataset: Any, split: str, limit: int | None) -> list[Any]:
        """The examples a call covers: ``dataset[split]``, cut to ``limit``."""
        exs = list(dataset[split])
        return exs[:limit] if limit is not None else exs

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in describe_params(self.params).items())
        return f"{type(self).__name__}({self.name!r}, {shown})"


def stamp(record: Any, provenance: Provenance) -> None:
    """Attach ``provenance`` to one record: ``extra["provenance"]`` of a Result or a SequentialRationale
    (both write ``extra`` out), the ``"provenance"`` key of a dict record."""
    if isinstance(record, dict):
        record["provenance"] = provenance.to_dict()
    elif isinstance(getattr(record, "extra", None), dict):
        record.extra["provenance"] = provenance.to_dict()
    else:
        raise TypeError(f"cannot attach provenance to a {type(record).__name__}")


# -- the families -------------------------------------------------------------------------------------
#: family name -> module whose import registers that family's contract adapters
FAMILY_MODULES = {
    "posthoc": "rationalize.rationalizers.posthoc.contract",
    "select-predict": "rationalize.rationalizers.select_predict.contract",
    "greedy": "rationalize.rationalizers.greedy.contract",
    "freetext": "rationalize.rationalizers.freetext.contract",
}


def _importer(module: str) -> Callable[[], None]:
    def load() -> None:
        importlib.import_module(module)

    return load


#: the contract registry of each family (adapter classes, subclasses of :class:`Rationalizer`)
RATIONALIZERS: dict[str, Registry[type[Rationalizer]]] = {
    family: Registry(family, f"{family} rationalizer", loader=_importer(module))
    for family, module in FAMILY_MODULES.items()
}


def register_adapters(family: str, base: type[Rationalizer], wrapped: Mapping[str, str], module: str) -> None:
    """Register one contract class per method name of ``family``: a subclass of ``base`` whose ``name`` is the
    method's and whose ``wraps`` names what it adapts (``wrapped``: method name -> that description)."""
    for name, what in wrapped.items():
        RATIONALIZERS[family].register(name, type(
            f"{base.__name__}_{name.replace('-', '_')}", (base,),
            {"name": name, "__doc__": f"{family} ``{name}`` ({what}) as a Rationalizer.", "__module__": module,
             "wraps": what}))


def available_rationalizers(family: str | None = None) -> dict[str, list[str]]:
    """``{family: [method names]}`` of every family (or of ``family``)."""
    return {f: reg.available() for f, reg in RATIONALIZERS.items() if family in (None, f)}


def rationalizer_class(name: str, family: str | None = None) -> type[Rationalizer]:
    """The adapter class of ``name`` (``family/name`` also works). A name that several families use
    (``occlusion`` is post-hoc and greedy) needs its family."""
    if family is None and "/" in name and name.split("/", 1)[0] in RATIONALIZERS:
        family, name = name.split("/", 1)
    if family is not None:
        if family not in RATIONALIZERS:
            raise UnknownNameError(f"unknown rationalizer family {family!r}; choose from {', '.join(RATIONALIZERS)}")
        return RATIONALIZERS[family].get(name)
    found = [f for f, reg in RATIONALIZERS.items() if name in reg]
    if len(found) == 1:
        return RATIONALIZERS[found[0]].get(name)
    if found:
        raise UnknownNameError(f"rationalizer {name!r} exists in several families ({', '.join(found)}); "
                               f"pass family= or write {found[0]}/{name}")
    listing = "; ".join(f"{f}: {', '.join(names)}" for f, names in available_rationalizers().items())
    raise UnknownNameError(f"unknown rationalizer {name!r}; choose from {listing}")


def load_rationalizer(name: str, family: str | None = None, **params: Any) -> Rationalizer:
    """A rationalizer of any family by name, built with ``params``:
    ``load_rationalizer("integrated-gradients", model=clf, n_steps=16)``,
    ``load_rationalizer("gumbel", epochs=3)``, ``load_rationalizer("greedy/occlusion", model=lm)``."""
    return rationalizer_class(name, family)(**params)


def method_table(family: str) -> str:
    """The markdown table of ``family``'s methods (name, what it wraps, its output records), as
    ``docs/rationalizers.md`` holds it (a test checks they agree). ``python -m rationalize.rationalizers.base``
    prints every family's table."""
    reg = RATIONALIZERS[family]
    rows = ["| name | wraps |", "| --- | --- |"]
    rows += [f"| `{name}` | `{reg.get(name).wraps}` |" for name in reg.available()]
    return "\n".join(rows)


__all__ = ["FAMILY_MODULES", "RATIONALIZERS", "Provenance", "Rationalizer", "Registry", "UnknownNameError",
           "available_rationalizers", "describe_params", "load_rationalizer", "method_table", "rationalizer_class",
           "stamp"]


if __name__ == "__main__":  # the registries live in the imported module, not in this __main__ copy
    _base = importlib.import_module("rationalize.rationalizers.base")

    for _family in _base.RATIONALIZERS:
        print(f"<!-- methods:{_family} -->\n{_base.method_table(_family)}\n<!-- /methods -->\n")

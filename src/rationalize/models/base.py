"""What every classifier in rationalize looks like from the outside, and how saved models reload.

Faithfulness metrics, post-hoc explainers and the viewer only need :class:`TextClassifier`: a label list
and ``predict_proba`` over a batch of :class:`ClassifierInput` (dataset tokens plus an optional query).
Our own models, Hugging Face models and select-then-predict models all implement it.

A saved model is a folder with ``rationalize.json`` naming its class (``{"class":
"rationalize.models.hf_classifier.HFClassifier", ...}``); :func:`load_model` imports that class and calls
its ``load(folder)``. Only classes inside the ``rationalize`` package are loaded.

A *plain* Hugging Face folder (a fine-tuned ``AutoModelForSequenceClassification`` saved with
``save_pretrained`` together with its tokenizer: ``config.json``, weights, tokenizer files, no
``rationalize.json``) loads too, through
:meth:`~rationalize.models.hf_classifier.HFClassifier.from_hf_folder`; its output names come from the
config's ``id2label`` and are matched to the dataset's labels by :func:`match_labels`.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from rationalize.errors import DataError

if TYPE_CHECKING:
    from rationalize.data.schema import Dataset

#: A dataset token that classifiers must treat as "masked out" (mapped to their own mask / unknown id).
MASK = "\u2047MASK\u2047"

CONFIG_NAME = "rationalize.json"
HF_CONFIG_NAME = "config.json"

#: Spellings that name the same label (compared after :func:`_normalize`); the first is the group's key.
LABEL_ALIASES: tuple[tuple[str, ...], ...] = (
    ("neg", "negative"),
    ("pos", "positive"),
    ("neu", "neutral"),
    ("entailment", "entails", "entailed"),
    ("contradiction", "contradicts", "contradicted"),
    ("true", "yes"),
    ("false", "no"),
)
_ALIAS_KEY = {name: group[0] for group in LABEL_ALIASES for name in group}
_GENERIC = re.compile(r"label_(\d+)")


#: how a perturbation removes document tokens: deletes them, or replaces each by :data:`MASK`
PERTURB_MODES = ("delete", "mask")


@dataclass
class ClassifierInput:
    """One classifier input in the dataset's own tokenization: document tokens (documents of a
    multi-document example concatenated) and optional query tokens (always visible, never explained).

    ``tokens`` and ``query`` are what the input *is*; every classifier may read only them. An input made
    by :meth:`perturbed` also records its ``origin`` (the input it came from and which tokens were removed),
    so that a classifier can build its encoding from the source's (sub-word ids selected with numpy)
    instead of tokenising the text again; a classifier that does must produce exactly the encoding of
    ``tokens``. Classifiers keep their encodings of an input in a private cache on the input (dropped when
    it is pickled or copied with :func:`dataclasses.replace`), so that an input explained by several methods
    and perturbed many times is tokenised once; treat inputs as immutable.
    """

    tokens: list[str]
    query: list[str] | None = None
    origin: Perturbation | None = field(default=None, compare=False, repr=False)
    _encodings: dict[Any, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def perturbed(self, removed: np.ndarray, mode: str = "delete") -> ClassifierInput:
        """This input with the document tokens where ``removed`` (a boolean array, one per token) is True
        deleted (``mode="delete"``) or replaced by :data:`MASK` (``"mask"``); the query is kept."""
        removed = np.asarray(removed, dtype=bool)
        if removed.shape != (len(self.tokens),):
            raise ValueError(f"removed has shape {removed.shape}; the input has {len(self.tokens)} tokens")
        if mode == "mask":
            tokens = [MASK if r else t for t, r in zip(self.tokens, removed.tolist())]
        elif mode == "delete":
            tokens = [t for t, r in zip(self.tokens, removed.tolist()) if not r]
        else:
            raise ValueError(f"mode must be one of {', '.join(PERTURB_MODES)}, not {mode!r}")
        return ClassifierInput(tokens, self.query, Perturbation(self, removed, mode))

    def cached(self, key: Any, make: Callable[[], Any]) -> Any:
        """The value a classifier stored under ``key`` for this input, made by ``make()`` on first use."""
        try:
            return self._encodings[key]
        except KeyError:
            value = self._encodings[key] = make()
            return value

    def __getstate__(self) -> dict[str, Any]:  # the cache stays behind (its keys are per process)
        return {**self.__dict__, "_encodings": {}}


@dataclass(frozen=True)
class Perturbation:
    """How a :class:`ClassifierInput` was made from ``source``: the document tokens where ``removed`` is
    True deleted (``mode="delete"``) or replaced by :data:`MASK` (``mode="mask"``)."""

    source: ClassifierInput
    removed: np.ndarray
    mode: str


@runtime_checkable
class TextClassifier(Protocol):
    """Anything that maps token sequences to class probabilities."""

    labels: list[str]

    def predict_proba(self, inputs: Sequence[ClassifierInput], batch_size: int | None = None) -> np.ndarray:
        """Return an ``(len(inputs), len(labels))`` array of probabilities."""
        ...


def save_config(folder: str | Path, cls: type, **config: Any) -> Path:
    """Write ``rationalize.json`` for a saved model of class ``cls``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    payload = {"class": f"{cls.__module__}.{cls.__qualname__}", **config}
    (folder / CONFIG_NAME).write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return folder / CONFIG_NAME


def read_config(folder: str | Path) -> dict[str, Any]:
    """The ``rationalize.json`` of a saved model folder, with a located error when absent or invalid."""
    path = Path(folder) / CONFIG_NAME
    if not path.exists():
        hf = "" if (Path(folder) / HF_CONFIG_NAME).exists() else f" nor a Hugging Face model folder (no {HF_CONFIG_NAME})"
        raise DataError(folder, None, None, f"is not a rationalize model folder (no {CONFIG_NAME}){hf}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(path, exc.lineno, None, f"is not valid JSON ({exc.msg})") from None


def is_hf_folder(folder: str | Path) -> bool:
    """True for a plain Hugging Face model folder: ``config.json`` present, no ``rationalize.json``."""
    folder = Path(folder)
    return folder.is_dir() and (folder / HF_CONFIG_NAME).is_file() and not (folder / CONFIG_NAME).exists()


def load_model(folder: str | Path, dataset: Dataset | None = None, *, model_labels: Sequence[str] | None = None,
               query: str = "auto") -> Any:
    """Reload any model saved by rationalize (classifier, rationalizer, explainer), or wrap a plain Hugging
    Face classifier folder as an :class:`~rationalize.models.hf_classifier.HFClassifier`, with one call.

    ``dataset`` (the data the model will run on), ``model_labels`` and ``query`` are used only for a plain
    Hugging Face folder (see :meth:`~rationalize.models.hf_classifier.HFClassifier.from_hf_folder`): the
    model's output names are matched to ``dataset.labels`` and a query that is the same for every example
    is dropped by default. A rationalize folder carries its labels and query handling in
    ``rationalize.json``, so ``model_labels`` or a ``query`` other than ``auto`` are refused for it.
    """
    if is_hf_folder(folder):
        from rationalize.models.hf_classifier import HFClassifier

        return HFClassifier.from_hf_folder(folder, dataset=dataset, model_labels=model_labels, query=query)
    cfg = read_config(folder)
    if model_labels is not None or query != "auto":
        raise DataError(Path(folder) / CONFIG_NAME, None, None, "is a rationalize model (its labels and query "
                        "handling are saved); model_labels and query apply only to a plain Hugging Face folder")
    qualname = cfg.get("class")
    if not isinstance(qualname, str) or not qualname.startswith("rationalize."):
        raise DataError(Path(folder) / CONFIG_NAME, None, "class", f"{qualname!r} is not a rationalize class")
    module, _, name = qualname.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    return cls.load(folder)


def _normalize(name: str) -> str:
    """Case-folded name with spaces and hyphens as underscores (``Not Entailed`` -> ``not_entailed``)."""
    return re.sub(r"[\s\-]+", "_", str(name).strip()).casefold()


def _label_key(name: str) -> str:
    """What two spellings of one label share: the alias group, or the normalized name."""
    norm = _normalize(name)
    return _ALIAS_KEY.get(norm, norm)


def same_label(a: str, b: str) -> bool:
    """Whether two spellings name the same label (case, spaces / hyphens and :data:`LABEL_ALIASES` ignored:
    ``positive`` = ``POS``); what :func:`match_labels` compares, for one pair."""
    return _normalize(a) == _normalize(b) or _label_key(a) == _label_key(b)


def is_generic_label(name: str, index: int) -> bool:
    """True for the name ``transformers`` gives output ``index`` when nobody named it (``LABEL_<index>``)."""
    m = _GENERIC.fullmatch(_normalize(name))
    return m is not None and int(m.group(1)) == index


def match_labels(model_labels: Sequence[str], dataset_labels: Sequence[str], *,
                 source: str | Path = HF_CONFIG_NAME) -> list[str]:
    """The dataset's name of each model output, in the model's output order.

    Rule, applied to every output at once (a one-to-one match of the two label sets, or nothing):

    1. the same name, compared case-insensitively, ignoring spaces / hyphens vs underscores
       (``NEG`` = ``neg``, ``not entailed`` = ``NOT_ENTAILED``);
    2. else a common alias (:data:`LABEL_ALIASES`: ``negative`` = ``NEG``, ``positive`` = ``POS``,
       ``neutral`` = ``NEU``, ``entails`` = ``entailment``, ``yes`` = ``True``, ...);
    3. else a generic name ``LABEL_i`` (what ``transformers`` writes when ``id2label`` was never set)
       matches a dataset label spelled ``i`` -- the only case where position decides, because the name
       literally is the position. Generic names are never matched to other names by order: a wrong
       guess would silently flip every prediction and explanation.

    Raises :class:`~rationalize.errors.DataError` located at ``source`` (the model's ``config.json``,
    field ``id2label``), naming both label sets, when the sets cannot be matched one-to-one.
    """
    model_labels = [str(x) for x in model_labels]
    dataset_labels = [str(x) for x in dataset_labels]
    exact = {_normalize(d): d for d in dataset_labels}
    keyed = {_label_key(d): d for d in dataset_labels}
    out: list[str] = []
    for i, name in enumerate(model_labels):
        hit = exact.get(_normalize(name))
        if hit is None:
            hit = keyed.get(_label_key(name))
        if hit is None and is_generic_label(name, i):
            hit = exact.get(str(i))
        out.append(hit)  # type: ignore[arg-type]
    ok = (None not in out and len(set(out)) == len(out) == len(dataset_labels)
          and len(exact) == len(keyed) == len(dataset_labels))
    if ok:
        return out
    have, want = ", ".join(model_labels), ", ".join(dataset_labels)
    if all(is_generic_label(n, i) for i, n in enumerate(model_labels)):
        named = {str(i): d for i, d in enumerate(dataset_labels)} if len(model_labels) == len(dataset_labels) else None
        example = f'"id2label": {json.dumps(named)}' if named else "id2label"
        msg = (f"({have}) are generic names that do not say which output is which of the dataset's labels ({want}); "
               f"name the outputs, e.g. {example}, or pass model_labels (--labels)")
    else:
        msg = (f"({have}) cannot be matched to the dataset's labels ({want}) by name (case-insensitive, aliases "
               f"such as negative = NEG); rename the outputs in id2label, or pass model_labels (--labels)")
    raise DataError(source, None, "id2label", msg)


def predict_chunk(model: Any, dataset: Dataset, split: str, batch_size: int | None, **predict_kw: Any) -> list[Any]:
    """``model.predict_results`` on a dataset that holds one chunk of a split (the unit of work of
    :func:`predict_dataset`)."""
    return model.predict_results(dataset, split, batch_size=batch_size, **predict_kw)


def predict_dataset(model: Any, dataset: Dataset, split: str, *, batch_size: int | None = None,
                    executor: Any = None, chunk: int = 64, **predict_kw: Any) -> list[Any]:
    """The ERASER results of ``model`` (any model with ``predict_results``: a classifier or a
    select-then-predict rationalizer) on ``split``, computed ``chunk`` examples at a time by ``executor``
    (default: this process, in one call). Each chunk travels with only its own documents, and results come
    back in split order. With the default ``chunk`` (64, the chunk ``predict_results`` itself works in)
    windows are batched as in a local run, so the results are equal to the last bit; another chunk size
    batches them differently, which can move the last float digits. ``predict_kw`` go to
    ``predict_results`` (a select-then-predict model's ``rule="top-k"`` and ``k``)."""
    if executor is None:
        return model.predict_results(dataset, split, batch_size=batch_size, **predict_kw)
    from dataclasses import replace
    from functools import partial

    examples = dataset[split]
    parts = [examples[i : i + chunk] for i in range(0, len(examples), chunk)]
    subsets = (replace(dataset, splits={split: part}, documents={d: dataset.documents[d] for ex in part for d in ex.docids},
                       unloaded_ids={}, locations={}) for part in parts)
    return [r for out in executor.map(partial(predict_chunk, model, split=split, batch_size=batch_size, **predict_kw),
                                      subsets)
            for r in out]


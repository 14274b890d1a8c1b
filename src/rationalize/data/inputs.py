"""Raw inputs as a one-split dataset, so that every rationalizer explains a string as it explains a split.

``inputs_dataset("a great film")``, ``inputs_dataset(["great", "dull"])`` or
``inputs_dataset([{"text": "...", "query": "...", "label": "POS", "id": "r1"}])`` builds a
:class:`~rationalize.data.schema.Dataset` with one split, :data:`INPUTS_SPLIT`, one example and one
document per input (the document's id is the example's). Text is tokenised as the JSONL/CSV loader does
(``whitespace`` by default, ``simple`` to split punctuation off) and each line is a sentence. Inputs
carry no human rationales; a label, when given, must be one of ``labels``. This is what
:meth:`~rationalize.rationalizers.base.Rationalizer.rationalize` calls when it is given inputs instead of
a dataset, with the model's labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rationalize.data.loaders._util import TOKENIZERS, document_from_text
from rationalize.data.schema import Dataset, Document, Example

#: the one split of an inputs dataset
INPUTS_SPLIT = "inputs"

#: the keys an input record may have
INPUT_KEYS = ("id", "text", "query", "label")

#: what ``inputs`` may be
Inputs = str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]]


def is_inputs(value: Any) -> bool:
    """Whether ``value`` is raw inputs (a string, a record, or a non-empty list of them) rather than a dataset."""
    if isinstance(value, (str, Mapping)):
        return True
    return isinstance(value, Sequence) and bool(value) and all(isinstance(v, (str, Mapping)) for v in value)


def inputs_dataset(inputs: Inputs, *, labels: Sequence[str] | None = None, name: str = "inputs",
                   tokenizer: str = "whitespace") -> Dataset:
    """A dataset with one split, :data:`INPUTS_SPLIT`, of ``inputs`` (see the module docstring).

    ``labels`` is the label set (a model's, so that results name its classes); ``name`` is the dataset
    name (free-text prompts pick their task by it: ``esnli``, ``cose``). A problem is one ``ValueError``
    naming the input's position and field."""
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"tokenizer must be one of {', '.join(TOKENIZERS)}, not {tokenizer!r}")
    items = [inputs] if isinstance(inputs, (str, Mapping)) else list(inputs)
    if not items:
        raise ValueError("no inputs: give a string, a record with 'text', or a non-empty list of them")
    label_set = [str(lab) for lab in labels] if labels is not None else []
    examples: list[Example] = []
    documents: dict[str, Document] = {}
    for i, item in enumerate(items):
        rec: Mapping[str, Any] = {"text": item} if isinstance(item, str) else item
        where = f"input {i}"
        if not isinstance(rec, Mapping):
            raise ValueError(f"{where}: expected a string or a record with 'text', got {type(rec).__name__}")  # noqa: TRY004  (one error type for every input problem)
        unknown = sorted(set(rec) - set(INPUT_KEYS))
        if unknown:
            raise ValueError(f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(INPUT_KEYS)})")
        text = rec.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}, field 'text': expected non-empty text")
        eid = str(rec.get("id", f"input-{i}"))
        if eid in documents:
            raise ValueError(f"{where}, field 'id': {eid!r} is used twice")
        query = rec.get("query")
        if query is not None and not isinstance(query, str):
            raise ValueError(f"{where}, field 'query': expected text")
        label = rec.get("label")
        if label is not None:
            label = str(label)
            if label_set and label not in label_set:
                raise ValueError(f"{where}, field 'label': {label!r} is not one of {', '.join(label_set)}")
        doc, _ = document_from_text(eid, text, tokenizer)
        documents[eid] = doc
        examples.append(Example(eid, [eid], label, query=query))
    if not label_set:
        label_set = sorted({ex.label for ex in examples if ex.label is not None})
    return Dataset(name, {INPUTS_SPLIT: examples}, documents, label_set, source="<inputs>")


__all__ = ["INPUTS_SPLIT", "INPUT_KEYS", "Inputs", "inputs_dataset", "is_inputs"]

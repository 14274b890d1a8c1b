"""The data model every part of rationalize shares.

It mirrors ERASER (DeYoung et al., 2020), the common format of the field:

* a :class:`Document` is a list of tokens in the dataset's own tokenization, split into sentences;
* an :class:`Example` (ERASER calls it an *annotation*) points at one or more documents, may carry a
  query, has a label and the human evidence: token spans grouped by annotator (``evidence_groups``);
* a :class:`Dataset` holds splits of examples, the label set and the document lookup.

Token offsets are document-level and end-exclusive, as in ERASER.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from sys import intern
from typing import Any

import numpy as np

from rationalize.errors import MissingSplitError


@dataclass(frozen=True)
class Span:
    """A half-open token interval ``[start, end)`` inside one document."""

    docid: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"span end {self.end} before start {self.start} in {self.docid}")

    def __len__(self) -> int:
        return self.end - self.start

    def tokens(self) -> range:
        """The token indices the span covers."""
        return range(self.start, self.end)


def mask_to_spans(mask: Sequence[bool | int]) -> list[tuple[int, int]]:
    """Maximal runs of true values in a token mask as end-exclusive ``(start, end)`` spans."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return []
    d = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


@dataclass(frozen=True)
class Evidence:
    """One human-marked evidence span, with its sentence range and text as ERASER stores them.

    ``start_sentence``/``end_sentence`` are ``-1`` when the dataset gives no sentence alignment
    (ERASER movies test).
    """

    docid: str
    start_token: int
    end_token: int
    start_sentence: int = -1
    end_sentence: int = -1
    text: str = ""

    @property
    def span(self) -> Span:
        """This evidence as a :class:`Span`."""
        return Span(self.docid, self.start_token, self.end_token)


@dataclass
class Document:
    """A document: its tokens and the token offsets where each sentence starts and ends.

    ``sentences[i]`` is the half-open token range of sentence ``i``.
    """

    docid: str
    tokens: list[str]
    sentences: list[tuple[int, int]]

    @classmethod
    def from_sentences(cls, docid: str, sentences: Sequence[Sequence[str]]) -> Document:
        """A document from its sentences' tokens (tokens concatenated, sentence bounds recorded)."""
        tokens: list[str] = []
        bounds: list[tuple[int, int]] = []
        for sent in sentences:
            start = len(tokens)
            tokens.extend(map(intern, sent))  # one string object per distinct word: about half the memory
            bounds.append((start, len(tokens)))
        return cls(docid, tokens, bounds)

    @classmethod
    def from_text(cls, docid: str, text: str) -> Document:
        """ERASER convention: one sentence per line, tokens split on whitespace; blank lines are kept
        as empty sentences so that sentence indices stay aligned with line numbers."""
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines = lines[:-1]
        return cls.from_sentences(docid, [line.split() for line in lines])

    def to_text(self) -> str:
        """The ERASER text form: one sentence per line, tokens joined by spaces (inverse of :meth:`from_text`)."""
        return "".join(" ".join(self.tokens[s:e]) + "\n" for s, e in self.sentences)

    def sentence_tokens(self) -> list[list[str]]:
        """The tokens of each sentence."""
        return [self.tokens[s:e] for s, e in self.sentences]

    def sentence_of_token(self) -> list[int]:
        """Index of the sentence of every token (a token outside every sentence gets -1)."""
        out = [-1] * len(self.tokens)
        for i, (s, e) in enumerate(self.sentences):
            for t in range(s, e):
                out[t] = i
        return out

    def __len__(self) -> int:
        return len(self.tokens)


@dataclass
class Example:
    """One labelled instance with its human rationales (an ERASER annotation).

    ``evidence_groups`` keeps annotator groups apart, as ERASER's ``evidences`` (a list of lists).
    ``explanations`` holds free-text rationales (e-SNLI, CoS-E). ``metadata`` keeps anything the source
    has that the schema does not model (e.g. ERASER's ``query_type``, HateXplain's annotator labels).
    """

    id: str
    docids: list[str]
    label: str | None
    query: str | None = None
    evidence_groups: list[list[Evidence]] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def evidences(self) -> list[Evidence]:
        """All evidence spans, every group flattened (ERASER's gold = the union of groups)."""
        return [ev for group in self.evidence_groups for ev in group]

    def gold_token_mask(self, doc: Document) -> list[bool]:
        """Union of every evidence group's tokens in ``doc``."""
        mask = [False] * len(doc)
        for ev in self.evidences:
            if ev.docid == doc.docid:
                for t in range(max(ev.start_token, 0), min(ev.end_token, len(doc))):
                    mask[t] = True
        return mask

    def gold_spans(self, docid: str | None = None) -> list[Span]:
        """Human evidence spans (every group), optionally only those in document ``docid``."""
        return [ev.span for ev in self.evidences if docid is None or ev.docid == docid]

    @property
    def query_tokens(self) -> list[str] | None:
        """The query split on whitespace, or None without a query."""
        return self.query.split() if self.query is not None else None


@dataclass
class Dataset:
    """Splits of examples plus the document lookup and label set.

    ``name`` is a short identifier (``movies``, ``synthetic``...), ``source`` where it was read from.
    A dataset loaded for some of its splits only (``load_dataset(..., splits=...)``) keeps, in
    ``unloaded_ids``, the annotation ids of the splits it did not load, so that a results file of another
    split can be told apart from one of another dataset. ``locations`` maps an example id to the file and
    line it was read from, where the loader knows them (checks after loading point at the line).
    """

    name: str
    splits: dict[str, list[Example]]
    documents: dict[str, Document]
    labels: list[str]
    source: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    unloaded_ids: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    locations: dict[str, tuple[str, int]] = field(default_factory=dict, repr=False)

    def check_split(self, split: str) -> None:
        """Raise :class:`MissingSplitError` (naming the splits there are) unless ``split`` is loaded; commands
        call it right after loading, before any slow work."""
        if split not in self.splits:
            raise MissingSplitError(self.name, split, list(self.splits), list(self.unloaded_ids))

    def __getitem__(self, split: str) -> list[Example]:
        self.check_split(split)
        return self.splits[split]

    def id_matches(self, ids: Collection[str]) -> dict[str, int]:
        """How many of ``ids`` are annotation ids of each split (loaded or not), most first; splits with none
        are left out. Tells which split a results file was written for."""
        wanted = set(ids)
        counts = {s: len(wanted & {ex.id for ex in exs}) for s, exs in self.splits.items()}
        counts.update({s: len(wanted & other) for s, other in self.unloaded_ids.items()})
        return dict(sorted(((s, n) for s, n in counts.items() if n), key=lambda kv: -kv[1]))

    def __iter__(self) -> Iterator[str]:
        return iter(self.splits)

    def subsample(self, split: str, n: int | None, seed: int = 0) -> Dataset:
        """A copy whose ``split`` holds ``n`` of its examples, drawn without replacement with ``seed`` and
        kept in split order (quick runs: ``--train-limit``). Documents and the other splits are shared, not
        copied; ``n=None`` or ``n`` at least the split's size returns the dataset itself."""
        examples = self[split]
        if n is None or n >= len(examples):
            return self
        if n < 1:
            raise ValueError(f"a limit must be at least 1, got {n}")
        keep = np.sort(np.random.default_rng(seed).choice(len(examples), size=n, replace=False))
        return replace(self, splits={**self.splits, split: [examples[i] for i in keep]})

    def doc(self, docid: str) -> Document:
        """The document ``docid`` (a ``KeyError`` naming the dataset if it is missing)."""
        try:
            return self.documents[docid]
        except KeyError:
            raise KeyError(f"dataset {self.name!r} has no document {docid!r}") from None

    def docs_of(self, example: Example) -> list[Document]:
        """The documents an example points at, in order."""
        return [self.doc(d) for d in example.docids]

    def example_index(self, split: str) -> dict[str, Example]:
        """The examples of ``split`` by id."""
        return {ex.id: ex for ex in self[split]}

    def mean_rationale_length(self, split: str) -> float:
        """Mean number of human-rationale tokens per example (union of groups), over examples of
        ``split``. ERASER uses this as the ``k`` when it turns soft scores into top-k rationales."""
        lengths = [self.rationale_length(ex) for ex in self[split]]
        return sum(lengths) / len(lengths) if lengths else 0.0

    def rationale_length(self, example: Example) -> int:
        """Number of human-rationale tokens of ``example`` (union of groups, over its documents)."""
        return sum(sum(example.gold_token_mask(d)) for d in self.docs_of(example))

    def mean_rationale_fraction(self, split: str) -> float:
        """Mean over examples of (rationale tokens / document tokens); 0 for a split without evidence."""
        fracs = []
        for ex in self[split]:
            n = sum(len(d) for d in self.docs_of(ex))
            if n:
                fracs.append(self.rationale_length(ex) / n)
        return sum(fracs) / len(fracs) if fracs else 0.0

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per-split statistics (what ``rationalize data info`` prints)."""
        out: dict[str, dict[str, Any]] = {}
        for split, examples in self.splits.items():
            docids: set[str] = {d for ex in examples for d in ex.docids}
            doc_lengths = [len(self.documents[d]) for d in docids if d in self.documents]
            with_evidence = [ex for ex in examples if ex.evidence_groups]
            out[split] = {
                "examples": len(examples),
                "labels": dict(sorted(label_counts(examples).items())),
                "documents": len(docids),
                "mean_document_tokens": _mean(doc_lengths),
                "examples_with_rationales": len(with_evidence),
                "mean_rationale_tokens": self.mean_rationale_length(split),
                "mean_rationale_fraction": self.mean_rationale_fraction(split),
            }
        return out


def _mean(xs: Sequence[float]) -> float:
    return float(sum(xs) / len(xs)) if xs else 0.0


def label_counts(examples: Sequence[Example]) -> Mapping[str, int]:
    """Number of examples per label (``str(label)``, so unlabelled examples count under ``'None'``)."""
    counts: dict[str, int] = {}
    for ex in examples:
        counts[str(ex.label)] = counts.get(str(ex.label), 0) + 1
    return counts

"""Small helpers shared by the format loaders: tokenising with character offsets, masks to spans,
evidence construction and the docids bookkeeping that keeps ERASER round trips lossless."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rationalize.data.eraser import _docids_of, example_to_record
from rationalize.data.schema import Document, Evidence, Example, mask_to_spans  # noqa: F401  (re-exported)

# A word (with inner apostrophes, e.g. "don't") or a single non-space, non-word character.
_SIMPLE = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]")
_WS = re.compile(r"\S+")

TOKENIZERS = ("whitespace", "simple")


def tokenize_with_offsets(text: str, tokenizer: str = "whitespace") -> list[tuple[str, int, int]]:
    """Tokens of ``text`` with their character ranges ``[start, end)``.

    ``whitespace`` splits on whitespace (ERASER's convention); ``simple`` also splits punctuation off
    words (``"great!"`` -> ``great``, ``!``), for raw text that is not pre-tokenised.
    """
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"tokenizer must be one of {TOKENIZERS}, not {tokenizer!r}")
    pattern = _WS if tokenizer == "whitespace" else _SIMPLE
    return [(m.group(), m.start(), m.end()) for m in pattern.finditer(text)]


def document_from_text(docid: str, text: str, tokenizer: str = "whitespace") -> tuple[Document, list[tuple[int, int]]]:
    """A document whose sentences are the text's lines, plus every token's character range."""
    toks = tokenize_with_offsets(text, tokenizer)
    bounds: list[tuple[int, int]] = []
    start = 0
    pos = 0
    for line in text.split("\n"):
        end_char = pos + len(line)
        n = start
        while n < len(toks) and toks[n][1] < end_char:
            n += 1
        bounds.append((start, n))
        start = n
        pos = end_char + 1
    bounds = [b for b in bounds if b[1] > b[0]] or [(0, len(toks))]
    return Document(docid, [t for t, _, _ in toks], bounds), [(s, e) for _, s, e in toks]


def char_span_to_tokens(offsets: Sequence[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """The smallest token range covering every token that overlaps characters ``[start, end)``."""
    hit = [i for i, (s, e) in enumerate(offsets) if s < end and e > start]
    return (hit[0], hit[-1] + 1) if hit else None


def make_evidence(doc: Document, start: int, end: int, sent_of: Sequence[int] | None = None) -> Evidence:
    """An ERASER evidence over ``doc`` tokens ``[start, end)`` with its sentence range and text
    (``sent_of``: ``doc.sentence_of_token()``, passed in when building many evidences)."""
    sent_of = doc.sentence_of_token() if sent_of is None else sent_of
    ss = sent_of[start] if start < len(doc) else -1
    es = sent_of[end - 1] + 1 if 0 < end <= len(doc) else -1
    if ss < 0 or es <= 0:
        ss = es = -1
    return Evidence(doc.docid, start, end, ss, es, " ".join(doc.tokens[start:end]))


def finish_example(ex: Example) -> Example:
    """Mark docids as explicit where ERASER could not re-derive them from the evidence, so that
    :func:`write_eraser` then :func:`load_eraser` gives back exactly this example."""
    rec = example_to_record(ex)
    if ex.docids != _docids_of({**rec, "docids": None}):
        ex.metadata["explicit_docids"] = True
    return ex


def sentence_split(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Sentence ranges of pre-tokenised text: a sentence ends after a run of ``. ! ?`` tokens and any
    closing brackets (and a closing quote when a quote is open) that follow."""
    ends = {".", "!", "?"}
    bounds: list[tuple[int, int]] = []
    start = i = 0
    n = len(tokens)
    quotes = 0
    while i < n:
        tok = tokens[i]
        i += 1
        if tok == '"':
            quotes += 1
        if tok in ends:
            while i < n and tokens[i] in ends:
                i += 1
            while i < n and (tokens[i] in (")", "]") or (tokens[i] == '"' and quotes % 2 == 1)):
                if tokens[i] == '"':
                    quotes += 1
                i += 1
            if i < n:
                bounds.append((start, i))
                start = i
                quotes = 0
    if start < n or not bounds:
        bounds.append((start, n))
    return bounds

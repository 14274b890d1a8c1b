"""The word-level view of sequential rationales: from a model's tokens to the words of the text, by character
offsets.

A language model's rationale is a set of token positions; people read, and annotate, words. Given the
character span of every token (``offsets``, from a fast tokenizer; special tokens have empty spans) and the
words of the text (maximal runs of non-space characters), a token belongs to the word its span overlaps, so

* :func:`rationale_words` shows a rationale as words (a word is in it when any of its tokens is), with their
  character spans for display;
* :func:`positions_of_spans` turns a human annotation given as character spans (the paper's annotated LAMBADA
  gives ``[start, end)`` spans of words) into token positions to compare with, the paper's own mapping from
  words to subwords.

Pure functions over plain lists; :meth:`rationalize.models.lm.SequenceAdapter.encode_with_offsets` gives the
offsets of a text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

Span = tuple[int, int]


def word_spans(text: str) -> list[Span]:
    """``[start, end)`` character spans of the words of ``text`` (maximal runs of non-space characters)."""
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def token_words(offsets: Sequence[Span], words: Sequence[Span]) -> list[int | None]:
    """The word each token belongs to (the first word its character span overlaps; ``None`` for special tokens
    and tokens that are only spaces)."""
    out: list[int | None] = []
    j = 0
    for s, e in offsets:
        if e <= s:
            out.append(None)
            continue
        while j < len(words) and words[j][1] <= s:  # words are sorted and disjoint
            j += 1
        out.append(j if j < len(words) and words[j][0] < e else None)
    return out


def positions_of_spans(spans: Iterable[Sequence[int]], offsets: Sequence[Span]) -> list[int]:
    """Token positions whose character span overlaps any of ``spans`` (``[start, end)`` pairs), sorted."""
    spans = [(int(a), int(b)) for a, b in spans]
    return sorted(p for p, (s, e) in enumerate(offsets) if e > s and any(_overlaps((s, e), sp) for sp in spans))


def rationale_words(positions: Iterable[int], offsets: Sequence[Span], words: Sequence[Span]) -> list[int]:
    """The words of a rationale given as token positions: every word one of whose tokens is in it, sorted."""
    tw = token_words(offsets, words)
    return sorted({tw[p] for p in positions if 0 <= p < len(tw) and tw[p] is not None})  # type: ignore[misc]


def merge_spans(spans: Iterable[Span], text: str | None = None) -> list[Span]:
    """Sorted, merged character spans; with ``text``, spans separated only by spaces are merged too (a run of
    rationale words reads as one phrase)."""
    out: list[list[int]] = []
    for s, e in sorted(spans):
        if out and (s <= out[-1][1] or (text is not None and not text[out[-1][1]:s].strip())):
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def last_word_positions(offsets: Sequence[Span], text: str) -> list[int]:
    """Token positions of the text's last word (the paper explains the last word of each LAMBADA passage)."""
    words = word_spans(text)
    if not words:
        return []
    tw = token_words(offsets, words)
    return [p for p, w in enumerate(tw) if w == len(words) - 1]

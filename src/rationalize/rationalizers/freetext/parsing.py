"""Read the label and the explanation back out of generated text, and say so when that is impossible.

The parser never guesses. An output whose answer part names no label, names two different labels,
negates the label it names (``"not entailment"``), or lacks the answer marker of the explain-then-predict
format is reported with ``status`` ``"unparseable"`` or ``"ambiguous"`` and a ``reason``; its ``label`` is
``None``. Scores then count it as a miss, not as a lucky guess.

Markers are matched case-insensitively with free whitespace (``explanation :`` from word-level
tokenizers is fine): the explanation marker is ``explanation:``; the answer marker is ``answer:`` or
``(so) the answer is``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

_EXPL = re.compile(r"explanation\s*:", re.IGNORECASE)
_ANSWER = re.compile(r"(?:(?:so\s+)?the\s+answer\s+is\s*:?|answer\s*:)", re.IGNORECASE)
_NEGATION = re.compile(r"(?:\bnot|\bno|n't)\s+(?:an?\s+|the\s+)?$", re.IGNORECASE)
_STRIP = " \t\r\n.,;:!?\"'`()[]{}*"


@dataclass
class ParsedOutput:
    """One generated output: the parsed ``label`` (``None`` unless ``status == "ok"``), the
    ``explanation`` text, the raw ``text`` and, when parsing failed, the ``reason``."""

    text: str
    label: str | None
    explanation: str
    status: str  # "ok" | "unparseable" | "ambiguous"
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """Whether a label was parsed (``status == "ok"``)."""
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """This output as a plain, JSON-ready dict."""
        return asdict(self)


def _norm(text: str) -> str:
    return " ".join(text.lower().split()).strip(_STRIP)


def match_label(
    segment: str, candidates: Sequence[str], aliases: Mapping[str, Sequence[str]] | None = None
) -> tuple[str | None, str, str | None]:
    """Find the one label named in ``segment``. Returns ``(label, status, reason)``.

    A label matches as a whole phrase (case-insensitive), itself or one of its ``aliases``. When two
    candidates match and one match lies inside the other (``"store"`` in ``"department store"``), the
    longer one wins; two separate labels make the output ambiguous.
    """
    if not candidates:
        raise ValueError("match_label needs at least one candidate label")
    seg = _norm(segment)
    if not seg:
        return None, "unparseable", "the answer is empty"
    forms: list[tuple[str, str]] = []
    for cand in candidates:
        names = {_norm(cand)} | {_norm(a) for a in (aliases or {}).get(cand, ())}
        forms.extend((cand, f) for f in names if f)
    for cand, form in forms:
        if seg == form:
            return cand, "ok", None
    hits: list[tuple[int, int, str]] = []
    for cand, form in forms:
        for m in re.finditer(r"(?<!\w)" + re.escape(form) + r"(?!\w)", seg):
            hits.append((m.start(), m.end(), cand))
    # drop a hit nested inside a longer hit of another candidate
    kept = [h for h in hits if not any(o is not h and o[0] <= h[0] and h[1] <= o[1] and (o[1] - o[0]) > (h[1] - h[0])
                                       for o in hits)]
    labels = sorted({h[2] for h in kept})
    if not labels:
        return None, "unparseable", f"no label among {list(candidates)} in {segment.strip()!r}"
    if len(labels) > 1:
        return None, "ambiguous", f"several labels {labels} in {segment.strip()!r}"
    for start, _, _ in kept:
        if _NEGATION.search(seg[:start]):
            return None, "unparseable", f"the label is negated in {segment.strip()!r}"
    return labels[0], "ok", None


def _answer_segment(text: str) -> str:
    """The answer part: up to the end of its line or the next marker."""
    text = text.lstrip()
    cut = len(text)
    for pat in (_EXPL, _ANSWER):
        m = pat.search(text)
        if m:
            cut = min(cut, m.start())
    nl = text.find("\n")
    if nl >= 0:
        cut = min(cut, nl)
    return text[:cut]


def parse_output(
    text: str,
    candidates: Sequence[str],
    format: str = "explain-then-predict",
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> ParsedOutput:
    """Parse one generated ``text`` in ``format`` (``explain-then-predict`` or ``predict-then-explain``).

    Explain-then-predict: the explanation is the text before the first answer marker (after an optional
    ``explanation:``), the label comes after the marker. Predict-then-explain: the label is the text
    before ``explanation:`` (its first line), the explanation the text after it; without the marker, the
    first line must name exactly one label and the whole output is the explanation (empty when the
    output is the bare label).
    """
    if format == "explain-then-predict":
        m = _ANSWER.search(text)
        expl_part = text[: m.start()] if m else text
        em = _EXPL.search(expl_part)
        explanation = (expl_part[em.end():] if em else expl_part).strip()
        if m is None:
            return ParsedOutput(text, None, explanation, "unparseable", "no answer marker ('answer:' or 'the answer is')")
        label, status, reason = match_label(_answer_segment(text[m.end():]), candidates, aliases)
        return ParsedOutput(text, label, explanation, status, reason)
    if format == "predict-then-explain":
        em = _EXPL.search(text)
        body = text.lstrip()
        am = _ANSWER.match(body)
        if am:  # "Answer: X" at the start of the output
            body = body[am.end():]
        if em:
            head = text[: em.start()]
            am = _ANSWER.match(head.lstrip())
            head = head.lstrip()[am.end():] if am else head
            rest = text[em.end():]
            an = _ANSWER.search(rest)
            explanation = (rest[: an.start()] if an else rest).strip()
        else:
            # no marker: the label must be the only one named on the first line (a later "the answer is
            # Y" contradicting it makes the output ambiguous), and the free text is the explanation
            head = body.split("\n", 1)[0]
            head = _ANSWER.sub(" ", head)
            label_only = any(_norm(body) == _norm(c) or _norm(body) in {_norm(a) for a in (aliases or {}).get(c, ())}
                             for c in candidates)
            explanation = "" if label_only else body.strip()
        seg = head if not em else _answer_segment(head)
        label, status, reason = match_label(seg, candidates, aliases)
        return ParsedOutput(text, label, explanation, status, reason)
    raise ValueError(f"unknown format {format!r} (explain-then-predict or predict-then-explain)")

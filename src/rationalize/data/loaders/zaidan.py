"""Zaidan, Eisner & Piatko (2007) raw movie-review rationales ("review_polarity_rationales").

Layout: ``withRats_neg/`` and ``withRats_pos/``, one review per file (``negR_000.txt`` ... with rationales,
``neg_900.txt`` ... without), lowercased and whitespace-tokenised, rationales wrapped in inline tags
``<NEG> ... </NEG>`` / ``<POS> ... </POS>`` that stand as separate tokens. The label is the folder.

ERASER movies (DeYoung et al., 2020) was built from these files with a different tokenisation (clitics
split: ``what 's``, ``do n't``; hyphens split: ``mind - fuck``) and one sentence per line. To make the two
agree, every Zaidan token is re-split with :func:`eraser_tokens`, rules written to reproduce ERASER's
tokenisation (they match ERASER's tokens exactly for 1836 of the 2000 reviews; the rest differ in
ERASER artefacts that cannot be derived from the Zaidan text, e.g. ``t .`` vs ``t.``, ``. . .`` vs
``. ..``). Sentences are split by rule (:func:`sentence_split`; boundary precision 0.94, recall 0.87
against ERASER's lines). With ``align_to=<ERASER movies folder>``
the tokens and sentences are instead taken from ERASER's documents (the non-space characters of the two
releases are identical) and the rationale spans are mapped by character position: then every document
agrees exactly.

Documents are named as in ERASER (``negR_900.txt`` for ``neg_900.txt``); splits follow ERASER and
Zaidan's folds (file index // 100): folds 0-7 train, 8 val, 9 test (fold 9 has no rationales).
Each tagged span is its own evidence group, as in ERASER movies train/val.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

from rationalize.data.loaders._util import finish_example, make_evidence, sentence_split
from rationalize.data.registry import register_loader
from rationalize.data.schema import Dataset, Document, Example
from rationalize.errors import DataError, DataErrors, MissingSplitError

LABELS = {"neg": "NEG", "pos": "POS"}
_FILE = re.compile(r"^(neg|pos)R?_(\d{3})\.txt$")

# --- ERASER-compatible re-tokenisation of one Zaidan token -------------------------------------------
_SPECIAL = {
    "cannot": ["can", "not"], "can't": ["ca", "n't"], "won't": ["wo", "n't"], "ain't": ["ai", "n't"],
    "shan't": ["sha", "n't"], "gonna": ["gon", "na"], "gotta": ["got", "ta"], "dont": ["do", "nt"],
    "wont": ["wo", "nt"], "cant": ["ca", "nt"], "im": ["i", "m"], "id": ["i", "d"], "wed": ["we", "d"],
    "thats": ["that", "s"], "whos": ["who", "s"], "theres": ["there", "s"], "y'all": ["y'", "all"],
}
_KEEP = {"and/or", "c'mon", "'em", "'cause", "'nuff", "'bout", "ol'", "''", "nothin'", "lovin'", "doin'",
         "goin'", "somethin'", "havin'", "nuthin'", "comin'", "gettin'"}
_CLITICS = ("'s", "'re", "'ve", "'ll", "'d", "'m")
_AUX = set("do does did is are was were has have had could would should must need might dare ai ca wo sha".split())
_HOSTS = set("i you he she it we they who what where when why how there that this here let "
             "could would should might must".split())
_INFIX = re.compile(r"(?<=[a-z])(-|--|---|/)(?=[a-z])|(?<=[0-9])(/)(?=[a-z])|(?<=[0-9])(-)(?=[0-9])")
_UNIT = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|mm|cm|km|kg|lb|lbs|ft|mph|min|hr|hrs)$")
_PREFIX = set("`'_$#([{\"<>*")
_SUFFIX = set("])}_%'\"*")


@lru_cache(maxsize=1 << 17)
def eraser_tokens(word: str) -> tuple[str, ...]:
    """Split one Zaidan (Pang & Lee) token the way ERASER movies tokenised the same text."""
    return tuple(_split(word))


def _split(word: str) -> list[str]:
    if word in _SPECIAL:
        return list(_SPECIAL[word])
    if word in _KEEP:
        return [word]
    unit = _UNIT.match(word)
    if unit:
        return [unit.group(1), unit.group(2)]
    pre: list[str] = []
    while len(word) > 1 and word[0] in _PREFIX and word not in _CLITICS:
        pre.append(word[0])
        word = word[1:]
    if word in _SPECIAL:
        return pre + list(_SPECIAL[word])
    post: list[str] = []
    while len(word) > 1 and word[-1] in _SUFFIX and not word.endswith("s'"):
        post.insert(0, word[-1])
        word = word[:-1]
    if word.endswith("n't") and word[:-3] in _AUX:
        post.insert(0, "n't")
        word = word[:-3]
    elif word.endswith("'s") and len(word) > 2:
        post.insert(0, "'s")
        word = word[:-2]
    else:
        for clitic in _CLITICS[1:]:
            if word.endswith(clitic) and word[: -len(clitic)] in _HOSTS:
                post.insert(0, clitic)
                word = word[: -len(clitic)]
                break
        else:
            if len(word) > 1 and word.endswith("s'"):
                post.insert(0, "'")
                word = word[:-1]
    return pre + [p for p in _INFIX.split(word) if p] + post


def parse_review(text: str, file: Path, polarity: str) -> tuple[list[str], list[tuple[int, int]], list[DataError]]:
    """ERASER-style tokens of a tagged review and its rationale spans (token ranges), with every problem."""
    open_tag, close_tag = f"<{LABELS[polarity]}>", f"</{LABELS[polarity]}>"
    other = LABELS["pos" if polarity == "neg" else "neg"]
    tokens: list[str] = []
    spans: list[tuple[int, int]] = []
    errs: list[DataError] = []
    start: int | None = None
    start_line = 0
    for lineno, line in enumerate(text.split("\n"), start=1):
        for word in line.split():
            if word == open_tag:
                if start is not None:
                    errs.append(DataError(file, lineno, open_tag, f"opens a rationale inside the one opened on line {start_line}"))
                start, start_line = len(tokens), lineno
            elif word == close_tag:
                if start is None:
                    errs.append(DataError(file, lineno, close_tag, "closes a rationale that was never opened"))
                elif start == len(tokens):
                    errs.append(DataError(file, lineno, close_tag, "closes an empty rationale"))
                else:
                    spans.append((start, len(tokens)))
                start = None
            elif word in (f"<{other}>", f"</{other}>"):
                errs.append(DataError(file, lineno, word, f"is a {other} tag in a {LABELS[polarity]} review"))
            else:
                tokens.extend(eraser_tokens(word))
    if start is not None:
        errs.append(DataError(file, start_line, open_tag, "is never closed"))
    if not tokens:
        errs.append(DataError(file, None, None, "is an empty review"))
    return tokens, spans, errs


def _align(tokens: list[str], spans: list[tuple[int, int]], target: Document, file: Path):
    """Map token spans onto ``target``'s tokenisation through the shared non-space characters."""
    def char_starts(toks: list[str]) -> list[int]:
        return [0, *accumulate(map(len, toks))]

    if "".join(tokens) != "".join(target.tokens):
        raise DataError(file, None, None, f"its text differs from {target.docid} in the ERASER folder (not only in spacing)")
    src, tgt = char_starts(tokens), char_starts(target.tokens)

    def owner(char: int) -> int:  # the target token holding non-space character ``char``
        return bisect.bisect_right(tgt, char) - 1

    return [(owner(src[s]), owner(src[e] - 1) + 1) for s, e in spans]


def _fold_split(idx: int) -> str:
    """The split of review number ``idx``: folds 0-7 (hundreds) train, 8 val, 9 test, as ERASER movies."""
    fold = idx // 100
    return "train" if fold <= 7 else "val" if fold == 8 else "test"


def load_zaidan(path: str | Path, align_to: str | Path | None = None, name: str = "zaidan",
                splits: Sequence[str] | None = None) -> Dataset:
    """Load ``withRats_neg``/``withRats_pos`` under ``path``; ``align_to`` is an ERASER movies folder
    (or its ``docs/``) whose tokens and sentences to adopt. Raises :class:`DataErrors` with every problem.

    ``splits``: read only the review files of those splits (a file's split follows from its number); the
    others' ids come from their file names alone. A requested split with no file raises
    :class:`MissingSplitError`."""
    root = Path(path)
    folders = [(pol, root / f"withRats_{pol}") for pol in ("neg", "pos") if (root / f"withRats_{pol}").is_dir()]
    if not folders:
        raise DataError(root, None, None, "has no withRats_neg/ or withRats_pos/ folder (Zaidan et al. 2007 layout)")
    eraser_docs: Path | None = None
    if align_to is not None:
        eraser_docs = Path(align_to) / "docs" if (Path(align_to) / "docs").is_dir() else Path(align_to)
        if not eraser_docs.is_dir():
            raise DataError(eraser_docs, None, None, "is not an ERASER docs/ folder to align to")
    problems: list[DataError] = []
    documents: dict[str, Document] = {}
    built: dict[str, list[Example]] = {"train": [], "val": [], "test": []}
    skipped: dict[str, set[str]] = {}
    for pol, folder in folders:
        for f in sorted(folder.iterdir()):
            if f.name.startswith("."):  # hidden files (.DS_Store, editor swap files)
                continue
            m = _FILE.match(f.name)
            if not m or m.group(1) != pol:
                problems.append(DataError(f, None, None, f"is not a review file name ({pol}R_NNN.txt or {pol}_NNN.txt)"))
                continue
            try:
                text = f.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                problems.append(DataError(f, None, None, f"is not UTF-8 text ({exc.reason})"))
                continue
            tokens, spans, errs = parse_review(text, f, pol)
            problems.extend(errs)
            if errs:
                continue
            idx = int(m.group(2))
            docid = f"{pol}R_{m.group(2)}.txt"
            if splits is not None and _fold_split(idx) not in splits:
                skipped.setdefault(_fold_split(idx), set()).add(docid)
                continue
            if docid in documents:
                problems.append(DataError(f, None, None, f"is a second copy of review {docid}"))
                continue
            if eraser_docs is not None:
                target_file = eraser_docs / docid
                if not target_file.is_file():
                    problems.append(DataError(f, None, None, f"has no counterpart {target_file} to align to"))
                    continue
                target = Document.from_text(docid, target_file.read_text(encoding="utf-8"))
                try:
                    spans = _align(tokens, spans, target, f)
                except DataError as exc:
                    problems.append(exc)
                    continue
                doc = target
            else:
                doc = Document(docid, tokens, sentence_split(tokens))
            documents[docid] = doc
            sent_of = doc.sentence_of_token()
            groups = [[make_evidence(doc, s, e, sent_of)] for s, e in spans]
            fold, split = idx // 100, _fold_split(idx)
            meta = {"fold": fold, "source_file": f.name}
            built[split].append(finish_example(Example(docid, [docid], LABELS[pol], None, groups, metadata=meta)))
    if problems:
        raise DataErrors(problems)
    for split in splits or ():
        if not built.get(split):
            raise MissingSplitError(name, split, [k for k, v in built.items() if v], list(skipped))
    for exs in built.values():
        exs.sort(key=lambda ex: ex.id)
    data = {k: v for k, v in built.items() if v}
    return Dataset(name, data, documents, sorted({LABELS[p] for p, _ in folders}), source=str(root),
                   metadata={"format": "zaidan", "aligned_to": str(eraser_docs) if eraser_docs else None},
                   unloaded_ids={k: frozenset(v) for k, v in skipped.items()})


def is_zaidan_dir(path: Path) -> bool:
    """Whether ``path`` holds Zaidan et al. (2007) ``withRats_neg/`` or ``withRats_pos/`` folders."""
    return path.is_dir() and ((path / "withRats_neg").is_dir() or (path / "withRats_pos").is_dir())


register_loader("zaidan", load_zaidan, is_zaidan_dir, "Zaidan et al. 2007 withRats_{neg,pos} with inline <NEG>/<POS> tags",
                partial=True)

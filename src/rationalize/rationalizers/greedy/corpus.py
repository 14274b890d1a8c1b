"""Greedy rationalization of a corpus: read, validate every record up front, run, append, resume.

Input: JSON Lines, one ``{"id": ..., "text": ..., "target_positions": [..] (optional), "rationale": [[start,
end], ...] (optional human annotation as character spans, as in the paper's annotated LAMBADA)}`` per line.
Without ``target_positions`` the targets are chosen by ``targets``: ``"next"`` (the model's prediction after the
text), ``"all"`` (every token 1..n-1) or ``"last-word"`` (the tokens of the text's last word, the paper's LAMBADA
setting).

Safety, in this order, before the first model call:

1. every line is checked (a JSON object, ``text`` a string, ``target_positions`` a list of integers,
   ``rationale`` a list of ``[start, end]`` pairs): all problems are reported together, as ``file:line: field``;
2. every text is tokenized and its target positions are checked against its length;
3. the output file is checked: each record in it carries the ``run`` that made it (method, parameters, model,
   targets). Resuming is keyed on the record id **and** that run: a file written by another method or with other
   parameters is refused with a clear error, instead of every record being skipped as done.

Output: one record per input line, ``{"id", "run", "tokens", "offsets", "words", "rationales": [...]}`` (plus
``"gold_positions"`` when the input has a ``rationale``); each rationale is a
:class:`~rationalize.rationalizers.greedy.base.SequentialRationale` dict with ``rationale_words`` (indices into
``words``, the word-level view) and its ``seconds``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rationalize.data.jsonl import JsonlAppender, describe, iter_jsonl
from rationalize.errors import DataError, RationalizeError, raise_problems
from rationalize.models.lm import SequenceAdapter
from rationalize.progress import Progress
from rationalize.rationalizers.base import describe_params
from rationalize.rationalizers.greedy.base import PREDICTED, SequentialRationalizer
from rationalize.rationalizers.greedy.words import last_word_positions, positions_of_spans, rationale_words, word_spans

TARGETS = ("next", "all", "last-word")


@dataclass
class CorpusRecord:
    """One validated input line."""

    line: int
    id: str
    text: str
    target_positions: list[int] | None = None
    rationale: list[tuple[int, int]] | None = None


@dataclass
class PreparedRecord:
    """A record with its tokens, character offsets and target positions (checked against its length)."""

    record: CorpusRecord
    ids: list[int]
    offsets: list[tuple[int, int]] | None
    positions: list[int]


def _int_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in v)


def read_corpus(path: str | Path) -> list[CorpusRecord]:
    """Every record of a corpus file, each line checked; all problems raised together (:class:`DataError`)."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, None, None, "does not exist")
    problems: list[DataError] = []
    records: list[CorpusRecord] = []
    seen: dict[str, int] = {}
    for lineno, rec in iter_jsonl(path, errors=problems):
        if not isinstance(rec, dict):
            problems.append(DataError(path, lineno, None, f"is {describe(rec)}, not a JSON object"))
            continue
        bad = False
        if not isinstance(rec.get("text"), str):
            problems.append(DataError(path, lineno, "text", "is missing" if "text" not in rec
                                      else f"is {describe(rec['text'])}, not a string"))
            bad = True
        pos = rec.get("target_positions")
        if pos is not None and not _int_list(pos):
            problems.append(DataError(path, lineno, "target_positions", "must be a list of integers"))
            bad = True
        spans = rec.get("rationale")
        if spans is not None and not (isinstance(spans, list) and all(_int_list(s) and len(s) == 2 and s[0] <= s[1]
                                                                      for s in spans)):
            problems.append(DataError(path, lineno, "rationale", "must be a list of [start, end] character spans"))
            bad = True
        rid = str(rec.get("id", f"line{lineno}"))
        if rid in seen:
            problems.append(DataError(path, lineno, "id", f"{rid!r} repeats the id of line {seen[rid]}"))
            bad = True
        seen.setdefault(rid, lineno)
        if not bad:
            records.append(CorpusRecord(lineno, rid, rec["text"], pos,
                                        None if spans is None else [(int(a), int(b)) for a, b in spans]))
    raise_problems(problems)
    if not records:
        raise DataError(path, None, None, "contains no records")
    return records


def prepare(records: Sequence[CorpusRecord], adapter: SequenceAdapter, path: str | Path, targets: str = "next"
            ) -> list[PreparedRecord]:
    """Tokenize every record and choose its targets; every out-of-range position of every record is reported
    together, before any model call."""
    if targets not in TARGETS:
        raise ValueError(f"targets must be one of {TARGETS}, got {targets!r}")
    problems: list[DataError] = []
    out: list[PreparedRecord] = []
    for rec in records:
        try:
            ids, offsets = adapter.encode_with_offsets(rec.text)
        except RationalizeError:
            ids, offsets = adapter.encode(rec.text), None
        n = len(ids)
        if rec.target_positions is not None:
            bad = [p for p in rec.target_positions if not 1 <= p <= n]
            if bad:
                problems.append(DataError(path, rec.line, "target_positions",
                                          f"{bad[:3]} must lie in 1..{n} (the text has {n} tokens)"))
                continue
            positions = list(rec.target_positions)
        elif targets == "all":
            positions = list(range(1, n))
        elif targets == "last-word":
            if offsets is None:
                raise RationalizeError("targets='last-word' needs a fast tokenizer (character offsets)")
            positions = [p for p in last_word_positions(offsets, rec.text) if p >= 1]
        else:
            positions = [n]
        if not positions or (n < 2 and positions != [n]):
            problems.append(DataError(path, rec.line, "text", f"has no token to explain ({n} tokens)"))
            continue
        if rec.rationale is not None and offsets is None:
            raise RationalizeError("a 'rationale' annotation needs a fast tokenizer (character offsets)")
        out.append(PreparedRecord(rec, ids, offsets, positions))
    raise_problems(problems)
    return out


def method_params(rationalizer: SequentialRationalizer) -> dict[str, Any]:
    """The parameters that shape a rationalizer's results (its public attributes, without ``progress``)."""
    return describe_params({k: v for k, v in sorted(vars(rationalizer).items())
                            if not k.startswith("_") and k != "progress"})


def run_description(rationalizer: SequentialRationalizer, model: str, targets: str) -> dict[str, Any]:
    """What makes one corpus run: method, parameters, model spec and target choice (stored in every record)."""
    return {"method": rationalizer.name, "params": method_params(rationalizer), "model": model, "targets": targets}


def check_resumable(out: str | Path, run: dict[str, Any]) -> set[str]:
    """Ids already written to ``out`` by this same ``run``; any record written by another run (or without a run
    description) is a :class:`DataError` naming its line. A partial last line (a killed run) is dropped."""
    out = Path(out)
    done = JsonlAppender(out, id_field="id").done_ids()  # also drops a partial last line
    if not done:
        return set()
    for lineno, rec in iter_jsonl(out):
        theirs = rec.get("run") if isinstance(rec, dict) else None
        if theirs != run:
            what = ("has no run description (written by an older version)" if theirs is None else
                    f"was written by {theirs.get('method')!r} with {theirs.get('params')} on {theirs.get('model')!r} "
                    f"(targets {theirs.get('targets')!r})")
            raise DataError(out, lineno, "run", f"{what}; this run is {run['method']!r} with {run['params']} on "
                            f"{run['model']!r} (targets {run['targets']!r}): write to another --out")
    return done


def rationalize_record(adapter: SequenceAdapter, rationalizer: SequentialRationalizer, prep: PreparedRecord,
                       run: dict[str, Any]) -> dict[str, Any]:
    """The output record of one prepared input record (see the module docstring)."""
    rec = prep.record
    n = len(prep.ids)
    # the position after the text has no observed token: the model's full-context prediction is explained there
    tids = [PREDICTED if p == n else prep.ids[p] for p in prep.positions] if n in prep.positions else None
    results = rationalizer.rationalize(adapter, [prep.ids], [prep.positions], None if tids is None else [tids])
    words = word_spans(rec.text) if prep.offsets is not None else None
    rats = []
    for r in results:
        d = r.to_dict()
        if words is not None and prep.offsets is not None:
            d["rationale_words"] = rationale_words(r.rationale_positions, prep.offsets, words)
        rats.append(d)
    out: dict[str, Any] = {"id": rec.id, "run": run, "tokens": adapter.token_strings(prep.ids)}
    if prep.offsets is not None:
        out["offsets"] = [list(o) for o in prep.offsets]
        out["words"] = [list(w) for w in words or []]
    if rec.rationale is not None and prep.offsets is not None:
        out["gold_positions"] = positions_of_spans(rec.rationale, prep.offsets)
    out["rationales"] = rats
    return out


@dataclass
class CorpusReport:
    """What a corpus run did: records written now, records found done, and the output path."""

    written: int
    skipped: int
    out: Path


def run_corpus(adapter: SequenceAdapter, rationalizer: SequentialRationalizer, records: Sequence[CorpusRecord],
               input_path: str | Path, out: str | Path, *, model: str, targets: str = "next", progress: bool = True,
               on_record: Callable[[dict[str, Any]], None] | None = None) -> CorpusReport:
    """Rationalize every record of ``records`` (read by :func:`read_corpus` from ``input_path``) into ``out``,
    one appended, flushed line per record; records this same run already wrote are skipped (see the module
    docstring for the checks made before the first model call)."""
    prepared = prepare(records, adapter, input_path, targets)
    run = run_description(rationalizer, model, targets)
    done = check_resumable(out, run)
    written = skipped = 0
    with JsonlAppender(out, id_field="id") as app, Progress(len(prepared), "greedy rationales", "record",
                                                            enabled=progress) as bar:
        for prep in prepared:
            if prep.record.id in done:
                skipped += 1
            else:
                rec = rationalize_record(adapter, rationalizer, prep, run)
                app.append(rec)
                written += 1
                if on_record is not None:
                    on_record(rec)
            bar.update()
    return CorpusReport(written, skipped, Path(out))

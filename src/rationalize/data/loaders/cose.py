"""CoS-E (Rajani et al., ACL 2019): free-text explanations and highlighted question spans for
CommonsenseQA (Talmor et al., NAACL 2019) questions.

Layout (as in ``salesforce/cos-e``): ``{version}/cose_{train,dev}_{version}[_processed].jsonl`` with
``{"id", "explanation": {"open-ended", "selected"}}``, joined by id to the CQA questions in
``{version}/{split}_rand_split.jsonl`` (original CQA JSONL) or ``cqa_{version}/{split}_rand_split[.hf_format].jsonl``
(the Hugging Face ``commonsense_qa`` serialisation). ``path`` is the folder holding the version folders, or
a version folder itself (``.../cose/v1.0``).

Mapping to the schema, following ERASER's CoS-E: the document (docid = CQA id) is the question, tokenised
by :func:`tokenize_with_offsets` (``simple``: words and punctuation); the query lists the answer choices
in order, joined by ``" [sep] "``; the label is the answer letter (``A``..``C`` in v1.0, ``A``..``E`` in
v1.11) so the label set stays fixed; ``metadata`` keeps ``choices`` (letter -> text), ``answer_text``, the
raw ``selected`` text and whether it was found in the question. The open-ended explanation goes to
``Example.explanations``; the selected span, where its tokens occur in the question (case-insensitive,
after dropping a ``Question:`` prefix), becomes one evidence group. Splits whose questions are missing
are skipped and named in ``dataset.metadata["skipped"]``. ``dev`` is loaded as ``val``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rationalize.data.jsonl import iter_jsonl
from rationalize.data.loaders._util import finish_example, make_evidence, tokenize_with_offsets
from rationalize.data.registry import register_loader
from rationalize.data.schema import Dataset, Document, Example
from rationalize.errors import DataError, DataErrors

SPLITS = {"train": "train", "dev": "val"}
SEP = " [sep] "
_PREFIX = re.compile(r"^\s*question\s*:\s*", re.IGNORECASE)


def _question_files(root: Path, version: str, split: str) -> list[Path]:
    return [root / version / f"{split}_rand_split.jsonl", root / f"cqa_{version}" / f"{split}_rand_split.jsonl",
            root / f"cqa_{version}" / f"{split}_rand_split.hf_format.jsonl"]


def _parse_question(rec: Any, f: Path, line: int, errs: list[DataError]) -> tuple[str, dict[str, Any]] | None:
    """``(id, {"stem", "choices": {letter: text}, "answer", "concept"})`` from either CQA serialisation."""
    if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
        errs.append(DataError(f, line, "id", "is missing or not a string"))
        return None
    q = rec.get("question")
    if isinstance(q, dict):  # original CQA
        stem, raw = q.get("stem"), q.get("choices")
        ok = isinstance(raw, list) and all(isinstance(c, dict) and isinstance(c.get("label"), str) and isinstance(c.get("text"), str) for c in raw)
        choices = {c["label"]: c["text"] for c in raw} if ok else None
        concept = q.get("question_concept")
    else:  # Hugging Face commonsense_qa
        stem, raw = q, rec.get("choices")
        ok = isinstance(raw, dict) and isinstance(raw.get("label"), list) and isinstance(raw.get("text"), list) \
            and len(raw["label"]) == len(raw["text"])
        choices = dict(zip(raw["label"], raw["text"])) if ok else None
        concept = rec.get("question_concept")
    if not isinstance(stem, str) or not stem.strip():
        errs.append(DataError(f, line, "question", "is missing or empty (an empty document)"))
        return None
    if not choices:
        errs.append(DataError(f, line, "choices", "is missing or malformed"))
        return None
    answer = rec.get("answerKey")
    if answer is not None and answer not in choices:
        errs.append(DataError(f, line, "answerKey", f"{answer!r} is not one of the choices {', '.join(choices)}"))
        return None
    return rec["id"], {"stem": stem, "choices": choices, "answer": answer, "concept": concept}


def _find(needle: list[str], hay: list[str]) -> int:
    n = len(needle)
    for i in range(len(hay) - n + 1):
        if hay[i:i + n] == needle:
            return i
    return -1


def load_cose(path: str | Path, version: str = "v1.11", processed: bool = False, name: str = "cose") -> Dataset:
    """Load CoS-E ``version`` (``v1.0`` or ``v1.11``) joined with its CQA questions; ``processed`` picks the
    authors' cleaned ``*_processed.jsonl`` files. Raises :class:`DataErrors` with every problem."""
    root = Path(path)
    if root.name in ("v1.0", "v1.11"):
        root, version = root.parent, root.name
    problems: list[DataError] = []
    documents: dict[str, Document] = {}
    splits: dict[str, list[Example]] = {}
    skipped: dict[str, str] = {}
    suffix = "_processed" if processed else ""
    for src_split, split in SPLITS.items():
        cose_file = root / version / f"cose_{src_split}_{version}{suffix}.jsonl"
        if not cose_file.exists():
            continue
        qfile = next((f for f in _question_files(root, version, src_split) if f.exists()), None)
        if qfile is None:
            skipped[split] = f"no CQA {version} {src_split} questions next to {cose_file.name}"
            continue
        questions: dict[str, dict[str, Any]] = {}
        try:
            for line, rec in iter_jsonl(qfile):
                parsed = _parse_question(rec, qfile, line, problems)
                if parsed:
                    questions[parsed[0]] = parsed[1]
            records = list(iter_jsonl(cose_file))
        except DataError as exc:
            problems.append(exc)
            continue
        examples = splits.setdefault(split, [])
        for line, rec in records:
            expl = rec.get("explanation") if isinstance(rec, dict) else None
            if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
                problems.append(DataError(cose_file, line, "id", "is missing or not a string"))
                continue
            if not (isinstance(expl, dict) and isinstance(expl.get("open-ended"), str) and isinstance(expl.get("selected"), str)):
                problems.append(DataError(cose_file, line, "explanation", "must have string fields 'open-ended' and 'selected'"))
                continue
            q = questions.get(rec["id"])
            if q is None:
                problems.append(DataError(cose_file, line, "id", f"{rec['id']!r} has no CQA question in {qfile.name}"))
                continue
            if q["answer"] is None:
                problems.append(DataError(qfile, None, "answerKey", f"is missing for question {rec['id']!r}"))
                continue
            eid = rec["id"]
            if eid in documents:
                problems.append(DataError(cose_file, line, "id", f"{eid!r} is a duplicate"))
                continue
            tokens = [t for t, _, _ in tokenize_with_offsets(q["stem"], "simple")]
            doc = Document(eid, tokens, [(0, len(tokens))])
            documents[eid] = doc
            selected = expl["selected"]
            sel = [t.lower() for t, _, _ in tokenize_with_offsets(_PREFIX.sub("", selected), "simple")]
            at = _find(sel, [t.lower() for t in tokens]) if sel else -1
            groups = [[make_evidence(doc, at, at + len(sel))]] if at >= 0 else []
            letters = sorted(q["choices"])
            meta = {"choices": {k: q["choices"][k] for k in letters}, "answer_text": q["choices"][q["answer"]],
                    "selected": selected, "selected_in_question": at >= 0}
            if q["concept"] is not None:
                meta["question_concept"] = q["concept"]
            explanations = [expl["open-ended"]] if expl["open-ended"].strip() else []
            examples.append(finish_example(Example(eid, [eid], q["answer"], SEP.join(q["choices"][k] for k in letters),
                                                   groups, explanations, meta)))
    if problems:
        raise DataErrors(problems)
    if not splits:
        why = "; ".join(skipped.values()) or f"no {version}/cose_{{train,dev}}_{version}.jsonl"
        raise DataError(root, None, None, f"has no loadable CoS-E split ({why})")
    labels = sorted({ex.label for v in splits.values() for ex in v})  # type: ignore[type-var]
    return Dataset(name, splits, documents, labels, source=str(root),  # type: ignore[arg-type]
                   metadata={"format": "cose", "version": version, "processed": processed, "skipped": skipped})


def is_cose_dir(path: Path) -> bool:
    """Whether ``path`` is a CoS-E folder: a version folder with ``cose_*.jsonl`` or one holding such folders."""
    if not path.is_dir():
        return False
    if path.name in ("v1.0", "v1.11"):
        return any(path.glob("cose_*.jsonl"))
    return any(path.glob("v1.*/cose_*.jsonl"))


register_loader("cose", load_cose, is_cose_dir, "CoS-E {v1.0,v1.11}/cose_*.jsonl joined with CQA questions")

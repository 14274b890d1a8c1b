"""Hugging Face ``datasets`` bridge: ``hf:NAME[:CONFIG]`` loads a Hub dataset with the real
:func:`datasets.load_dataset` and converts it to the shared schema.

Converters exist for the rationale datasets on the Hub (the name's last path part selects one):

* ``movie_rationales`` (ERASER movies): ``review`` text, ``label`` (NEG/POS), ``evidences`` as strings; each
  evidence string is located in the whitespace tokens of the review (first occurrence) and becomes its
  own evidence group; strings not found are counted in ``dataset.metadata["unaligned_evidences"]``;
* ``hatexplain``: converted to the official record and read by :mod:`.hatexplain` (same majority rule);
* ``esnli``: premise / hypothesis (raw text, ``simple`` tokeniser), label, ``explanation_1..3``;
* ``cos_e``: question, choices, answer, ``abstractive_explanation``, ``extractive_explanation``.

Any other dataset is read as generic records (:mod:`.generic` field names: ``text``, ``label``, ...).
Offline (``HF_HUB_OFFLINE=1`` or no network) a dataset that is not in the local ``datasets`` cache fails
with a :class:`DataError` saying what to do instead: use the local copy with its loader, or cache it once
on a machine with network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rationalize.data.loaders._util import finish_example, make_evidence, tokenize_with_offsets
from rationalize.data.loaders.generic import GenericFormat, parse_record
from rationalize.data.loaders.hatexplain import majority, parse_post
from rationalize.data.registry import register_loader
from rationalize.data.schema import Dataset, Document, Example
from rationalize.errors import DataError, DataErrors

# Short names -> Hub repositories (any other name is passed to load_dataset unchanged).
HUB_IDS = {
    "movie_rationales": "eraser-benchmark/movie_rationales",
    "hatexplain": "Hate-speech-CNERG/hatexplain",
    "esnli": "esnli/esnli",
    "cos_e": "Salesforce/cos_e",
}
DEFAULT_CONFIGS = {"cos_e": "v1.11"}
LOCAL_HINTS = {
    "movie_rationales": "the ERASER movies folder (rationalize data info /path/to/movies) or the raw Zaidan files (zaidan:PATH)",
    "hatexplain": "a HateXplain folder with hatexplain:PATH",
    "esnli": "the e-SNLI line-aligned files with esnli:PATH",
    "cos_e": "the CoS-E + CommonsenseQA files with cose:PATH",
}
SPLITS = {"train": "train", "validation": "val", "val": "val", "dev": "val", "test": "test"}


def _label_names(features: Any, column: str) -> list[str] | None:
    feat = features.get(column) if features is not None else None
    return list(feat.names) if hasattr(feat, "names") else None


def _as_label(value: Any, names: list[str] | None) -> str | None:
    if value is None or (isinstance(value, int) and value < 0):  # -1: unlabeled (e.g. SNLI test pairs)
        return None
    return names[value] if names is not None and isinstance(value, int) else str(value)


def _find(needle: list[str], hay: list[str]) -> int:
    n = len(needle)
    return next((i for i in range(len(hay) - n + 1) if hay[i:i + n] == needle), -1) if n else -1


def convert(kind: str, split: str, rows: Iterable[dict[str, Any]], features: Any, documents: dict[str, Document],
            problems: list[DataError], stats: dict[str, int]) -> list[Example]:
    """Convert the rows of one split of a Hub dataset (``kind`` picks the converter)."""
    src = Path(f"hf:{kind}[{split}]")
    out: list[Example] = []
    for i, row in enumerate(rows):
        eid = f"{split}_{i}"
        if kind == "movie_rationales":
            tokens = str(row.get("review") or "").split()
            if not tokens:
                problems.append(DataError(src, i + 1, "review", "is empty (an empty document)"))
                continue
            doc = Document.from_text(eid, row["review"])
            groups = []
            for ev in row.get("evidences") or []:
                at = _find(ev.split(), doc.tokens)
                if at < 0:
                    stats["unaligned_evidences"] = stats.get("unaligned_evidences", 0) + 1
                    continue
                groups.append([make_evidence(doc, at, at + len(ev.split()))])
            documents[eid] = doc
            out.append(finish_example(Example(eid, [eid], _as_label(row.get("label"), _label_names(features, "label")), None, groups)))
        elif kind == "hatexplain":
            names = None
            ann_feat = features.get("annotators") if features is not None else None
            if isinstance(ann_feat, dict) and hasattr(ann_feat.get("label"), "feature"):
                names = list(ann_feat["label"].feature.names)
            elif hasattr(ann_feat, "feature") and isinstance(ann_feat.feature, dict):
                names = list(ann_feat.feature["label"].names)
            ann = row.get("annotators") or {}
            labels = [_as_label(v, names) for v in ann.get("label", [])]
            post = {"post_id": row.get("id", eid), "post_tokens": row.get("post_tokens"), "rationales": row.get("rationales") or [],
                    "annotators": [{"label": lab, "annotator_id": aid, "target": tgt}
                                   for lab, aid, tgt in zip(labels, ann.get("annotator_id", []), ann.get("target", []))]}
            doc, ex, errs = parse_post(str(post["post_id"]), post, src, i + 1)
            problems.extend(errs)
            if doc is not None and ex is not None:
                if majority(labels) is None:  # type: ignore[arg-type]
                    stats["undecided"] = stats.get("undecided", 0) + 1
                    continue
                documents[doc.docid] = doc
                out.append(finish_example(ex))
        elif kind == "esnli":
            label = _as_label(row.get("label"), _label_names(features, "label"))
            if label is None:
                stats["unlabeled"] = stats.get("unlabeled", 0) + 1
                continue
            docids = [f"{eid}_premise", f"{eid}_hypothesis"]
            ok = True
            for docid, col in zip(docids, ("premise", "hypothesis")):
                toks = [t for t, _, _ in tokenize_with_offsets(str(row.get(col) or ""), "simple")]
                if not toks:
                    problems.append(DataError(src, i + 1, col, "is empty (an empty document)"))
                    ok = False
                documents[docid] = Document(docid, toks, [(0, len(toks))])
            expl = [str(row[k]).strip() for k in ("explanation_1", "explanation_2", "explanation_3") if str(row.get(k) or "").strip()]
            if ok:
                out.append(finish_example(Example(eid, docids, label, None, [], expl)))
        elif kind == "cos_e":
            choices = list(row.get("choices") or [])
            letters = [chr(ord("A") + k) for k in range(len(choices))]
            if row.get("answer") not in choices:
                problems.append(DataError(src, i + 1, "answer", f"{row.get('answer')!r} is not one of the choices"))
                continue
            eid = str(row.get("id") or eid)
            toks = [t for t, _, _ in tokenize_with_offsets(str(row.get("question") or ""), "simple")]
            if not toks:
                problems.append(DataError(src, i + 1, "question", "is empty (an empty document)"))
                continue
            doc = Document(eid, toks, [(0, len(toks))])
            documents[eid] = doc
            selected = str(row.get("extractive_explanation") or "")
            sel = [t.lower() for t, _, _ in tokenize_with_offsets(selected, "simple")]
            at = _find(sel, [t.lower() for t in toks])
            groups = [[make_evidence(doc, at, at + len(sel))]] if at >= 0 else []
            expl = [str(row["abstractive_explanation"])] if str(row.get("abstractive_explanation") or "").strip() else []
            meta = {"choices": dict(zip(letters, choices)), "answer_text": row["answer"], "selected": selected,
                    "selected_in_question": at >= 0}
            out.append(finish_example(Example(eid, [eid], letters[choices.index(row["answer"])], " [sep] ".join(choices),
                                              groups, expl, meta)))
        else:
            doc, ex, errs = parse_record(dict(row), src, i + 1, split, GenericFormat())
            problems.extend(errs)
            if doc is not None and ex is not None:
                documents[doc.docid] = doc
                out.append(finish_example(ex))
    return out


def load_hf(name: str, hf_load: Callable[..., Any] | None = None) -> Dataset:
    """Load ``NAME[:CONFIG]`` from the Hugging Face Hub (or the local ``datasets`` cache).

    ``hf_load`` replaces :func:`datasets.load_dataset` (it gets ``(repo_id, config)`` and returns a
    ``DatasetDict``), e.g. to convert an already-built dataset.
    """
    name = str(name)
    base, _, config = name.partition(":")
    kind = base.rstrip("/").split("/")[-1]
    repo = HUB_IDS.get(base, base)
    config = config or DEFAULT_CONFIGS.get(kind) or None  # type: ignore[assignment]
    if hf_load is None:
        try:
            from datasets import load_dataset as hf_load  # type: ignore[no-redef]
        except ImportError:
            raise DataError(f"hf:{name}", None, None, "needs the Hugging Face datasets package: pip install 'rationalize[hf]'") from None
    try:
        dsdict = hf_load(repo, config) if config else hf_load(repo)
    except Exception as exc:  # noqa: BLE001  (the Hub client raises many types; all mean "not available")
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        hint = LOCAL_HINTS.get(kind, "a local copy (rationalize data convert SRC OUT_DIR --from jsonl|csv)")
        raise DataError(f"hf:{name}", None, None,
                        f"could not be loaded from the Hugging Face Hub as {repo!r} ({type(exc).__name__}: {reason}). "
                        f"Offline (HF_HUB_OFFLINE=1 or no network) it must already be in the local datasets cache: "
                        f"run datasets.load_dataset({repo!r}) once with network, or load {hint} instead") from None
    problems: list[DataError] = []
    documents: dict[str, Document] = {}
    splits: dict[str, list[Example]] = {}
    stats: dict[str, int] = {}
    for hf_split in dsdict:
        split = SPLITS.get(hf_split, hf_split)
        part = dsdict[hf_split]
        splits[split] = convert(kind, split, part, getattr(part, "features", None), documents, problems, stats)
    if problems:
        raise DataErrors(problems)
    labels = sorted({ex.label for v in splits.values() for ex in v if ex.label is not None})
    return Dataset(kind, splits, documents, labels, source=f"hf:{name}", metadata={"format": "hf", "repo": repo, **stats})


register_loader("hf", load_hf, lambda path: False, "Hugging Face Hub datasets: hf:movie_rationales, hf:hatexplain, hf:esnli, hf:cos_e, hf:OWNER/NAME")

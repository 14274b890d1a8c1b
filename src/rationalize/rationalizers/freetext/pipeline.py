"""End-to-end API behind ``rationalize generate`` and ``rationalize evaluate-freetext``.

:func:`generate_rationales` writes one JSONL record per example, incrementally (a killed run resumes
where it stopped); :func:`read_freetext_results` validates such a file; :func:`evaluate_freetext` scores
it against the dataset: accuracy and parse rate, LAS with its bootstrap interval (Hase et al. 2020),
BLEU/ROUGE-L against the human explanations, length and readability, self-consistency agreement, and,
when given a generator, the chain-of-thought faithfulness probes.

A results record::

    {"id": ..., "input": {"premise": ..., "hypothesis": ...}, "prompt": ..., "gold": ...,
     "label": <parsed answer or null>, "status": "ok" | "unparseable" | "ambiguous" | "tie",
     "explanation": <the rationale>, "explanations": [<rationales that agree with the answer>],
     "outputs": [{"text", "label", "explanation", "status", "reason", "n_tokens"}, ...],
     "votes": {label: count} (several samples only), "format": ..., "style": ..., "model": ...}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rationalize.data.jsonl import JsonlAppender, iter_jsonl
from rationalize.data.schema import Dataset, Example
from rationalize.errors import DataError, DataErrors
from rationalize.rationalizers.freetext.ensemble import majority_vote
from rationalize.rationalizers.freetext.generators import GenerationConfig, Generator
from rationalize.rationalizers.freetext.templates import PromptTemplate


def resolve_split(dataset: Dataset, split: str) -> str:
    """``dev`` and ``val`` name the same split (our loaders store the dev split as ``val``)."""
    if split in dataset.splits:
        return split
    alias = {"dev": "val", "val": "dev", "validation": "val"}.get(split)
    if alias in dataset.splits:
        return alias
    dataset[split]  # raises the KeyError that lists the splits
    return split


def input_text(fields: Sequence[tuple[str, str]] | dict[str, str]) -> str:
    """The task input as one string (``"premise: ... hypothesis: ..."``), what the simulator sees as x."""
    items = fields.items() if isinstance(fields, dict) else fields
    return " ".join(f"{k}: {v}" for k, v in items)


def generate_rationales(
    generator: Generator,
    dataset: Dataset,
    examples: Sequence[Example],
    template: PromptTemplate,
    out: str | Path,
    config: GenerationConfig | None = None,
    samples: int = 1,
    progress: bool = True,
) -> Path:
    """Generate a rationale and an answer for each example into ``out`` (JSONL, resumable).

    ``samples > 1`` samples that many outputs per example (``config``'s temperature, default 0.7) and
    majority-votes the answer (self-consistency); ``explanations`` then keeps the agreeing rationales.
    """
    from rationalize.progress import Progress

    cfg = config or GenerationConfig()
    if samples > 1:
        cfg = GenerationConfig(**{**cfg.__dict__, "do_sample": True, "num_return_sequences": samples,
                                  "temperature": cfg.temperature if cfg.do_sample else 0.7})
    appender = JsonlAppender(out, id_field="id")
    done = appender.done_ids()
    todo = [ex for ex in examples if ex.id not in done]
    with appender, Progress(total=len(todo), desc="generate", unit="example", enabled=progress) as bar:
        for start in range(0, len(todo), cfg.batch_size):
            chunk = todo[start : start + cfg.batch_size]
            prompts = [template.prompt(ex, dataset) for ex in chunk]
            outs = generator.generate(prompts, cfg)
            for ex, prompt, gens in zip(chunk, prompts, outs):
                cands = template.task.candidates(ex, dataset)
                parsed = [template.parse(g.text, cands) for g in gens]
                rec: dict[str, Any] = {
                    "id": ex.id, "input": dict(template.task.fields(ex, dataset)), "prompt": prompt,
                    "gold": template.task.gold(ex, dataset), "candidates": cands,
                    "outputs": [{**p.to_dict(), "n_tokens": g.n_tokens} for p, g in zip(parsed, gens)],
                    "format": template.format, "style": template.style, "model": generator.name,
                }
                if len(parsed) == 1:
                    p = parsed[0]
                    rec.update(label=p.label, status=p.status, explanation=p.explanation,
                               explanations=[p.explanation] if p.ok else [])
                else:
                    vote = majority_vote(parsed)
                    rec.update(label=vote.label, status=vote.status, votes=vote.votes, agreement=vote.agreement,
                               explanations=vote.explanations,
                               explanation=vote.explanations[0] if vote.explanations else "")
                appender.append(rec)
            bar.update(len(chunk))
    return Path(out)


_REQUIRED = {"id": str, "label": (str, type(None)), "explanation": str, "status": str, "input": dict}


def read_freetext_results(path: str | Path, dataset: Dataset | None = None, split: str | None = None) -> list[dict[str, Any]]:
    """Read and validate a results file; every problem (file, line, field) is reported at once."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, None, None, "does not exist")
    known = {ex.id for ex in dataset[split]} if dataset is not None and split is not None else None
    records, problems, seen = [], [], set()
    for line, rec in iter_jsonl(path):
        if not isinstance(rec, dict):
            problems.append(DataError(path, line, None, "is not a JSON object"))
            continue
        bad = False
        for key, typ in _REQUIRED.items():
            if key not in rec:
                problems.append(DataError(path, line, key, "is missing"))
                bad = True
            elif not isinstance(rec[key], typ):
                problems.append(DataError(path, line, key, f"has the wrong type ({type(rec[key]).__name__})"))
                bad = True
        if bad:
            continue
        if known is not None and rec["id"] not in known:
            problems.append(DataError(path, line, "id", f"{rec['id']!r} is not an example of split {split!r}"))
            continue
        if rec["id"] in seen:
            problems.append(DataError(path, line, "id", f"{rec['id']!r} appears twice"))
            continue
        seen.add(rec["id"])
        records.append(rec)
    if problems:
        raise DataErrors(problems)
    if not records:
        raise DataError(path, None, None, "holds no results")
    return records


def _clean(x: Any) -> Any:
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    return x


def _groups(records: Sequence[dict[str, Any]], folds: int) -> list[str] | None:
    """Cross-validation groups: the first input field (the premise, the document, the question), so that
    examples sharing it stay in one fold; ``None`` when there are too few distinct values."""
    firsts = [str(next(iter(r["input"].values()), "")) for r in records]
    return firsts if len(set(firsts)) >= folds and len(set(firsts)) < len(firsts) else None


def evaluate_freetext(
    records: Sequence[dict[str, Any]],
    dataset: Dataset | None = None,
    split: str | None = None,
    train_records: Sequence[dict[str, Any]] | None = None,
    simulator: str = "tfidf",
    folds: int = 5,
    n_boot: int = 1000,
    seed: int = 0,
    generator: Generator | None = None,
    template: PromptTemplate | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Scores of a results file: ``(scores, per_example)``.

    ``scores["las"]`` is LAS over the examples with a parsed answer (the simulator simulates the
    model's answers), with ``simulator_training`` saying whether it was trained on ``train_records`` or by
    ``folds``-fold cross-validation. Human explanations come from the dataset (``Example.explanations``).
    With ``generator`` and ``template`` the CoT faithfulness probes run too.
    """
    from rationalize.metrics.freetext import (
        cot_faithfulness_probes, flesch_reading_ease, length_and_readability, simulate_las, text_similarity,
    )

    index = {ex.id: ex for ex in dataset[split]} if dataset is not None and split is not None else {}
    golds = [r.get("gold") if r.get("gold") is not None else (index[r["id"]].label if r["id"] in index else None)
             for r in records]
    parsed = [r for r in records if r["label"] is not None]
    scores: dict[str, Any] = {"n": len(records), "parsed": len(parsed),
                              "parse_rate": len(parsed) / len(records),
                              "status_counts": {s: sum(1 for r in records if r["status"] == s)
                                                for s in sorted({r["status"] for r in records})}}
    with_gold = [(r, g) for r, g in zip(records, golds) if g is not None]
    if with_gold:
        scores["accuracy"] = sum(r["label"] == g for r, g in with_gold) / len(with_gold)
        scores["accuracy_note"] = "unparseable outputs count as wrong"
    per = [{"id": r["id"], "input": r["input"], "explanation": r["explanation"],
            "explanations": r.get("explanations", []), "label": r["label"], "gold": g, "status": r["status"],
            "correct": (r["label"] == g) if g is not None else None, "tokens": len(r["explanation"].split()),
            "flesch_reading_ease": flesch_reading_ease(r["explanation"])} for r, g in zip(records, golds)]
    # LAS
    if len(parsed) >= max(folds, 2) or (train_records and parsed):
        train = None
        if train_records:
            tr = [r for r in train_records if r["label"] is not None]
            train = ([input_text(r["input"]) for r in tr], [r["explanation"] for r in tr], [r["label"] for r in tr])
        las_out = simulate_las([input_text(r["input"]) for r in parsed], [r["explanation"] for r in parsed],
                               [r["label"] for r in parsed], train=train, simulator=simulator, k=folds, seed=seed,
                               n_boot=n_boot, return_predictions=True, groups=_groups(parsed, folds))
        preds = las_out.pop("predictions")
        pos = {r["id"]: i for i, r in enumerate(parsed)}
        for p in per:
            if p["id"] in pos:
                i = pos[p["id"]]
                p["simulator"] = {v: preds[v][i] for v in ("x", "e", "xe")}
                p["leaked"] = preds["e"][i] == p["label"]
        las_out["note"] = f"over the {len(parsed)} of {len(records)} examples whose answer parsed"
        scores["las"] = las_out
    else:
        scores["las"] = {"las": None, "note": f"only {len(parsed)} parsed answers: too few to train a simulator"}
    # similarity to human explanations
    refs = [list(index[r["id"]].explanations) if r["id"] in index else [] for r in records]
    if any(refs):
        scores["similarity"] = text_similarity([r["explanation"] for r in records], refs)
        from rouge_score import rouge_scorer

        scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
        for p, rr in zip(per, refs):
            rr = [x for x in rr if x.strip()]
            if rr:
                p["rougeL"] = scorer.score_multi(rr, p["explanation"])["rougeL"].fmeasure
        scores["human_length_and_readability"] = length_and_readability([x for rr in refs for x in rr[:1]])
    scores["length_and_readability"] = length_and_readability([r["explanation"] for r in records])
    if any("agreement" in r for r in records):
        ag = [r["agreement"] for r in records if "agreement" in r]
        scores["self_consistency"] = {"mean_agreement": sum(ag) / len(ag),
                                      "ties": sum(1 for r in records if r["status"] == "tie")}
    if generator is not None and template is not None:
        scores["cot_probes"] = cot_faithfulness_probes(
            generator, template, [r["prompt"] for r in records], [r["label"] for r in records],
            [r["explanation"] for r in records], [r.get("candidates") or [] for r in records])
    return _clean(scores), _clean(per)

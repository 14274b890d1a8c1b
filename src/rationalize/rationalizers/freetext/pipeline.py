"""End-to-end API behind ``rationalize generate``: rationales and answers from a generator, to a file.

:func:`generate_rationales` writes one JSONL record per example, incrementally (a killed run resumes
where it stopped); :func:`iter_rationales` yields the same records in memory; :func:`read_freetext_results` validates such a file. Scoring it (accuracy and parse
rate, LAS with its bootstrap interval, BLEU/ROUGE-L, length and readability, self-consistency agreement)
is :func:`rationalize.metrics.freetext.evaluate_freetext`, behind ``rationalize evaluate-freetext``; the
chain-of-thought faithfulness probes, which need the generator again, are
:func:`rationalize.rationalizers.freetext.probes.probe_records`.

A results record::

    {"id": ..., "input": {"premise": ..., "hypothesis": ...}, "prompt": ..., "gold": ...,
     "label": <parsed answer or null>, "status": "ok" | "unparseable" | "ambiguous" | "tie",
     "explanation": <the rationale>, "explanations": [<rationales that agree with the answer>],
     "outputs": [{"text", "label", "explanation", "status", "reason", "n_tokens"}, ...],
     "votes": {label: count} (several samples only), "format": ..., "style": ..., "model": ...}
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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


def _sampling_config(config: GenerationConfig | None, samples: int) -> GenerationConfig:
    """``config`` (default: greedy decoding), switched to sampling ``samples`` outputs when ``samples > 1``."""
    cfg = config or GenerationConfig()
    if samples > 1:
        cfg = GenerationConfig(**{**cfg.__dict__, "do_sample": True, "num_return_sequences": samples,
                                  "temperature": cfg.temperature if cfg.do_sample else 0.7})
    return cfg


def iter_rationales(
    generator: Generator,
    dataset: Dataset,
    examples: Sequence[Example],
    template: PromptTemplate,
    config: GenerationConfig | None = None,
    samples: int = 1,
    progress: bool = True,
) -> Iterator[dict[str, Any]]:
    """The results records of ``examples`` (see the module docstring), in memory, one batch of
    ``config.batch_size`` prompts per ``generate`` call; :func:`generate_rationales` writes them to a file.

    ``samples > 1`` samples that many outputs per example (``config``'s temperature, default 0.7) and
    majority-votes the answer (self-consistency); ``explanations`` then keeps the agreeing rationales.
    """
    from rationalize.progress import Progress

    cfg = _sampling_config(config, samples)
    with Progress(total=len(examples), desc="generate", unit="example", enabled=progress) as bar:
        for start in range(0, len(examples), cfg.batch_size):
            chunk = examples[start : start + cfg.batch_size]
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
                yield rec
            bar.update(len(chunk))


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
    """Generate a rationale and an answer for each example into ``out`` (JSONL, resumable): the records
    of :func:`iter_rationales`, appended as they are made, skipping the examples ``out`` already holds."""
    appender = JsonlAppender(out, id_field="id")
    done = appender.done_ids()
    todo = [ex for ex in examples if ex.id not in done]
    with appender:
        for rec in iter_rationales(generator, dataset, todo, template, config, samples, progress):
            appender.append(rec)
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

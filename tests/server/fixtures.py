"""Small datasets and results files for the viewer and report tests (shared by tests/server, tests/report)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rationalize.data import load_dataset, make_synthetic, write_eraser
from rationalize.data.results import DocRationale, Result, ThresholdedScores, write_results
from rationalize.data.schema import Dataset

SCRIPT_TOKEN = "<script>alert(1)</script>"
AOPC = (0.01, 0.05, 0.1, 0.2, 0.5)


def write_dataset(folder: Path, val: int = 24) -> tuple[Path, Dataset]:
    """A synthetic ERASER folder whose first val document contains the token ``<script>alert(1)</script>``
    (and a quote/ampersand token), read back through ``load_dataset`` as the CLI would."""
    ds = make_synthetic(seed=3, train=4, val=val, test=4)
    first = ds["val"][0]
    doc = ds.doc(first.docids[0])
    doc.tokens[0] = SCRIPT_TOKEN
    doc.tokens[1] = "\"a&b'"
    path = write_eraser(ds, folder / "data")
    return path, load_dataset(path)


def make_results(ds: Dataset, split: str, seed: int, soft: bool = True, faithfulness: bool = True,
                 skip: int = 0) -> list[Result]:
    """Random but valid results: 1-3 non-overlapping hard spans per document (the first example's span
    always covers the script token), optional soft scores (positive and negative), predictions with
    probabilities, and comprehensiveness/sufficiency/AOPC fields. ``skip`` leaves the last examples out."""
    rng = np.random.default_rng(seed)
    labels = ds.labels
    out = []
    examples = ds[split][: len(ds[split]) - skip] if skip else ds[split]
    for n, ex in enumerate(examples):
        rats = []
        for docid in ex.docids:
            length = len(ds.doc(docid))
            cuts = sorted(rng.choice(np.arange(1, length), size=min(6, length - 1), replace=False).tolist())
            spans = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)][: int(rng.integers(1, 4))]
            if n == 0:
                spans = [(0, 2)] + [(s, e) for s, e in spans if s >= 2]
            scores = (rng.normal(size=length)).round(4).tolist() if soft else None
            rats.append(DocRationale(docid, spans, scores))
        p = rng.dirichlet(np.ones(len(labels)))
        probs = {lab: float(v) for lab, v in zip(labels, p)}
        pred = max(probs, key=probs.get)
        res = Result(ex.id, rats, pred, probs)
        if faithfulness:
            def perturbed() -> dict[str, float]:
                q = rng.dirichlet(np.ones(len(labels)))
                return {lab: float(v) for lab, v in zip(labels, q)}

            res.comprehensiveness_classification_scores = perturbed()
            res.sufficiency_classification_scores = perturbed()
            res.thresholded_scores = [ThresholdedScores(t, perturbed(), perturbed()) for t in AOPC]
        out.append(res)
    return out


def write_fixture(folder: Path) -> dict[str, object]:
    """Dataset folder + two results files (soft+faithfulness, hard-only with a few examples missing)."""
    data, ds = write_dataset(folder)
    a, b = folder / "attention.jsonl", folder / "hard_only.jsonl"
    write_results(a, make_results(ds, "val", seed=1))
    write_results(b, make_results(ds, "val", seed=2, soft=False, faithfulness=False, skip=3))
    return {"data": data, "dataset": ds, "results": [a, b]}

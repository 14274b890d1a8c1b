"""Metrics for free-text rationales: simulatability (LAS), similarity to human explanations, length and
readability, and :func:`evaluate_freetext`, which scores a whole ``rationalize generate`` results file.

**LAS** (leakage-adjusted simulatability, Hase et al. 2020, "Leakage-Adjusted Simulatability: Can Models
Generate Non-Trivial Explanations of Their Behavior in Natural Language?"). A simulator predicts the
*model's* label ``y_hat`` from the input alone (``x``), from the explanation alone (``e``) and from both
(``x+e``). An explanation *leaks* the label when the simulator recovers ``y_hat`` from ``e`` alone. With
``d_i = 1[sim(x+e) = y_hat] - 1[sim(x) = y_hat]``::

    LAS = 1/2 * ( mean_{i leaked} d_i  +  mean_{i not leaked} d_i )

(the mean over the non-empty groups when one is empty). Bootstrap percentile intervals resample
examples. :func:`las` and :func:`las_bootstrap` are pure functions of the four label arrays;
:func:`simulate_las` trains the simulator (TF-IDF + logistic regression, or frozen MiniLM embeddings +
logistic regression) on a separate training portion, or, when there is none, by k-fold cross-validation
over the evaluated examples (each fold's predictions come from a simulator that never saw it).

Everything here is a function of texts and labels, so this module imports no rationalizer. The
chain-of-thought faithfulness probes (Lanham et al. 2023) need the model that wrote the rationales; they are
with the generators, in ``rationalizers/freetext/probes.py``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from rationalize.data.schema import Dataset

# --------------------------------------------------------------------------------------------- LAS


def _las_parts(correct_x: np.ndarray, correct_xe: np.ndarray, leaked: np.ndarray) -> tuple[float, float, float]:
    diff = correct_xe.astype(float) - correct_x.astype(float)
    groups = [diff[leaked], diff[~leaked]]
    means = [float(g.mean()) if g.size else float("nan") for g in groups]
    present = [m for m in means if not np.isnan(m)]
    return (float(np.mean(present)) if present else float("nan")), means[0], means[1]


def las(model_labels: Sequence[Any], sim_x: Sequence[Any], sim_e: Sequence[Any], sim_xe: Sequence[Any]) -> dict[str, float]:
    """LAS from the model's labels and the simulator's predictions from x, e and x+e.

    Returns ``las``, ``leaked_delta`` / ``nonleaked_delta`` (the two group means), ``leaked_fraction``,
    and the simulator accuracies ``acc_x``, ``acc_e``, ``acc_xe`` (agreement with the model).
    """
    y = np.asarray(model_labels, dtype=object)
    arrays = [np.asarray(a, dtype=object) for a in (sim_x, sim_e, sim_xe)]
    if any(a.shape != y.shape for a in arrays) or y.ndim != 1:
        raise ValueError("model_labels, sim_x, sim_e and sim_xe must be 1-d and of the same length")
    if y.size == 0:
        raise ValueError("LAS needs at least one example")
    cx, ce, cxe = (a == y for a in arrays)
    value, leak_d, non_d = _las_parts(cx, cxe, ce)
    return {"las": value, "leaked_delta": leak_d, "nonleaked_delta": non_d, "leaked_fraction": float(ce.mean()),
            "n": int(y.size), "n_leaked": int(ce.sum()), "acc_x": float(cx.mean()), "acc_e": float(ce.mean()),
            "acc_xe": float(cxe.mean())}


def las_bootstrap(
    model_labels: Sequence[Any], sim_x: Sequence[Any], sim_e: Sequence[Any], sim_xe: Sequence[Any],
    n_boot: int = 1000, alpha: float = 0.05, seed: int = 0,
) -> dict[str, float]:
    """:func:`las` plus a ``1 - alpha`` bootstrap percentile interval (``ci_low``, ``ci_high``) from
    ``n_boot`` resamples of the examples (seeded)."""
    out = las(model_labels, sim_x, sim_e, sim_xe)
    y = np.asarray(model_labels, dtype=object)
    cx, ce, cxe = (np.asarray(a, dtype=object) == y for a in (sim_x, sim_e, sim_xe))
    rng = np.random.default_rng(seed)
    stats = np.empty(n_boot)
    for b in range(n_boot):
        idx = rng.integers(0, y.size, y.size)
        stats[b] = _las_parts(cx[idx], cxe[idx], ce[idx])[0]
    stats = stats[~np.isnan(stats)]
    out.update(ci_low=float(np.quantile(stats, alpha / 2)), ci_high=float(np.quantile(stats, 1 - alpha / 2)),
               confidence=1 - alpha, n_boot=int(n_boot))
    return out


def _logreg(C: float, seed: int, n_classes: int) -> Any:
    """Logistic regression: liblinear for two classes (fast on small data), lbfgs (multinomial) else."""
    from sklearn.linear_model import LogisticRegression

    solver = "liblinear" if n_classes == 2 else "lbfgs"
    return LogisticRegression(C=C, solver=solver, max_iter=1000, random_state=seed)


class TfidfSimulator:
    """A cheap simulator: TF-IDF unigrams and bigrams + logistic regression (scikit-learn). A training
    set with a single label predicts that label."""

    def __init__(self, seed: int = 0, C: float = 10.0):
        self.seed = seed
        self.C = C

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TfidfSimulator:
        """Train the simulator to predict ``labels`` from ``texts``; returns self."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.constant_ = labels[0] if len(set(labels)) == 1 else None
        if self.constant_ is None:
            self.vectorizer_ = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
            feats = self.vectorizer_.fit_transform(list(texts))
            self.model_ = _logreg(self.C, self.seed, len(set(labels))).fit(feats, list(labels))
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Predicted labels of ``texts`` (the fitted simulator)."""
        if self.constant_ is not None:
            return [self.constant_] * len(texts)
        return list(self.model_.predict(self.vectorizer_.transform(list(texts))))


class MiniLMSimulator(TfidfSimulator):
    """Frozen sentence embeddings (mean-pooled all-MiniLM-L6-v2, alias ``minilm``) + logistic regression.
    Lighter than Hase et al.'s fine-tuned T5 simulator, and runs on CPU in seconds per thousand texts."""

    def __init__(self, seed: int = 0, C: float = 1.0, model: str = "minilm", batch_size: int = 32):
        super().__init__(seed, C)
        self.model = model
        self.batch_size = batch_size

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        from rationalize.models.sentence import SentenceEncoder

        if not hasattr(self, "_encoder"):
            self._encoder = SentenceEncoder(self.model, batch_size=self.batch_size)
        return self._encoder.encode(texts)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> MiniLMSimulator:
        """Train the logistic regression on the texts' sentence embeddings; returns self."""
        self.constant_ = labels[0] if len(set(labels)) == 1 else None
        if self.constant_ is None:
            self.model_ = _logreg(self.C, self.seed, len(set(labels))).fit(self._embed(texts), list(labels))
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Predicted labels of ``texts`` (the fitted simulator)."""
        if self.constant_ is not None:
            return [self.constant_] * len(texts)
        return list(self.model_.predict(self._embed(texts)))


SIMULATORS: dict[str, Callable[..., Any]] = {"tfidf": TfidfSimulator, "minilm": MiniLMSimulator}


def _views(inputs: Sequence[str], expls: Sequence[str]) -> dict[str, list[str]]:
    return {"x": list(inputs), "e": list(expls), "xe": [f"{x} explanation: {e}" for x, e in zip(inputs, expls)]}


def simulate_las(
    inputs: Sequence[str],
    explanations: Sequence[str],
    model_labels: Sequence[str],
    train: tuple[Sequence[str], Sequence[str], Sequence[str]] | None = None,
    simulator: str | Callable[..., Any] = "tfidf",
    k: int = 5,
    seed: int = 0,
    n_boot: int = 1000,
    alpha: float = 0.05,
    return_predictions: bool = False,
    groups: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """Train simulators on the three views and compute LAS with its bootstrap interval.

    ``train`` = ``(inputs, explanations, model_labels)`` of a separate training portion. Without it the
    simulator is trained by ``k``-fold cross-validation over the evaluated examples, and the output's
    ``simulator_training`` says so. One simulator is fitted per view (x, e, x+e). With
    ``return_predictions`` the simulator's held-out predictions per view are under ``predictions``.
    ``groups`` keeps examples with the same group (e.g. the same premise: e-SNLI pairs one premise with
    three hypotheses of different labels) in the same fold; otherwise a simulator that memorises the
    premise predicts the *other* labels of its group and its x-only accuracy falls below chance.
    """
    from sklearn.model_selection import KFold

    factory = SIMULATORS[simulator] if isinstance(simulator, str) else simulator
    name = simulator if isinstance(simulator, str) else getattr(simulator, "__name__", "custom")
    n = len(model_labels)
    if not (len(inputs) == len(explanations) == n):
        raise ValueError("inputs, explanations and model_labels must have the same length")
    test_views = _views(inputs, explanations)
    preds: dict[str, list[Any]] = {v: [None] * n for v in test_views}
    if train is not None:
        tr_views = _views(train[0], train[1])
        for v in test_views:
            p = factory(seed=seed).fit(tr_views[v], list(train[2])).predict(test_views[v])
            preds[v] = list(p)
        how = f"trained on a separate portion of {len(train[2])} examples"
    else:
        if n < k:
            raise ValueError(f"{n} examples are too few for {k}-fold cross-validation of the simulator")
        if groups is not None:
            if len(groups) != n:
                raise ValueError("groups must have one entry per example")
            from sklearn.model_selection import GroupKFold

            # shuffle the group order with the seed, then let GroupKFold balance fold sizes
            uniq = list(dict.fromkeys(groups))
            order = np.random.default_rng(seed).permutation(len(uniq))
            code = {g: int(order[i]) for i, g in enumerate(uniq)}
            gid = np.array([code[g] for g in groups])
            if len(uniq) < k:
                raise ValueError(f"{len(uniq)} groups are too few for {k}-fold cross-validation of the simulator")
            splits = GroupKFold(n_splits=k).split(np.arange(n), groups=gid)
        else:
            splits = KFold(n_splits=k, shuffle=True, random_state=seed).split(np.arange(n))
        for tr_idx, te_idx in splits:
            for v, texts in test_views.items():
                sim = factory(seed=seed).fit([texts[i] for i in tr_idx], [model_labels[i] for i in tr_idx])
                for i, p in zip(te_idx, sim.predict([texts[i] for i in te_idx])):
                    preds[v][i] = p
        how = f"{k}-fold cross-validation over the {n} evaluated examples (no separate training portion)"
        if groups is not None:
            how += f"; folds grouped by input ({len(set(groups))} groups)"
    out = las_bootstrap(model_labels, preds["x"], preds["e"], preds["xe"], n_boot=n_boot, alpha=alpha, seed=seed)
    out.update(simulator=name, simulator_training=how)
    if return_predictions:
        out["predictions"] = {v: [str(p) for p in ps] for v, ps in preds.items()}
    return out


# ----------------------------------------------------------------- similarity, length, readability


def text_similarity(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> dict[str, float]:
    """Corpus BLEU (sacrebleu, 0-100) and mean ROUGE-L F1 (rouge-score, best over references, 0-1) of
    generated explanations against one or more human explanations each."""
    import sacrebleu
    from rouge_score import rouge_scorer

    if len(hypotheses) != len(references):
        raise ValueError("one list of references per hypothesis")
    pairs = [(h, [r for r in refs if r and r.strip()]) for h, refs in zip(hypotheses, references)]
    pairs = [(h, refs) for h, refs in pairs if refs]
    if not pairs:
        return {"bleu": float("nan"), "rougeL": float("nan"), "n": 0}
    width = max(len(refs) for _, refs in pairs)
    # pad every reference list by repeating its first reference: clipping takes the max count over
    # references and the closest length is unchanged, so a repeated reference changes nothing
    streams = [[refs[j] if j < len(refs) else refs[0] for _, refs in pairs] for j in range(width)]
    bleu = sacrebleu.corpus_bleu([h for h, _ in pairs], streams).score
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    rouge = [scorer.score_multi(refs, h)["rougeL"].fmeasure for h, refs in pairs]
    return {"bleu": float(bleu), "rougeL": float(np.mean(rouge)), "n": len(pairs)}


_VOWELS = re.compile(r"[aeiouy]+")


def count_syllables(word: str) -> int:
    """Heuristic English syllable count: vowel groups, minus a silent final ``e``; at least 1."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 0
    n = len(_VOWELS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and n > 1:
        n -= 1
    return max(n, 1)


def flesch_reading_ease(text: str) -> float:
    """Flesch (1948) reading ease: ``206.835 - 1.015 * words/sentences - 84.6 * syllables/words``
    (higher is easier; NaN for text without words)."""
    words = [w for w in re.findall(r"[A-Za-z']+", text)]
    if not words:
        return float("nan")
    sentences = max(1, len([s for s in re.split(r"[.!?]+", text) if re.search(r"[A-Za-z]", s)]))
    syllables = sum(count_syllables(w) for w in words)
    return 206.835 - 1.015 * len(words) / sentences - 84.6 * syllables / len(words)


def length_and_readability(texts: Sequence[str]) -> dict[str, float]:
    """Mean length in whitespace tokens, share of empty explanations, mean Flesch reading ease."""
    lengths = [len(t.split()) for t in texts]
    fre = [flesch_reading_ease(t) for t in texts if t.strip()]
    return {"mean_tokens": float(np.mean(lengths)) if lengths else 0.0,
            "empty_fraction": float(np.mean([n == 0 for n in lengths])) if lengths else 0.0,
            "flesch_reading_ease": float(np.nanmean(fre)) if fre else float("nan")}


# ---------------------------------------------------------------------------- results files


def input_text(fields: Sequence[tuple[str, str]] | Mapping[str, str]) -> str:
    """The task input as one string (``"premise: ... hypothesis: ..."``), what the simulator sees as x."""
    items = fields.items() if isinstance(fields, Mapping) else fields
    return " ".join(f"{k}: {v}" for k, v in items)


def _clean(x: Any) -> Any:
    """``x`` with every NaN replaced by None, so that the scores are valid JSON (``json`` writes ``NaN``)."""
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
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Scores of the records of a ``rationalize generate`` results file: ``(scores, per_example)``.

    Accuracy (unparseable answers count as wrong) and parse rate; ``scores["las"]``, LAS over the
    examples with a parsed answer (the simulator simulates the model's answers), with
    ``simulator_training`` saying whether it was trained on ``train_records`` or by ``folds``-fold
    cross-validation; BLEU/ROUGE-L against the human explanations (``Example.explanations`` of ``dataset``'s
    ``split``); length and readability of both; self-consistency agreement when the records voted. NaNs
    become None, so both parts are valid JSON.
    """
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
    return _clean(scores), _clean(per)

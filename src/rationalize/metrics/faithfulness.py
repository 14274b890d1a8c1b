"""Faithfulness: how much the prediction depends on the rationale (DeYoung et al., ACL 2020, sec. 4.2).

With ``y`` the predicted class, ``p`` the full-input probabilities, ``p_comp`` those without the
rationale and ``p_suff`` those with only the rationale:

* comprehensiveness = p(y) - p_comp(y): high when removing the rationale hurts;
* sufficiency = p(y) - p_suff(y): low when the rationale alone suffices;
* AOPC (Samek et al., 2017) averages those drops over bins of the top-k% soft-scored tokens; the
  official scorer averages over instances and bins *without* the k = 0 term of the paper's equation
  (``include_zero=True`` adds it: the mean over K + 1 terms, the first being 0);
* the entropy variants are H(p) - H(p_perturbed) and the KL variant is KL(p_perturbed || p), with both
  distributions renormalised to sum to 1 (scipy's ``entropy``), keys taken from ``p``.

Inputs are plain mappings from label to probability, one per instance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

Probs = Mapping[str, float]


def prob_drops(full: Sequence[Probs], perturbed: Sequence[Probs], predicted: Sequence[str]) -> np.ndarray:
    """Per instance ``full[y] - perturbed[y]`` with ``y`` the predicted label."""
    return np.array([f[y] - q[y] for f, q, y in zip(full, perturbed, predicted, strict=True)], dtype=float)


def comprehensiveness(full: Sequence[Probs], without_rationale: Sequence[Probs], predicted: Sequence[str]) -> float:
    """Mean drop in the predicted class's probability when the rationale is removed."""
    return float(np.average(prob_drops(full, without_rationale, predicted)))


def sufficiency(full: Sequence[Probs], only_rationale: Sequence[Probs], predicted: Sequence[str]) -> float:
    """Mean drop in the predicted class's probability when only the rationale is kept."""
    return float(np.average(prob_drops(full, only_rationale, predicted)))


def _matrix(dists: Sequence[Probs], keys: Sequence[Sequence[str]]) -> np.ndarray:
    """Rows of probabilities in the given key order, each renormalised to sum to 1 (as scipy does)."""
    m = np.array([[d[k] for k in ks] for d, ks in zip(dists, keys, strict=True)], dtype=float)
    return m / m.sum(axis=1, keepdims=True) if m.size else m


def _entropies(dists: Sequence[Probs]) -> np.ndarray:
    # Vectorised form of scipy.stats.entropy(pk) (same elementwise ``entr``), one row per distribution.
    from scipy.special import entr

    if not dists:
        return np.zeros(0)
    widths = {len(d) for d in dists}
    if len(widths) > 1:
        return np.array([entropy(d) for d in dists])
    return entr(_matrix(dists, [list(d) for d in dists])).sum(axis=1)


def entropy(p: Probs) -> float:
    """Shannon entropy (nats) of the renormalised distribution."""
    from scipy.special import entr

    v = np.asarray(list(p.values()), dtype=float)
    return float(entr(v / v.sum()).sum())


def entropy_drops(full: Sequence[Probs], perturbed: Sequence[Probs]) -> np.ndarray:
    """Per-instance entropy drop H(full) - H(perturbed) (the scorer's entropy variant of the faithfulness metrics)."""
    if len(full) != len(perturbed):
        raise ValueError("full and perturbed must have the same length")
    return _entropies(full) - _entropies(perturbed)


def kl(full: Probs, perturbed: Probs) -> float:
    """KL(perturbed || full) over the labels of ``full`` (the scorer's ``compute_kl``)."""
    return float(_kls([full], [perturbed])[0])


def _kls(full: Sequence[Probs], perturbed: Sequence[Probs]) -> np.ndarray:
    # Vectorised scipy.stats.entropy(pk=perturbed, qk=full): sum of rel_entr over renormalised rows.
    from scipy.special import rel_entr

    if len(full) != len(perturbed):
        raise ValueError("full and perturbed must have the same length")
    if not full:
        return np.zeros(0)
    keys = [list(f) for f in full]
    if len({len(k) for k in keys}) > 1:
        return np.concatenate([_kls([f], [q]) for f, q in zip(full, perturbed)])
    return rel_entr(_matrix(perturbed, keys), _matrix(full, keys)).sum(axis=1)


def mean_entropy_drop(full: Sequence[Probs], perturbed: Sequence[Probs]) -> float:
    """Mean of :func:`entropy_drops` over instances."""
    return float(np.average(entropy_drops(full, perturbed)))


def mean_kl(full: Sequence[Probs], perturbed: Sequence[Probs]) -> float:
    """Mean KL(perturbed || full) over instances (see :func:`kl`)."""
    return float(np.average(_kls(full, perturbed)))


def aopc_matrix(full: Sequence[Probs], binned: Sequence[Mapping[float, Probs]], predicted: Sequence[str],
                thresholds: Sequence[float]) -> np.ndarray:
    """``(instances, bins)`` drops ``full[y] - binned[threshold][y]``, bins in ascending threshold order.

    ``binned[i]`` maps each threshold to the perturbed probabilities of instance ``i``; every instance
    must have every threshold (a missing one raises ``KeyError`` naming it).
    """
    order = sorted(thresholds)
    rows = []
    for f, b, y in zip(full, binned, predicted, strict=True):
        rows.append([f[y] - b[t][y] for t in order])
    return np.array(rows, dtype=float).reshape(len(rows), len(order))


def aopc(full: Sequence[Probs], binned: Sequence[Mapping[float, Probs]], predicted: Sequence[str],
         thresholds: Sequence[float], include_zero: bool = False) -> tuple[float, list[float]]:
    """Area over the perturbation curve and its per-bin points (ascending thresholds).

    Official: the plain mean of the ``(instances, bins)`` drops. ``include_zero=True`` follows the
    paper's equation, which sums from k = 0 (a drop of 0) and divides by K + 1; the points are unchanged.
    """
    m = aopc_matrix(full, binned, predicted, thresholds)
    if m.size == 0:
        return float("nan"), [float("nan")] * len(thresholds)
    score = float(np.average(m))
    if include_zero:
        score = score * m.shape[1] / (m.shape[1] + 1)
    return score, np.average(m, axis=0).tolist()

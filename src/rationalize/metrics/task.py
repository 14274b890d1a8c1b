"""Task performance: accuracy and per-class precision/recall/F1 (sklearn's classification report).

ERASER reports the classification report of the predicted labels against the gold labels of every
annotation of the split; the label names are those that occur in the split.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def accuracy(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Fraction of exact label matches."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} gold labels but {len(y_pred)} predictions")
    return sum(t == p for t, p in zip(y_true, y_pred)) / len(y_true) if y_true else 0.0


def classification_prf(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """sklearn's ``classification_report(output_dict=True)`` keyed by label name: one entry per label
    (precision, recall, f1-score, support) plus ``accuracy``, ``macro avg`` and ``weighted avg``."""
    import warnings

    from sklearn.metrics import classification_report

    index = {label: i for i, label in enumerate(labels)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return classification_report(
            [index[t] for t in y_true], [index[p] for p in y_pred], labels=list(range(len(labels))),
            target_names=list(labels), output_dict=True, zero_division=0, digits=3,
        )

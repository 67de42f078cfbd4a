"""Sentence classification scores: accuracy and macro precision, recall and F1 (scikit-learn), in percent."""
from __future__ import annotations

from collections.abc import Sequence

from sklearn.metrics import precision_recall_fscore_support

from elmo_eval.metrics.accuracy import accuracy


def classification_scores(gold: Sequence[int], predicted: Sequence[int],
                          labels: Sequence[int] | None = None) -> dict[str, float]:
    """``{"accuracy", "precision", "recall", "f1"}``: macro averages over ``labels`` (default: the gold
    and predicted labels seen); a class never predicted has precision 0 (scikit-learn's zero_division=0).
    """
    acc = accuracy(gold, predicted)
    precision, recall, f1, _ = precision_recall_fscore_support(list(gold), list(predicted), average="macro",
                                                               labels=None if labels is None else list(labels),
                                                               zero_division=0)
    return {"accuracy": acc, "precision": 100.0 * float(precision), "recall": 100.0 * float(recall),
            "f1": 100.0 * float(f1)}

"""Main metrics recomputed from pooled counts, vectorised over many count vectors at once.

The official scorers pool counts over instances (entities over sentences,
arguments over propositions, coreference numerators and denominators over
documents), so a metric is a function of summed per-instance counts. The
paired significance test uses this to score thousands of permuted test sets
with one array operation each (``totals`` may be ``[k]`` or ``[samples, k]``).
"""
from __future__ import annotations

import numpy as np


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


def accuracy_from_counts(totals: np.ndarray) -> np.ndarray:
    """``[..., (correct, total)]`` -> accuracy in percent."""
    return 100.0 * _safe_div(totals[..., 0], totals[..., 1])


def mean_from_counts(totals: np.ndarray) -> np.ndarray:
    """``[..., (score_sum, count)]`` -> 100 × the mean score (SQuAD's EM and F1)."""
    return accuracy_from_counts(totals)


def f1_from_counts(totals: np.ndarray) -> np.ndarray:
    """``[..., (correct, predicted, gold)]`` -> F1 in percent (0 where undefined), as conlleval/srl-eval."""
    precision = 100.0 * _safe_div(totals[..., 0], totals[..., 1])
    recall = 100.0 * _safe_div(totals[..., 0], totals[..., 2])
    return _safe_div(2 * precision * recall, precision + recall)


def conll_coref_from_counts(totals: np.ndarray) -> np.ndarray:
    """``[..., 12]`` = (recall_num, recall_den, precision_num, precision_den) for MUC, B³, CEAF-e ->
    the CoNLL score (mean of the three F1, percent)."""
    f1s = []
    for m in range(3):
        recall = _safe_div(totals[..., 4 * m], totals[..., 4 * m + 1])
        precision = _safe_div(totals[..., 4 * m + 2], totals[..., 4 * m + 3])
        f1s.append(_safe_div(2 * precision * recall, precision + recall))
    return 100.0 * np.mean(f1s, axis=0)


# The aggregates a task may name (``Task.statistics_aggregate``): result files record the name, so a
# report recomputes metrics from per-instance statistics without importing any task code.
AGGREGATES = {
    "accuracy": accuracy_from_counts,
    "mean": mean_from_counts,
    "f1": f1_from_counts,
    "conll_coref": conll_coref_from_counts,
}


def aggregate(name: str, totals: np.ndarray) -> np.ndarray:
    """Summed statistics ``[..., k]`` -> the metric ``[...]`` by the aggregate's name."""
    if name not in AGGREGATES:
        raise ValueError(f"unknown statistics aggregate {name!r}; known: {sorted(AGGREGATES)}")
    return AGGREGATES[name](np.asarray(totals, dtype=float))

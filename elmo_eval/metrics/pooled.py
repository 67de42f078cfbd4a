"""Metrics recomputed from pooled counts, vectorised over many count vectors at once.

The official scorers pool counts over instances (entities over sentences,
arguments over propositions, coreference numerators and denominators over
documents, answers' scores over questions), so a metric is a function of summed
per-instance counts. A task scores a test set by pooling its per-instance
statistics with :func:`pool` and applying one of these functions; the paired
significance test applies the same functions to thousands of permuted totals at
once (``totals`` may be ``[k]`` or ``[samples, k]``).

Each function computes in the scorer's own order of operations (``100 * c / n``,
not ``100 * (c / n)``) and :func:`pool` adds in instance order, as the scorers do,
so a task's metric equals the official scorer's bit for bit.
"""
from __future__ import annotations

import numpy as np


def pool(statistics: np.ndarray) -> np.ndarray:
    """``[n, k]`` per-instance statistics -> ``[k]`` totals, added in instance order (as the scorers'
    running sums: fractional counts such as SQuAD F1 or B-cubed numerators then sum bit for bit alike)."""
    statistics = np.asarray(statistics, dtype=float)
    if statistics.shape[0] == 0:
        return np.zeros(statistics.shape[1:])
    return np.cumsum(statistics, axis=0)[-1]


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


def percent(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``100 * num / den`` (0 where ``den`` is 0), in that order."""
    return _safe_div(100.0 * np.asarray(num, dtype=float), den)


def f1(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    """``2 * p * r / (p + r)`` (0 where undefined)."""
    return _safe_div(2 * precision * recall, precision + recall)


def accuracy_from_counts(totals: np.ndarray) -> np.ndarray:
    """``[..., (correct, total)]`` -> accuracy in percent."""
    return percent(totals[..., 0], totals[..., 1])


def mean_from_counts(totals: np.ndarray) -> np.ndarray:
    """``[..., (score_sum, count)]`` -> 100 × the mean score (SQuAD's EM and F1)."""
    return percent(totals[..., 0], totals[..., 1])


def prf_from_counts(correct: np.ndarray, predicted: np.ndarray, gold: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall and F1 in percent (0 where undefined), as conlleval and srl-eval compute them."""
    precision, recall = percent(correct, predicted), percent(correct, gold)
    return {"precision": precision, "recall": recall, "f1": f1(precision, recall)}


def f1_from_counts(totals: np.ndarray) -> np.ndarray:
    """``[..., (correct, predicted, gold)]`` -> F1 in percent (0 where undefined), as conlleval/srl-eval."""
    return prf_from_counts(totals[..., 0], totals[..., 1], totals[..., 2])["f1"]


COREF_METRICS = ("muc", "bcub", "ceafm", "ceafe", "mentions")


def coref_from_counts(totals: np.ndarray) -> dict[str, np.ndarray]:
    """``[..., 4 × 5]`` = (recall_num, recall_den, precision_num, precision_den) for each of
    :data:`COREF_METRICS` -> ``{metric}_p``, ``_r``, ``_f1`` and ``conll_f1`` (mean of the MUC,
    B-cubed and CEAF-e F1), in percent, as reference scorer v8.01."""
    scores = {}
    for m, name in enumerate(COREF_METRICS):
        recall = _safe_div(totals[..., 4 * m], totals[..., 4 * m + 1])
        precision = _safe_div(totals[..., 4 * m + 2], totals[..., 4 * m + 3])
        scores[f"{name}_p"] = 100.0 * precision
        scores[f"{name}_r"] = 100.0 * recall
        scores[f"{name}_f1"] = 100.0 * f1(precision, recall)
    scores["conll_f1"] = (scores["muc_f1"] + scores["bcub_f1"] + scores["ceafe_f1"]) / 3
    return scores


def macro_from_confusion(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """``[..., C, C]`` counts (gold row, predicted column) -> macro precision, recall and F1 in
    percent over the C classes, as scikit-learn's ``precision_recall_fscore_support(average="macro",
    zero_division=0)`` (F1 per class as ``2 tp / (gold + predicted)``)."""
    tp = np.diagonal(confusion, axis1=-2, axis2=-1)
    predicted, gold = confusion.sum(-2), confusion.sum(-1)
    precision, recall = _safe_div(tp, predicted), _safe_div(tp, gold)
    f_score = _safe_div(2.0 * tp, gold + predicted)
    return {"precision": 100.0 * precision.mean(-1), "recall": 100.0 * recall.mean(-1),
            "f1": 100.0 * f_score.mean(-1)}


def _srl_f1(totals: np.ndarray) -> np.ndarray:
    correct, excess, missed = totals[..., 0], totals[..., 1], totals[..., 2]
    return prf_from_counts(correct, correct + excess, correct + missed)["f1"]


# Main metrics by name. A task names its own (``Task.statistics_aggregate``) and result files record
# the name, so a report recomputes a metric from per-instance statistics without importing task code;
# tests/test_task_scoring.py checks each task's name against its metric_from_statistics.
AGGREGATES = {
    "accuracy": accuracy_from_counts,                                      # (correct, total, ...)
    "f1": f1_from_counts,                                                  # (correct, predicted, gold)
    "srl_f1": _srl_f1,                                                     # (correct, excess, missed, ...)
    "squad_f1": lambda totals: percent(totals[..., 1], totals[..., 2]),    # (exact, f1 sum, questions)
    "conll_coref_f1": lambda totals: coref_from_counts(totals)["conll_f1"],
}


def aggregate(name: str, totals: np.ndarray) -> np.ndarray:
    """Summed statistics ``[..., k]`` -> the main metric ``[...]`` by the aggregate's name."""
    if name not in AGGREGATES:
        raise ValueError(f"unknown statistics aggregate {name!r}; known: {sorted(AGGREGATES)}")
    return AGGREGATES[name](np.asarray(totals, dtype=float))

"""Accuracy over labels (SNLI, SST-5, topic classification)."""
from __future__ import annotations

from collections.abc import Hashable, Sequence


def accuracy(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Percentage of positions where ``predicted`` equals ``gold`` (same lengths required)."""
    if len(gold) != len(predicted):
        raise ValueError(f"accuracy needs as many predictions as gold labels: {len(predicted)} vs {len(gold)}")
    if not gold:
        raise ValueError("accuracy of an empty set is undefined")
    return 100.0 * sum(g == p for g, p in zip(gold, predicted)) / len(gold)

"""What every one-label-per-instance task shares (SNLI, SST, topic): targets, decoding and scoring.

A subclass names its class labels (``labels``: what a prediction is, in the
order of the head's logits) and how to read an instance's gold label
(``gold``). Scoring is accuracy; with ``macro_scores`` also macro precision,
recall and F1 over all classes (scikit-learn's definitions).
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import ClassVar

import numpy as np
import torch

from elmo_eval.metrics.pooled import accuracy_from_counts, macro_from_confusion
from elmo_eval.tasks.base import Task


class ClassificationTask(Task):
    """A task whose head returns ``logits [batch, classes]`` and whose prediction is one label."""

    labels: Sequence[Hashable]
    macro_scores: ClassVar[bool] = False
    main_metric = "accuracy"
    statistics_aggregate = "accuracy"

    def gold(self, instance) -> Hashable:
        """The instance's gold label (one of ``labels``)."""
        return instance.label

    def targets(self, instances: Sequence) -> dict[str, torch.Tensor]:
        index = {label: i for i, label in enumerate(self.labels)}
        return {"label": torch.tensor([index[self.gold(i)] for i in instances], dtype=torch.long)}

    def decode(self, output: dict, batch) -> list:
        return [self.labels[i] for i in output["logits"].argmax(-1).tolist()]

    def score_statistics(self, instances: Sequence, predictions: Sequence) -> np.ndarray:
        """``[n, (correct, 1)]``, then with ``macro_scores`` the one-hot confusion cell
        ``[n, classes × classes]`` (gold row, predicted column)."""
        index = {label: i for i, label in enumerate(self.labels)}
        gold = np.array([index[self.gold(i)] for i in instances], dtype=int)
        predicted = np.array([index[p] for p in predictions], dtype=int)
        stats = np.stack([(gold == predicted).astype(float), np.ones(len(gold))], axis=1)
        if not self.macro_scores:
            return stats
        classes = len(self.labels)
        confusion = np.zeros((len(gold), classes * classes))
        confusion[np.arange(len(gold)), gold * classes + predicted] = 1.0
        return np.concatenate([stats, confusion], axis=1)

    def metrics_from_statistics(self, totals: np.ndarray) -> dict[str, np.ndarray]:
        metrics = {"accuracy": accuracy_from_counts(totals)}
        if self.macro_scores:
            classes = len(self.labels)
            confusion = totals[..., 2:].reshape(*totals.shape[:-1], classes, classes)
            metrics.update(macro_from_confusion(confusion))
        return metrics

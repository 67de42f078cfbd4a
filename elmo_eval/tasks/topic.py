"""4-class topic classification of news (AG News format): the source article's three configurations.

The head kind (``hp["kind"]``: ``"lstm"`` or ``"mean_dense"``) and the
representation select the configuration (see ``tasks/topic.toml``). Labels
are the file's classes 1-4 (index 0-3 inside the model). Metrics: accuracy and
macro precision, recall and F1. Predictions file: ``index<TAB>gold<TAB>predicted``
with classes 1-4, one line per example.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from elmo_eval.heads.topic import TopicClassifier
from elmo_eval.metrics.classification import classification_scores
from elmo_eval.readers.agnews import CLASS_NAMES, NewsExample, read_agnews
from elmo_eval.tasks.base import Task

NUM_CLASSES = len(CLASS_NAMES)


class TopicTask(Task):
    name = "topic"
    main_metric = "accuracy"
    statistics_aggregate = "accuracy"

    def read(self, path: str | Path) -> list[NewsExample]:
        return read_agnews(path)

    def texts(self, instance: NewsExample) -> dict:
        return {"tokens": instance.tokens}

    def targets(self, instances: Sequence[NewsExample]) -> dict[str, torch.Tensor]:
        return {"label": torch.tensor([i.label - 1 for i in instances], dtype=torch.long)}

    def build_head(self, input_dim: int, output_dim: int, hp: dict) -> TopicClassifier:
        return TopicClassifier(input_dim, output_dim, NUM_CLASSES, kind=hp.get("kind", "lstm"),
                               hidden_dim=hp.get("hidden_dim", 256), dropout=hp.get("head_dropout", 0.0))

    def decode(self, output: dict, batch) -> list[int]:
        """Predicted classes 1-4."""
        return (output["logits"].argmax(-1) + 1).tolist()

    def evaluate(self, instances: Sequence[NewsExample], predictions: Sequence[int]) -> dict[str, float]:
        return classification_scores([i.label for i in instances], predictions, labels=sorted(CLASS_NAMES))

    def score_statistics(self, instances, predictions) -> np.ndarray:
        """``[n, (correct, 1)]``."""
        return np.array([[float(i.label == p), 1.0] for i, p in zip(instances, predictions)])


    def write_predictions(self, path: str | Path, instances: Sequence[NewsExample], predictions: Sequence[int]) -> None:
        Path(path).write_text("".join(f"{i.index}\t{i.label}\t{p}\n" for i, p in zip(instances, predictions)),
                              encoding="utf-8")

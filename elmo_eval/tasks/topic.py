"""4-class topic classification of news (AG News format): the source article's three configurations.

The head kind (``kind`` of ``[head]``: ``"lstm"`` or ``"mean_dense"``) and the
representation select the configuration (see ``tasks/topic.toml``). Labels
are the file's classes 1-4 (index 0-3 inside the model). Metrics: accuracy and
macro precision, recall and F1. Predictions file: ``index<TAB>gold<TAB>predicted``
with classes 1-4, one line per example.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from elmo_eval.heads.topic import TopicClassifier
from elmo_eval.readers.agnews import CLASS_NAMES, NewsExample, read_agnews
from elmo_eval.tasks.classification import ClassificationTask

NUM_CLASSES = len(CLASS_NAMES)


class TopicTask(ClassificationTask):
    name = "topic"
    labels = tuple(sorted(CLASS_NAMES))  # the file's classes 1-4
    macro_scores = True

    def read(self, path: str | Path) -> list[NewsExample]:
        return read_agnews(path)

    def texts(self, instance: NewsExample) -> dict:
        return {"tokens": instance.tokens}

    def build_head(self, input_dim: int, output_dim: int, *, kind: str = "lstm", hidden_dim: int = 256,
                   head_dropout: float = 0.0) -> TopicClassifier:
        return TopicClassifier(input_dim, output_dim, NUM_CLASSES, kind=kind, hidden_dim=hidden_dim,
                               dropout=head_dropout)

    def write_predictions(self, path: str | Path, instances: Sequence[NewsExample], predictions: Sequence[int]) -> None:
        Path(path).write_text("".join(f"{i.index}\t{i.label}\t{p}\n" for i, p in zip(instances, predictions)),
                              encoding="utf-8")

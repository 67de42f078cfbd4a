"""SNLI 1.0 textual entailment with an ESIM head.

Text fields: ``premise`` and ``hypothesis`` (each encoded by the biLM alone,
one ELMo mix shared by both). Target: one of entailment / neutral /
contradiction. Metric: accuracy. Predictions: one line per pair,
``pairID<TAB>label``, in the order of the input file.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from elmo_eval.heads.esim import EsimHead
from elmo_eval.metrics.accuracy import accuracy
from elmo_eval.readers.snli import SNLI_LABELS, SnliPair, SnliReadReport, read_snli
from elmo_eval.tasks.base import Task

log = logging.getLogger(__name__)


class SnliTask(Task):
    name = "snli"
    text_fields = ("premise", "hypothesis")
    main_metric = "accuracy"
    statistics_aggregate = "accuracy"
    predictions_suffix = ".tsv"

    # the label set is fixed by the corpus, so no vocabulary is learned from training data
    labels = SNLI_LABELS

    def __init__(self, options: dict | None = None):
        super().__init__(options)
        self.read_reports: dict[str, SnliReadReport] = {}

    def read(self, path: str | Path) -> list[SnliPair]:
        pairs, report = read_snli(path)
        self.read_reports[str(path)] = report
        if report.dropped_no_gold:
            log.info("%s: dropped %d pairs without a gold label ('-')", path, report.dropped_no_gold)
        return pairs

    def texts(self, instance: SnliPair) -> dict[str, list[str]]:
        return {"premise": list(instance.premise), "hypothesis": list(instance.hypothesis)}

    def targets(self, instances: Sequence[SnliPair]) -> dict[str, torch.Tensor]:
        return {"label": torch.tensor([self.labels.index(p.label) for p in instances], dtype=torch.long)}

    def build_head(self, input_dim: int, output_dim: int, hp: dict) -> EsimHead:
        return EsimHead(input_dim, output_dim, num_labels=len(self.labels), hidden=hp.get("hidden", 300),
                        projection_dim=hp.get("projection_dim", hp.get("hidden", 300)),
                        classifier_dim=hp.get("classifier_dim", hp.get("hidden", 300)),
                        dropout=hp.get("head_dropout", 0.5), activation=hp.get("activation", "relu"))

    def decode(self, output: dict, batch) -> list[str]:
        return [self.labels[i] for i in output["logits"].argmax(-1).tolist()]

    def evaluate(self, instances: Sequence[SnliPair], predictions: Sequence[str]) -> dict[str, float]:
        return {"accuracy": accuracy([p.label for p in instances], list(predictions))}

    def score_statistics(self, instances, predictions) -> np.ndarray:
        """``[n, (correct, 1)]``."""
        return np.array([[float(i.label == p), 1.0] for i, p in zip(instances, predictions)])


    def write_predictions(self, path: str | Path, instances: Sequence[SnliPair], predictions: Sequence[str]) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.writelines(f"{p.pair_id}\t{label}\n" for p, label in zip(instances, predictions))

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

from elmo_eval.heads.esim import EsimHead
from elmo_eval.readers.snli import SNLI_LABELS, SnliPair, SnliReadReport, read_snli
from elmo_eval.tasks.classification import ClassificationTask

log = logging.getLogger(__name__)


class SnliTask(ClassificationTask):
    name = "snli"
    text_fields = ("premise", "hypothesis")
    predictions_suffix = ".tsv"

    # the label set is fixed by the corpus, so no vocabulary is learned from training data
    labels = SNLI_LABELS

    def __init__(self):
        self.read_reports: dict[str, SnliReadReport] = {}

    def read(self, path: str | Path) -> list[SnliPair]:
        pairs, report = read_snli(path)
        self.read_reports[str(path)] = report
        if report.dropped_no_gold:
            log.info("%s: dropped %d pairs without a gold label ('-')", path, report.dropped_no_gold)
        return pairs

    def texts(self, instance: SnliPair) -> dict[str, list[str]]:
        return {"premise": list(instance.premise), "hypothesis": list(instance.hypothesis)}

    def build_head(self, input_dim: int, output_dim: int, *, hidden: int = 300, projection_dim: int | None = None,
                   classifier_dim: int | None = None, head_dropout: float = 0.5,
                   activation: str = "relu") -> EsimHead:
        """projection_dim / classifier_dim: None = ``hidden``."""
        return EsimHead(input_dim, output_dim, num_labels=len(self.labels), hidden=hidden,
                        projection_dim=hidden if projection_dim is None else projection_dim,
                        classifier_dim=hidden if classifier_dim is None else classifier_dim,
                        dropout=head_dropout, activation=activation)

    def write_predictions(self, path: str | Path, instances: Sequence[SnliPair], predictions: Sequence[str]) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.writelines(f"{p.pair_id}\t{label}\n" for p, label in zip(instances, predictions))

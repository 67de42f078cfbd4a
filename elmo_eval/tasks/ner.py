"""NER on CoNLL-2003: BiLSTM-CRF tagger, entity F1 as conlleval computes it.

Option (``[data.options]`` of the spec): ``scheme`` = the tagging scheme the
model trains with, ``"BIOES"`` (default) or ``"BIO"``. Files are IOB1; tags are
converted on the way in and back to IOB1 for the predictions file.
Predictions file: conlleval input, ``token gold predicted`` per line, a blank
line after each sentence and ``-DOCSTART- O O`` at each document start.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from elmo_eval.heads.crf_tagger import CrfTagger
from elmo_eval.metrics.conlleval import conlleval_scores, entity_counts
from elmo_eval.metrics.pooled import prf_from_counts
from elmo_eval.readers.conll2003 import NerSentence, convert_tags, read_conll2003
from elmo_eval.tasks.base import Task

SCHEMES = ("BIOES", "BIO")


class NerTask(Task):
    name = "ner"
    main_metric = "f1"
    statistics_aggregate = "f1"
    predictions_suffix = ".conll"

    def __init__(self, *, scheme: str = "BIOES"):
        self.scheme = scheme
        if self.scheme not in SCHEMES:
            raise ValueError(f"NER scheme must be one of {SCHEMES}, got {self.scheme!r}")
        self.labels: list[str] = []
        self.label_ids: dict[str, int] = {}

    def read(self, path: str | Path) -> list[NerSentence]:
        return read_conll2003(path)

    def texts(self, instance: NerSentence) -> dict:
        return {"tokens": instance.tokens}

    def model_tags(self, instance: NerSentence) -> list[str]:
        """The instance's gold tags in the training scheme."""
        return convert_tags(instance.tags, "IOB1", self.scheme)

    # --- labels ---------------------------------------------------------------
    def fit_labels(self, instances: Sequence[NerSentence]) -> None:
        seen = {t for inst in instances for t in self.model_tags(inst)} - {"O"}
        # sorted by type then prefix so the vocabulary does not depend on data order
        self.labels = ["O", *sorted(seen, key=lambda t: (t[2:], t[0]))]
        self.label_ids = {t: i for i, t in enumerate(self.labels)}



    def targets(self, instances: Sequence[NerSentence]) -> dict[str, torch.Tensor]:
        """``tags [batch, time]``; a tag never seen in training (dev/test only) maps to O."""
        width = max((len(i.tokens) for i in instances), default=0)
        tags = torch.zeros(len(instances), width, dtype=torch.long)
        for b, inst in enumerate(instances):
            ids = [self.label_ids.get(t, 0) for t in self.model_tags(inst)]
            tags[b, :len(ids)] = torch.tensor(ids, dtype=torch.long)
        return {"tags": tags}

    # --- model ----------------------------------------------------------------
    def build_head(self, input_dim: int, output_dim: int, *, hidden_dim: int = 200, num_layers: int = 2,
                   encoder_dropout: float = 0.5, constrain_decoding: bool = True,
                   include_start_end: bool = False) -> CrfTagger:
        return CrfTagger(input_dim, output_dim, self.labels, hidden_dim=hidden_dim, num_layers=num_layers,
                         dropout=encoder_dropout, scheme=self.scheme if constrain_decoding else None,
                         include_start_end=include_start_end)

    def decode(self, output: dict, batch) -> list[list[str]]:
        """Tags in the training scheme, one list per sentence."""
        return [[self.labels[i] for i in row] for row in output["predicted_tags"]]

    # --- scoring --------------------------------------------------------------
    def score_statistics(self, instances, predictions) -> np.ndarray:
        """``[n, (correct, predicted, gold)]`` entity counts per sentence (conlleval pools them)."""
        rows = [entity_counts(convert_tags(inst.tags, "IOB1", "BIO"), convert_tags(pred, self.scheme, "BIO"))
                for inst, pred in zip(instances, predictions)]
        return np.array(rows, dtype=float).reshape(len(rows), 3)

    def metrics_from_statistics(self, totals: np.ndarray) -> dict[str, np.ndarray]:
        return prf_from_counts(totals[..., 0], totals[..., 1], totals[..., 2])

    def breakdown(self, instances, predictions) -> dict[str, float]:
        """``f1_<type>`` per entity type (conlleval's per-type rows)."""
        gold = [convert_tags(i.tags, "IOB1", "BIO") for i in instances]
        predicted = [convert_tags(p, self.scheme, "BIO") for p in predictions]
        return {f"f1_{kind}": s["f1"] for kind, s in conlleval_scores(gold, predicted)["per_type"].items()}

    def write_predictions(self, path: str | Path, instances: Sequence[NerSentence],
                          predictions: Sequence[list[str]]) -> None:
        lines, document = [], None
        for inst, pred in zip(instances, predictions):
            if inst.document != document:
                document = inst.document
                lines += ["-DOCSTART- O O", ""]
            iob1 = convert_tags(pred, self.scheme, "IOB1")
            lines += [f"{tok} {gold} {guess}" for tok, gold, guess in zip(inst.tokens, inst.tags, iob1)]
            lines.append("")
        Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")

"""NER on CoNLL-2003: BiLSTM-CRF tagger, entity F1 as conlleval computes it.

Options (``[data.options]`` of the spec): ``scheme`` = the tagging scheme the
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
from elmo_eval.metrics.conlleval import conlleval_scores
from elmo_eval.readers.conll2003 import NerSentence, convert_tags, read_conll2003
from elmo_eval.tasks.base import Task

SCHEMES = ("BIOES", "BIO")


class NerTask(Task):
    name = "ner"
    main_metric = "f1"
    statistics_aggregate = "f1"
    predictions_suffix = ".conll"

    def __init__(self, options: dict | None = None):
        super().__init__(options)
        self.scheme = self.options.get("scheme", "BIOES")
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

    def label_state(self) -> dict:
        return {"labels": self.labels, "scheme": self.scheme}

    def load_label_state(self, state: dict) -> None:
        self.labels, self.scheme = list(state["labels"]), state["scheme"]
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
    def build_head(self, input_dim: int, output_dim: int, hp: dict) -> CrfTagger:
        return CrfTagger(input_dim, output_dim, self.labels, hidden_dim=hp.get("hidden_dim", 200),
                         num_layers=hp.get("num_layers", 2), dropout=hp.get("encoder_dropout", 0.5),
                         scheme=self.scheme if hp.get("constrain_decoding", True) else None,
                         include_start_end=hp.get("include_start_end", False))

    def decode(self, output: dict, batch) -> list[list[str]]:
        """Tags in the training scheme, one list per sentence."""
        return [[self.labels[i] for i in row] for row in output["predicted_tags"]]

    # --- scoring --------------------------------------------------------------
    def evaluate(self, instances: Sequence[NerSentence], predictions: Sequence[list[str]]) -> dict[str, float]:
        gold = [convert_tags(i.tags, "IOB1", "BIO") for i in instances]
        predicted = [convert_tags(p, self.scheme, "BIO") for p in predictions]
        scores = conlleval_scores(gold, predicted)
        flat = {k: scores[k] for k in ("precision", "recall", "f1")}
        flat.update({f"f1_{kind}": s["f1"] for kind, s in scores["per_type"].items()})
        return flat

    def score_statistics(self, instances, predictions) -> np.ndarray:
        """``[n, (correct, predicted, gold)]`` entity counts per sentence (conlleval pools them)."""
        rows = []
        for inst, pred in zip(instances, predictions):
            s = conlleval_scores([convert_tags(inst.tags, "IOB1", "BIO")], [convert_tags(pred, self.scheme, "BIO")])
            rows.append([s["correct"], s["predicted_entities"], s["gold_entities"]])
        return np.array(rows, dtype=float)


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

"""Sentiment on the Stanford Sentiment Treebank: biattentive classification network, sentence accuracy.

Training uses every phrase subtree with its label (the recipe's
``use_subtrees``); dev and test are whole sentences (the roots). Option
``binary = true`` gives SST-2: neutral phrases and sentences dropped, 0-1 ->
0 (negative), 3-4 -> 1 (positive). Predictions file: one line per evaluated
sentence, ``sentence_index<TAB>gold<TAB>predicted``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from elmo_eval.heads.bcn import BiattentiveClassifier
from elmo_eval.metrics.accuracy import accuracy
from elmo_eval.readers.sst import NUM_CLASSES, SstSentence, binary_label, read_sst
from elmo_eval.tasks.base import Task


@dataclass
class SstInstance:
    """One phrase or sentence: tokens, label (5-class or binary) and the sentence it comes from."""

    tokens: list[str]
    label: int
    sentence_index: int


class SstTask(Task):
    name = "sst"
    main_metric = "accuracy"
    statistics_aggregate = "accuracy"

    def __init__(self, options: dict | None = None):
        super().__init__(options)
        self.binary = bool(self.options.get("binary", False))
        self.use_subtrees = bool(self.options.get("use_subtrees", True))
        self.num_classes = 2 if self.binary else NUM_CLASSES

    def read(self, path: str | Path) -> list[SstSentence]:
        return read_sst(path)

    def _instance(self, tokens: list[str], label: int, index: int) -> SstInstance | None:
        if self.binary:
            label = binary_label(label)
            if label is None:
                return None
        return SstInstance(tokens, label, index)

    def training_instances(self, examples: Sequence[SstSentence]) -> list[SstInstance]:
        nodes = ((s, node) for s in examples for node in (s.tree.subtrees() if self.use_subtrees else [s.tree]))
        made = (self._instance(node.tokens, node.label, s.index) for s, node in nodes)
        return [i for i in made if i is not None]

    def eval_instances(self, examples: Sequence[SstSentence]) -> list[SstInstance]:
        made = (self._instance(s.tokens, s.label, s.index) for s in examples)
        return [i for i in made if i is not None]

    def texts(self, instance: SstInstance) -> dict:
        return {"tokens": instance.tokens}

    def targets(self, instances: Sequence[SstInstance]) -> dict[str, torch.Tensor]:
        return {"label": torch.tensor([i.label for i in instances], dtype=torch.long)}

    def build_head(self, input_dim: int, output_dim: int, hp: dict) -> BiattentiveClassifier:
        return BiattentiveClassifier(
            input_dim, output_dim, self.num_classes, pre_encode_dim=hp.get("pre_encode_dim", 300),
            pre_encode_dropout=hp.get("pre_encode_dropout", 0.25), encoder_hidden=hp.get("encoder_hidden", 300),
            integrator_hidden=hp.get("integrator_hidden", 300), integrator_dropout=hp.get("integrator_dropout", 0.1),
            maxout_dims=hp.get("maxout_dims", [1200, 600]), pool_size=hp.get("maxout_pool_size", 4),
            maxout_dropouts=hp.get("maxout_dropouts", [0.2, 0.3, 0.0]))

    def decode(self, output: dict, batch) -> list[int]:
        return output["logits"].argmax(-1).tolist()

    def evaluate(self, instances: Sequence[SstInstance], predictions: Sequence[int]) -> dict[str, float]:
        return {"accuracy": accuracy([i.label for i in instances], predictions)}

    def score_statistics(self, instances, predictions) -> np.ndarray:
        """``[n, (correct, 1)]``."""
        return np.array([[float(i.label == p), 1.0] for i, p in zip(instances, predictions)])


    def write_predictions(self, path: str | Path, instances: Sequence[SstInstance], predictions: Sequence[int]) -> None:
        Path(path).write_text("".join(f"{i.sentence_index}\t{i.label}\t{p}\n" for i, p in zip(instances, predictions)),
                              encoding="utf-8")

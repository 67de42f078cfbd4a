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

from elmo_eval.heads.bcn import BiattentiveClassifier
from elmo_eval.readers.sst import NUM_CLASSES, SstSentence, binary_label, read_sst
from elmo_eval.tasks.classification import ClassificationTask


@dataclass
class SstInstance:
    """One phrase or sentence: tokens, label (5-class or binary) and the sentence it comes from."""

    tokens: list[str]
    label: int
    sentence_index: int


class SstTask(ClassificationTask):
    name = "sst"

    def __init__(self, *, binary: bool = False, use_subtrees: bool = True):
        self.binary = binary
        self.use_subtrees = use_subtrees
        self.num_classes = 2 if self.binary else NUM_CLASSES
        self.labels = tuple(range(self.num_classes))

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

    def build_head(self, input_dim: int, output_dim: int, *, pre_encode_dim: int = 300,
                   pre_encode_dropout: float = 0.25, encoder_hidden: int = 300, integrator_hidden: int = 300,
                   integrator_dropout: float = 0.1, maxout_dims: Sequence[int] = (1200, 600),
                   maxout_pool_size: int = 4,
                   maxout_dropouts: Sequence[float] = (0.2, 0.3, 0.0)) -> BiattentiveClassifier:
        return BiattentiveClassifier(
            input_dim, output_dim, self.num_classes, pre_encode_dim=pre_encode_dim,
            pre_encode_dropout=pre_encode_dropout, encoder_hidden=encoder_hidden,
            integrator_hidden=integrator_hidden, integrator_dropout=integrator_dropout,
            maxout_dims=list(maxout_dims), pool_size=maxout_pool_size, maxout_dropouts=list(maxout_dropouts))

    def write_predictions(self, path: str | Path, instances: Sequence[SstInstance], predictions: Sequence[int]) -> None:
        Path(path).write_text("".join(f"{i.sentence_index}\t{i.label}\t{p}\n" for i, p in zip(instances, predictions)),
                              encoding="utf-8")

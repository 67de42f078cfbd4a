"""The shape every task follows.

A task is one readable file under ``elmo_eval/tasks/`` that subclasses
:class:`Task` and supplies:

- ``read(path)``: the reader for the official format (errors name file and line);
- ``training_instances`` / ``eval_instances``: expand read examples into model
  instances (SST phrase subtrees, one SRL instance per predicate, ...);
- ``texts(instance)``: the token sequences the encoder sees, per text field. A
  field is one sentence (``list[str]``) or a document of sentences
  (``list[list[str]]``: each sentence is encoded alone, their layers are
  concatenated along time);
- ``fit_labels`` / ``targets`` / ``features``: label vocabularies and tensors;
- ``build_head(input_dim, output_dim, hp)``: an ``nn.Module`` called as
  ``head(inputs, outputs, batch)`` where ``inputs[field]`` is ``[batch, time,
  input_dim]`` (word vectors, characters and/or ELMo, the head does not know
  which), ``outputs`` is ``None`` or ``outputs[field]`` ``[batch, time,
  output_dim]`` (ELMo for the head's output layer), and ``batch`` is a
  :class:`~elmo_eval.training.fields.Batch`. It returns a dict with ``loss``
  (when the batch has targets) and whatever ``decode`` needs;
- ``decode(output, batch)``: one prediction per instance;
- ``evaluate(instances, predictions)``: metric dict identical to the official
  scorer; ``main_metric`` names the key used for model selection on dev;
- ``write_predictions(path, instances, predictions)``: the official scorer's format.
"""
from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from elmo_eval.metrics.pooled import aggregate

Text = list[str] | list[list[str]]


class Task(ABC):
    """One downstream task (see the module docstring for the contract)."""

    name: ClassVar[str]
    text_fields: ClassVar[tuple[str, ...]] = ("tokens",)
    main_metric: ClassVar[str]
    predictions_suffix: ClassVar[str] = ".txt"
    statistics_aggregate: ClassVar[str | None] = None  # a name in elmo_eval.metrics.pooled.AGGREGATES

    def __init__(self, options: dict[str, Any] | None = None):
        self.options = dict(options or {})

    # --- data -------------------------------------------------------------
    @abstractmethod
    def read(self, path: str | Path) -> list:
        """Read one split in the official format."""

    def training_instances(self, examples: Sequence) -> list:
        """Instances the head trains on (default: the examples themselves)."""
        return list(examples)

    def eval_instances(self, examples: Sequence) -> list:
        """Instances the head is evaluated on (default: the examples themselves)."""
        return list(examples)

    def subsample(self, examples: Sequence, fraction: float, seed: int) -> list:
        """A seeded random ``fraction`` of the training examples (at least one)."""
        if fraction >= 1.0:
            return list(examples)
        count = max(1, round(len(examples) * fraction))
        picked = sorted(random.Random(seed).sample(range(len(examples)), count))
        return [examples[i] for i in picked]

    @abstractmethod
    def texts(self, instance) -> dict[str, Text]:
        """Tokens per text field for one instance."""

    # --- labels and tensors ----------------------------------------------
    def fit_labels(self, instances: Sequence) -> None:
        """Build label vocabularies from the training instances."""

    def label_state(self) -> dict:
        """Everything ``fit_labels`` learned, to store beside a checkpoint."""
        return {}

    def load_label_state(self, state: dict) -> None:
        """Inverse of :meth:`label_state`."""

    @abstractmethod
    def targets(self, instances: Sequence) -> dict[str, torch.Tensor]:
        """Gold tensors for a batch (may be empty at prediction time)."""

    def features(self, instances: Sequence) -> dict[str, torch.Tensor]:
        """Non-label inputs other than tokens (predicate indicators, speakers, ...)."""
        return {}

    # --- model ------------------------------------------------------------
    @abstractmethod
    def build_head(self, input_dim: int, output_dim: int, hp: dict) -> nn.Module:
        """The head; ``output_dim`` is 0 when no representation goes to its output."""

    @abstractmethod
    def decode(self, output: dict, batch) -> list:
        """One prediction per instance of the batch."""

    # --- scoring -------------------------------------------------------------
    @abstractmethod
    def evaluate(self, instances: Sequence, predictions: Sequence) -> dict[str, float]:
        """Metrics as the official scorer computes them (percentages where the scorer prints them)."""

    @abstractmethod
    def write_predictions(self, path: str | Path, instances: Sequence, predictions: Sequence) -> None:
        """Write predictions in the format the official scorer reads."""

    def score_statistics(self, instances: Sequence, predictions: Sequence) -> np.ndarray | None:
        """Per-instance additive counts ``[n, k]`` from which :meth:`metric_from_statistics`
        recomputes the main metric exactly (the official scorers pool counts over instances);
        ``None`` where the metric does not decompose. Makes paired significance tests fast."""
        return None

    def metric_from_statistics(self, totals: np.ndarray) -> np.ndarray:
        """Summed statistics ``[..., k]`` -> the main metric ``[...]``, by the aggregate the task names
        (:data:`elmo_eval.metrics.pooled.AGGREGATES`), so a report needs only the name."""
        return aggregate(self.statistics_aggregate, totals)


TASK_REGISTRY: dict[str, str] = {
    "ner": "elmo_eval.tasks.ner:NerTask",
    "sst": "elmo_eval.tasks.sst:SstTask",
    "topic": "elmo_eval.tasks.topic:TopicTask",
    "squad": "elmo_eval.tasks.squad:SquadTask",
    "snli": "elmo_eval.tasks.snli:SnliTask",
    "srl": "elmo_eval.tasks.srl:SrlTask",
    "coref": "elmo_eval.tasks.coref:CorefTask",
}


def build_task(spec) -> Task:
    """The task object a spec names (``spec.task``), with the spec's ``data.options``."""
    return load_task_class(spec.task)(spec.data.get("options", {}))


def load_task_class(reference: str) -> type[Task]:
    """``module:Class`` (or a registry name) -> the Task subclass."""
    import importlib

    reference = TASK_REGISTRY.get(reference, reference)
    module_name, _, class_name = reference.partition(":")
    return getattr(importlib.import_module(module_name), class_name)

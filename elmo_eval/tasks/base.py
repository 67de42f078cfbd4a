"""The shape every task follows.

A task is one readable file under ``elmo_eval/tasks/`` that subclasses
:class:`Task`; a spec names it as ``task = "module:Class"`` (nothing else
registers it). Options (``[data.options]`` of the spec) are keyword-only
arguments of its ``__init__``. It supplies:

- ``read(path)``: the reader for the official format (errors name file and line);
- ``training_instances`` / ``eval_instances``: expand read examples into model
  instances (SST phrase subtrees, one SRL instance per predicate, ...);
- ``texts(instance)``: the token sequences the encoder sees, per text field. A
  field is one sentence (``list[str]``) or a document of sentences
  (``list[list[str]]``: each sentence is encoded alone, their layers are
  concatenated along time);
- ``fit_labels`` / ``targets`` / ``features``: label vocabularies and tensors;
- ``build_head(input_dim, output_dim, *, ...)``: an ``nn.Module`` built from the
  spec's ``[head]`` section, given as keyword-only arguments (their names are
  the section's valid keys, checked when the spec loads), and called as
  ``head(inputs, outputs, batch)`` where ``inputs[field]`` is ``[batch, time,
  input_dim]`` (word vectors, characters and/or ELMo, the head does not know
  which), ``outputs`` is ``None`` or ``outputs[field]`` ``[batch, time,
  output_dim]`` (ELMo for the head's output layer), and ``batch`` is a
  :class:`~elmo_eval.training.fields.Batch`. It returns a dict with ``loss``
  (when the batch has targets) and whatever ``decode`` needs;
- ``decode(output, batch)``: one prediction per instance;
- ``score_statistics(instances, predictions)``: additive per-instance counts and
  ``metrics_from_statistics(totals)``: every metric from their sum, identical to
  the official scorer. This one path gives both :meth:`Task.evaluate` and the
  paired significance test; ``main_metric`` names the key used for model
  selection on dev. ``breakdown`` may add per-label diagnostics;
- ``write_predictions(path, instances, predictions)``: the official scorer's format.
"""
from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from elmo_eval.metrics.pooled import pool

Text = list[str] | list[list[str]]


class Task(ABC):
    """One downstream task (see the module docstring for the contract)."""

    name: ClassVar[str]
    text_fields: ClassVar[tuple[str, ...]] = ("tokens",)
    main_metric: ClassVar[str]
    predictions_suffix: ClassVar[str] = ".txt"
    statistics_aggregate: ClassVar[str | None] = None  # the main metric's name in metrics.pooled.AGGREGATES

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



    @abstractmethod
    def targets(self, instances: Sequence) -> dict[str, torch.Tensor]:
        """Gold tensors for a batch (may be empty at prediction time)."""

    def features(self, instances: Sequence) -> dict[str, torch.Tensor]:
        """Non-label inputs other than tokens (predicate indicators, speakers, ...)."""
        return {}

    # --- model ------------------------------------------------------------
    @abstractmethod
    def build_head(self, input_dim: int, output_dim: int) -> nn.Module:
        """The head; ``output_dim`` is 0 when no representation goes to its output. Subclasses add
        the ``[head]`` hyperparameters as keyword-only arguments (after ``*``)."""

    @abstractmethod
    def decode(self, output: dict, batch) -> list:
        """One prediction per instance of the batch."""

    # --- scoring -------------------------------------------------------------
    @abstractmethod
    def score_statistics(self, instances: Sequence, predictions: Sequence) -> np.ndarray:
        """Per-instance additive statistics ``[n, k]`` (the counts the official scorer pools over
        instances), with a fixed ``k``. They depend only on the instances and predictions, not on
        labels fitted in training: the report scores saved predictions with a fresh task."""

    @abstractmethod
    def metrics_from_statistics(self, totals: np.ndarray) -> dict[str, np.ndarray]:
        """Summed statistics ``[..., k]`` -> every metric ``[...]`` (``main_metric`` among them)."""

    def metric_from_statistics(self, totals: np.ndarray) -> np.ndarray:
        """Summed statistics ``[..., k]`` -> the main metric ``[...]`` (the significance test's)."""
        return self.metrics_from_statistics(totals)[self.main_metric]

    def breakdown(self, instances: Sequence, predictions: Sequence) -> dict[str, float]:
        """Per-label diagnostics added to :meth:`evaluate` (none by default; never selects or tests)."""
        return {}

    def evaluate(self, instances: Sequence, predictions: Sequence, breakdown: bool = True) -> dict[str, float]:
        """Metrics as the official scorer computes them (percentages where the scorer prints them), from
        the pooled statistics; with ``breakdown``, the per-label diagnostics too (a second pass over the
        predictions, so the per-epoch dev evaluation leaves them out)."""
        if len(instances) != len(predictions):
            raise ValueError(f"{len(predictions)} predictions for {len(instances)} instances")
        totals = pool(self.score_statistics(instances, predictions))
        metrics = {key: float(value) for key, value in self.metrics_from_statistics(totals).items()}
        return {**metrics, **(self.breakdown(instances, predictions) if breakdown else {})}

    @abstractmethod
    def write_predictions(self, path: str | Path, instances: Sequence, predictions: Sequence) -> None:
        """Write predictions in the format the official scorer reads."""

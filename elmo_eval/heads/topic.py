"""The source article's topic classifiers (4-class news headlines).

kind ``"lstm"`` (its configurations 1 and 2): batch normalisation over the
real tokens -> a unidirectional LSTM -> final state -> linear -> logits.
kind ``"mean_dense"`` (configuration 3): tokens mean-pooled -> dense ReLU ->
linear -> logits. Which token vectors arrive (scalar mix + trainable words,
scalar mix alone, the fixed layer mean) is the representation's business.
Output ELMo, when given, is mean-pooled over tokens and concatenated to the
sentence vector before the last linear layer.
"""

from __future__ import annotations

import torch
from torch import nn

from elmo_eval.modules.masked_batch_norm import MaskedBatchNorm
from elmo_eval.modules.masked_lstm import MaskedLSTM
from elmo_eval.modules.masked_ops import masked_mean

KINDS = ("lstm", "mean_dense")


class TopicClassifier(nn.Module):
    """``head(inputs, outputs, batch)``; gold ``batch.targets["label"]`` ``[batch]``;
    returns ``{"logits", "loss"?}``."""

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        num_classes: int = 4,
        kind: str = "lstm",
        hidden_dim: int = 256,
        dropout: float = 0.0,
        field: str = "tokens",
    ):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"topic head kind must be one of {KINDS}, got {kind!r}")
        self.kind, self.field = kind, field
        if kind == "lstm":
            self.norm = MaskedBatchNorm(input_dim)
            self.lstm = MaskedLSTM(input_dim, hidden_dim, bidirectional=False)
        else:
            self.dense = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.ReLU())
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_dim + output_dim, num_classes)

    def forward(self, inputs: dict, outputs: dict | None, batch) -> dict:
        mask = batch.fields[self.field].mask
        x = inputs[self.field]
        if self.kind == "lstm":
            sentence = self.lstm.final_state(self.norm(x, mask), mask)  # [batch, hidden]
        else:
            sentence = self.dense(masked_mean(x, mask))
        if outputs is not None:
            sentence = torch.cat([sentence, masked_mean(outputs[self.field], mask)], dim=-1)
        logits = self.output(self.dropout(sentence))
        result = {"logits": logits}
        if "label" in batch.targets:
            result["loss"] = nn.functional.cross_entropy(logits, batch.targets["label"])
        return result

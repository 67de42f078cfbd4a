"""Biattentive classification network (McCann et al. 2017), the paper's SST-5 model.

inputs ``[batch, time, input_dim]`` -> pre-encode feedforward (ReLU, dropout)
-> biLSTM encoder -> biattention (single-sentence tasks: the sentence attends
to a copy of itself) -> integrator biLSTM over ``[x; x - x~; x * x~]`` ->
[optional output ELMo concatenated] -> pooling (max, min, mean,
self-attentive) -> maxout classifier -> class logits.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from elmo_eval.modules.masked_lstm import MaskedLSTM
from elmo_eval.modules.maxout import Maxout

NEG = -1e4  # masked logits: never attended to, still finite


def biattend(x: torch.Tensor, y: torch.Tensor, y_mask: torch.Tensor) -> torch.Tensor:
    """Each position of ``x`` attends over ``y``: ``[batch, tx, dim]``, ``[batch, ty, dim]`` -> ``[batch, tx, dim]``."""
    logits = torch.bmm(x, y.transpose(1, 2)).masked_fill(~y_mask.unsqueeze(1), NEG)  # [batch, tx, ty]
    return torch.bmm(torch.softmax(logits, dim=-1), y)


def pool(x: torch.Tensor, mask: torch.Tensor, attention: nn.Linear) -> torch.Tensor:
    """Max, min, mean and self-attentive pooling over time: ``[batch, time, dim]`` -> ``[batch, 4 * dim]``."""
    keep = mask.unsqueeze(-1)
    max_pool = x.masked_fill(~keep, NEG).max(dim=1).values
    min_pool = x.masked_fill(~keep, -NEG).min(dim=1).values
    mean_pool = (x * keep).sum(1) / keep.sum(1).clamp(min=1)
    scores = attention(x).squeeze(-1).masked_fill(~mask, NEG)  # [batch, time]
    self_attentive = torch.bmm(torch.softmax(scores, dim=1).unsqueeze(1), x).squeeze(1)
    return torch.cat([max_pool, min_pool, mean_pool, self_attentive], dim=-1)


class BiattentiveClassifier(nn.Module):
    """``head(inputs, outputs, batch)`` for one text field; gold ``batch.targets["label"]`` ``[batch]``.

    Returns ``{"logits" [batch, classes], "loss"?}``. The maxout classifier has
    hidden layers ``maxout_dims`` then a last layer of ``num_classes`` units.
    """

    def __init__(self, input_dim: int, output_dim: int, num_classes: int, pre_encode_dim: int = 300,
                 pre_encode_dropout: float = 0.25, encoder_hidden: int = 300, integrator_hidden: int = 300,
                 integrator_dropout: float = 0.1, maxout_dims: Sequence[int] = (1200, 600), pool_size: int = 4,
                 maxout_dropouts: Sequence[float] = (0.2, 0.3, 0.0), field: str = "tokens"):
        super().__init__()
        self.field = field
        self.pre_encode = nn.Sequential(nn.Linear(input_dim, pre_encode_dim), nn.ReLU(), nn.Dropout(pre_encode_dropout))
        self.encoder = MaskedLSTM(pre_encode_dim, encoder_hidden, bidirectional=True)
        encoded = self.encoder.output_dim
        self.integrator = MaskedLSTM(3 * encoded, integrator_hidden, bidirectional=True)
        self.integrator_dropout = nn.Dropout(integrator_dropout)
        pooled_dim = self.integrator.output_dim + output_dim
        self.self_attention = nn.Linear(pooled_dim, 1)
        self.classifier = Maxout(4 * pooled_dim, [*maxout_dims, num_classes], pool_size, list(maxout_dropouts))

    def forward(self, inputs: dict, outputs: dict | None, batch) -> dict:
        mask = batch.fields[self.field].mask
        encoded = self.encoder(self.pre_encode(inputs[self.field]), mask)  # [batch, time, 2 * encoder_hidden]
        attended = biattend(encoded, encoded, mask)
        integrated = self.integrator(torch.cat([encoded, encoded - attended, encoded * attended], dim=-1), mask)
        integrated = self.integrator_dropout(integrated)
        if outputs is not None:
            integrated = torch.cat([integrated, outputs[self.field]], dim=-1)
        logits = self.classifier(pool(integrated, mask, self.self_attention))
        result = {"logits": logits}
        if "label" in batch.targets:
            result["loss"] = nn.functional.cross_entropy(logits, batch.targets["label"])
        return result

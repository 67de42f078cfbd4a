"""The trainable character CNN of the paper's baseline heads (NER, BiDAF, coref).

Not the biLM's character CNN: this one is small, trained with the head, and
part of the baseline the paper adds ELMo to.
"""
from __future__ import annotations

import torch
from torch import nn


class CharCNNEmbedder(nn.Module):
    """char ids ``[batch, time, chars]`` -> ``[batch, time, num_filters]`` (max-pooled ReLU conv)."""

    def __init__(self, char_dim: int = 16, num_filters: int = 128, width: int = 3, num_chars: int = 257,
                 dropout: float = 0.0):
        super().__init__()
        self.embedding = nn.Embedding(num_chars, char_dim, padding_idx=0)
        self.conv = nn.Conv1d(char_dim, num_filters, width, padding=width // 2)
        self.dropout = nn.Dropout(dropout)
        self.output_dim = num_filters

    def forward(self, char_ids: torch.Tensor) -> torch.Tensor:
        batch, time, chars = char_ids.shape
        flat = char_ids.reshape(batch * time, chars)
        emb = self.dropout(self.embedding(flat)).transpose(1, 2)          # [B*T, char_dim, chars]
        conv = torch.relu(self.conv(emb))                                 # [B*T, filters, chars]
        conv = conv.masked_fill((flat == 0).unsqueeze(1), 0.0)
        return conv.max(dim=-1).values.reshape(batch, time, -1)

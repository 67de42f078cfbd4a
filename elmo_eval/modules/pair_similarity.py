"""Similarity matrices between two sequences (the first step of BiDAF and ESIM attention)."""

from __future__ import annotations

import math

import torch
from torch import nn


def dot_product_similarity(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a [batch, m, dim]``, ``b [batch, n, dim]`` -> ``[batch, m, n]`` with ``e_ij = a_i . b_j`` (ESIM)."""
    return torch.bmm(a, b.transpose(1, 2))


class TrilinearSimilarity(nn.Module):
    """BiDAF's ``S_ij = w . [a_i; b_j; a_i * b_j] + bias``:
    ``[batch, m, dim]``, ``[batch, n, dim]`` -> ``[batch, m, n]``.

    Computed without materialising the ``[batch, m, n, 3 * dim]`` concatenation:
    ``w_a . a_i + w_b . b_j + (a_i * w_ab) . b_j``.
    """

    def __init__(self, dim: int):
        super().__init__()
        bound = math.sqrt(6.0 / (3 * dim + 1))
        self.weight_a = nn.Parameter(torch.empty(dim).uniform_(-bound, bound))
        self.weight_b = nn.Parameter(torch.empty(dim).uniform_(-bound, bound))
        self.weight_ab = nn.Parameter(torch.empty(dim).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        term_a = (a @ self.weight_a).unsqueeze(2)  # [B, m, 1]
        term_b = (b @ self.weight_b).unsqueeze(1)  # [B, 1, n]
        term_ab = torch.bmm(a * self.weight_ab, b.transpose(1, 2))  # [B, m, n]
        return term_a + term_b + term_ab + self.bias

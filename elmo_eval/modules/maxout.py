"""A stack of maxout layers (Goodfellow et al. 2013), the BCN's classifier."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class Maxout(nn.Module):
    """``[..., input_dim] -> [..., output_dims[-1]]``.

    Each layer is a linear map to ``output_dim * pool_size`` units followed by a
    max over each group of ``pool_size``, then dropout.
    """

    def __init__(self, input_dim: int, output_dims: Sequence[int], pool_sizes: int | Sequence[int],
                 dropouts: float | Sequence[float] = 0.0):
        super().__init__()
        n = len(output_dims)
        pool_sizes = [pool_sizes] * n if isinstance(pool_sizes, int) else list(pool_sizes)
        dropouts = [dropouts] * n if isinstance(dropouts, (int, float)) else list(dropouts)
        if len(pool_sizes) != n or len(dropouts) != n:
            raise ValueError(f"maxout has {n} layers but {len(pool_sizes)} pool sizes and {len(dropouts)} dropouts")
        dims = [input_dim, *output_dims]
        self.linears = nn.ModuleList(nn.Linear(dims[i], dims[i + 1] * pool_sizes[i]) for i in range(n))
        self.dropouts = nn.ModuleList(nn.Dropout(p) for p in dropouts)
        self.output_dims, self.pool_sizes = list(output_dims), pool_sizes
        self.output_dim = dims[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for linear, dropout, dim, pool in zip(self.linears, self.dropouts, self.output_dims, self.pool_sizes):
            x = dropout(linear(x).view(*x.shape[:-1], dim, pool).max(dim=-1).values)
        return x

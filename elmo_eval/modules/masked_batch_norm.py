"""Batch normalisation over the real tokens of a padded batch."""
from __future__ import annotations

import torch
from torch import nn


class MaskedBatchNorm(nn.Module):
    """``[batch, time, dim]`` + mask ``[batch, time]`` -> ``[batch, time, dim]``.

    Statistics come from unmasked tokens only (padding would drag the mean to 0);
    padded positions come out as zeros.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.norm = nn.BatchNorm1d(dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        out = torch.zeros_like(x)
        tokens = x[mask]  # [real tokens, dim]
        if self.training and tokens.size(0) < 2:
            # one token has no batch variance: use the running statistics, as at evaluation
            norm = self.norm
            out[mask] = nn.functional.batch_norm(tokens, norm.running_mean, norm.running_var, norm.weight,
                                                 norm.bias, training=False, eps=norm.eps)
            return out
        out[mask] = self.norm(tokens)
        return out

"""Highway layers in the TensorFlow (bilm-tf) form.

Per layer: ``t = relu(x W_transform + b_transform)``,
``g = sigmoid(x W_carry + b_carry)``, ``x <- g * t + (1 - g) * x``.
Weights are stored as in the official file (``[in, out]``, ``y = x @ W + b``)
so loading and exporting are plain copies.
"""
from __future__ import annotations

import math

import torch
from torch import nn


class Highway(nn.Module):
    """``n_layers`` highway layers of width ``dim``; forward ``[..., dim] -> [..., dim]``.

    Parameters (``k`` = layer): ``weight_transform[k]`` / ``weight_carry[k]``
    ``[dim, dim]`` (TF orientation), ``bias_transform[k]`` / ``bias_carry[k]`` ``[dim]``.
    """

    def __init__(self, dim: int, n_layers: int):
        super().__init__()
        self.dim = dim
        self.n_layers = n_layers
        self.weight_transform = nn.ParameterList(
            [nn.Parameter(torch.empty(dim, dim)) for _ in range(n_layers)])
        self.bias_transform = nn.ParameterList([nn.Parameter(torch.empty(dim)) for _ in range(n_layers)])
        self.weight_carry = nn.ParameterList([nn.Parameter(torch.empty(dim, dim)) for _ in range(n_layers)])
        self.bias_carry = nn.ParameterList([nn.Parameter(torch.empty(dim)) for _ in range(n_layers)])
        self.reset_parameters()

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """bilm-tf's init: normal(0, sqrt(1/dim)) weights, transform bias 0, carry bias -2
        (so each layer starts close to the identity)."""
        std = math.sqrt(1.0 / self.dim)
        with torch.no_grad():
            for k in range(self.n_layers):
                self.weight_transform[k].normal_(0.0, std, generator=generator)
                self.weight_carry[k].normal_(0.0, std, generator=generator)
                self.bias_transform[k].zero_()
                self.bias_carry[k].fill_(-2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``[..., dim]`` -> ``[..., dim]``."""
        shape = x.shape
        x = x.reshape(-1, self.dim)
        if not (torch.is_grad_enabled() and (x.requires_grad or any(p.requires_grad for p in self.parameters()))):
            return self._forward_in_place(x).reshape(shape)
        for k in range(self.n_layers):
            transformed = torch.relu(torch.addmm(self.bias_transform[k], x, self.weight_transform[k]))
            gate = torch.sigmoid(torch.addmm(self.bias_carry[k], x, self.weight_carry[k]))
            x = gate * transformed + (1.0 - gate) * x
        return x.reshape(shape)

    @torch.no_grad()
    def _forward_in_place(self, x: torch.Tensor) -> torch.Tensor:
        """:meth:`forward` without a graph, the same operations in the same order (bit-identical
        results) in two fresh buffers per layer instead of six."""
        for k in range(self.n_layers):
            transformed = torch.addmm(self.bias_transform[k], x, self.weight_transform[k]).relu_()
            gate = torch.addmm(self.bias_carry[k], x, self.weight_carry[k]).sigmoid_()
            transformed.mul_(gate)  # gate * transformed
            gate.neg_().add_(1.0).mul_(x)  # (1.0 - gate) * x
            x = transformed.add_(gate)
        return x

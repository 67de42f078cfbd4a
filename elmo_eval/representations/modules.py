"""Ways to turn a layer stack into one vector per token.

Every representation maps ``layers [batch, num_layers, time, dim]`` and
``mask [batch, time]`` to ``[batch, time, dim]`` and carries a trainable scale
``gamma`` (the paper's appendix A.2: without it, top-layer-only does poorly on
SNLI and fails to train for SRL, so every ablation keeps it).

- :class:`ScalarMix`: ``gamma * sum_j softmax(s)_j * h_j`` with optional layer
  normalisation and the paper's L2 penalty ``lambda * ||s||^2`` on the
  pre-softmax weights (NAACL / arXiv v2 form; large lambda pulls the mix
  towards a plain average).
- :class:`SelectLayer`: one layer only (``top`` = last layer, ``layer0`` = the
  context-independent character-CNN layer).
- :class:`FixedMean`: the unweighted mean of all layers (what TF-Hub's ELMo
  calls ``default`` before pooling).
"""
from __future__ import annotations

import torch
from torch import nn

REPRESENTATION_KINDS = ("scalar_mix", "top", "layer0", "mean")


def masked_layer_norm(x: torch.Tensor, mask: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Normalise one layer with a single mean/variance over all unmasked elements.

    x: ``[batch, time, dim]``; mask: ``[batch, time]`` (bool). Returns ``[batch, time, dim]``.
    """
    mask_f = mask.unsqueeze(-1).to(x.dtype)
    count = (mask_f.sum() * x.size(-1)).clamp(min=1.0)
    mean = (x * mask_f).sum() / count
    var = (((x - mean) * mask_f) ** 2).sum() / count
    return (x - mean) / torch.sqrt(var + eps)


class Representation(nn.Module):
    """Base class: layer stack to one vector per token, with gamma and an optional penalty."""

    def __init__(self, num_layers: int, dim: int, dropout: float = 0.0):
        super().__init__()
        self.num_layers = num_layers
        self.output_dim = dim
        self.gamma = nn.Parameter(torch.ones(1))
        self.dropout = nn.Dropout(dropout)

    def layer_weights(self) -> list[float]:
        """The normalised weight of each layer (sums to 1), for the layer-weight figure."""
        raise NotImplementedError

    def penalty(self) -> torch.Tensor:
        """Regularisation term added to the training loss (0 unless a subclass says otherwise)."""
        return self.gamma.new_zeros(())

    def _combine(self, layers: torch.Tensor, mask: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """layers ``[B, L, T, D]``, weights ``[L]`` -> ``[B, T, D]`` scaled by gamma, zero at padding."""
        mixed = torch.einsum("bltd,l->btd", layers, weights)
        return self.dropout(self.gamma * mixed * mask.unsqueeze(-1).to(mixed.dtype))

    def _check(self, layers: torch.Tensor) -> None:
        if layers.dim() != 4 or layers.size(1) != self.num_layers or layers.size(-1) != self.output_dim:
            raise ValueError(
                f"{type(self).__name__} expects layers [batch, {self.num_layers}, time, {self.output_dim}], "
                f"got {list(layers.shape)}")


class ScalarMix(Representation):
    """Learned softmax-normalised layer weights, scale gamma, optional layer norm, L2 penalty lambda."""

    def __init__(self, num_layers: int, dim: int, l2_lambda: float = 0.0, do_layer_norm: bool = False,
                 dropout: float = 0.0):
        super().__init__(num_layers, dim, dropout)
        self.scalar_parameters = nn.Parameter(torch.zeros(num_layers))
        self.l2_lambda = float(l2_lambda)
        self.do_layer_norm = do_layer_norm

    def forward(self, layers: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """layers ``[B, L, T, D]``, mask ``[B, T]`` -> ``[B, T, D]``."""
        self._check(layers)
        if self.do_layer_norm:
            layers = torch.stack([masked_layer_norm(layers[:, j], mask) for j in range(self.num_layers)], 1)
        return self._combine(layers, mask, torch.softmax(self.scalar_parameters, dim=0))

    def penalty(self) -> torch.Tensor:
        return self.l2_lambda * (self.scalar_parameters ** 2).sum()

    def layer_weights(self) -> list[float]:
        return torch.softmax(self.scalar_parameters.detach(), dim=0).tolist()


class SelectLayer(Representation):
    """One layer only (index -1 = the top layer), times gamma."""

    def __init__(self, num_layers: int, dim: int, index: int = -1, dropout: float = 0.0):
        super().__init__(num_layers, dim, dropout)
        self.index = index % num_layers
        self.register_buffer("weights", torch.nn.functional.one_hot(
            torch.tensor(self.index), num_layers).float(), persistent=False)

    def forward(self, layers: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """layers ``[B, L, T, D]``, mask ``[B, T]`` -> ``[B, T, D]``."""
        self._check(layers)
        return self._combine(layers, mask, self.weights.to(layers.dtype))

    def layer_weights(self) -> list[float]:
        return self.weights.tolist()


class FixedMean(Representation):
    """The plain average of all layers, times gamma."""

    def forward(self, layers: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """layers ``[B, L, T, D]``, mask ``[B, T]`` -> ``[B, T, D]``."""
        self._check(layers)
        weights = layers.new_full((self.num_layers,), 1.0 / self.num_layers)
        return self._combine(layers, mask, weights)

    def layer_weights(self) -> list[float]:
        return [1.0 / self.num_layers] * self.num_layers


def build_representation(kind: str, num_layers: int, dim: int, l2_lambda: float = 0.0,
                         do_layer_norm: bool = False, dropout: float = 0.0) -> Representation:
    """Make a representation by name: ``scalar_mix``, ``top``, ``layer0`` or ``mean``."""
    if kind == "scalar_mix":
        return ScalarMix(num_layers, dim, l2_lambda=l2_lambda, do_layer_norm=do_layer_norm, dropout=dropout)
    if kind == "top":
        return SelectLayer(num_layers, dim, index=-1, dropout=dropout)
    if kind == "layer0":
        return SelectLayer(num_layers, dim, index=0, dropout=dropout)
    if kind == "mean":
        return FixedMean(num_layers, dim, dropout=dropout)
    raise ValueError(f"unknown representation {kind!r}; expected one of {REPRESENTATION_KINDS}")

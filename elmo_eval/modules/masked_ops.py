"""Softmax and pooling that ignore padding (``mask`` is bool, True at real positions).

Masked positions are filled with a very negative *finite* number rather than
``-inf`` so that a fully masked row gives a uniform (harmless) distribution
instead of NaNs, which would poison the gradients of the whole batch.
"""
from __future__ import annotations

import torch


def _very_negative(x: torch.Tensor) -> float:
    # half of the dtype's minimum: adding two such values still does not overflow
    return torch.finfo(x.dtype).min / 2


def masked_softmax(logits: torch.Tensor, mask: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax over ``dim`` where ``mask`` is False counts as probability 0.

    ``mask`` broadcasts against ``logits`` (e.g. logits ``[B, P, Q]``, mask ``[B, 1, Q]``).
    """
    probs = torch.softmax(logits.masked_fill(~mask, _very_negative(logits)), dim=dim)
    return probs * mask.to(probs.dtype)


def masked_log_softmax(logits: torch.Tensor, mask: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Log-softmax over the unmasked positions; masked positions get a very negative log-probability."""
    return torch.log_softmax(logits.masked_fill(~mask, _very_negative(logits)), dim=dim)


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``[batch, time, dim]``, mask ``[batch, time]`` -> mean over real positions ``[batch, dim]``."""
    weights = mask.unsqueeze(-1).to(x.dtype)
    return (x * weights).sum(1) / weights.sum(1).clamp(min=1.0)


def masked_max(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``[batch, time, dim]``, mask ``[batch, time]`` -> max over real positions ``[batch, dim]``."""
    return x.masked_fill(~mask.unsqueeze(-1), _very_negative(x)).max(dim=1).values

"""The best answer span of extractive QA, for a whole batch at once."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def best_spans(start_scores: torch.Tensor, end_scores: torch.Tensor, mask: torch.Tensor,
               max_span_length: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Argmax of ``start_scores[i] + end_scores[j]`` over ``i <= j < i + max_span_length``, both real tokens.

    With log-probabilities as scores this maximises ``p(start) * p(end)``.
    start_scores, end_scores ``[batch, time]``; mask ``[batch, time]`` bool
    (real tokens first). Returns ``(starts, ends, scores)``, each ``[batch]``
    (inclusive token indices). Only the band of allowed lengths is scored:
    ``[batch, time, max_span_length]`` rather than ``[batch, time, time]``.
    """
    batch, time = start_scores.shape
    if time == 0:
        raise ValueError("cannot search spans in an empty passage")
    width = time if max_span_length is None else max(1, min(int(max_span_length), time))
    neg_inf = torch.tensor(float("-inf"), dtype=start_scores.dtype, device=start_scores.device)
    starts_ok = torch.where(mask, start_scores, neg_inf)                       # [B, T]
    ends_ok = torch.where(mask, end_scores, neg_inf)
    # ends_by_offset[b, i, k] = end score of token i + k (-inf beyond the passage)
    ends_by_offset = F.pad(ends_ok, (0, width - 1), value=float("-inf")).unfold(1, width, 1)  # [B, T, K]
    scores = starts_ok.unsqueeze(-1) + ends_by_offset                          # [B, T, K]
    best_score, flat = scores.reshape(batch, -1).max(dim=1)
    starts = torch.div(flat, width, rounding_mode="floor")
    ends = starts + flat % width
    return starts, ends, best_score

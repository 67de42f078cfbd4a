"""Candidate spans of a document and their representations (Lee et al. 2017, section 4).

A document here is one flat token sequence of ``time`` tokens with a sentence id
per token; spans never cross a sentence boundary.
"""

from __future__ import annotations

import torch
from torch import nn


def enumerate_spans(sentence_ids: torch.Tensor, max_width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every span of 1..``max_width`` tokens inside one sentence.

    sentence_ids: ``[time]`` sentence index of each token (non-decreasing).
    Returns ``(starts, ends)``, each ``[num_spans]`` (inclusive ends), ordered by
    start then end, which is the order antecedents are searched in.
    """
    time = sentence_ids.size(0)
    starts = torch.arange(time, device=sentence_ids.device).unsqueeze(1).expand(time, max_width)  # [time, width]
    ends = starts + torch.arange(max_width, device=sentence_ids.device)  # [time, width]
    inside = ends < time
    clamped = ends.clamp(max=max(time - 1, 0))
    valid = inside & (sentence_ids[clamped] == sentence_ids.unsqueeze(1))
    return starts[valid], ends[valid]


class SpanRepresentation(nn.Module):
    """Span embedding ``g_i = [x*_start, x*_end, x^_i, phi(width)]``.

    x*: contextual token vectors ``[time, context_dim]``; x^_i: an attention-weighted
    sum of the span's *input* token vectors ``[time, input_dim]`` (a soft head word,
    with attention logits ``w . x*_t``); phi: a learned width embedding.
    ``output_dim = 2 * context_dim + input_dim + feature_dim``.
    """

    chunk_size = 4096  # spans per soft-head gather

    def __init__(
        self, context_dim: int, input_dim: int, max_width: int, feature_dim: int, use_head_attention: bool = True
    ):
        super().__init__()
        self.max_width = max_width
        self.use_head_attention = use_head_attention
        self.head_scorer = nn.Linear(context_dim, 1)
        self.width_embedding = nn.Embedding(max_width, feature_dim)
        self.output_dim = 2 * context_dim + feature_dim + (input_dim if use_head_attention else 0)

    def forward(
        self, context: torch.Tensor, inputs: torch.Tensor, starts: torch.Tensor, ends: torch.Tensor
    ) -> torch.Tensor:
        """context ``[time, context_dim]``, inputs ``[time, input_dim]``, starts/ends ``[spans]``
        -> ``[spans, output_dim]``."""
        widths = ends - starts  # 0-based width index
        parts = [context[starts], context[ends]]
        if self.use_head_attention:
            token_logits = self.head_scorer(context).squeeze(-1)  # [time]
            # chunks bound the [spans, max_width, input_dim] gather on long documents
            parts.append(
                torch.cat(
                    [
                        self._soft_head(
                            token_logits, inputs, starts[i : i + self.chunk_size], widths[i : i + self.chunk_size]
                        )
                        for i in range(0, max(len(starts), 1), self.chunk_size)
                    ],
                    dim=0,
                )
            )
        parts.append(self.width_embedding(widths))
        return torch.cat(parts, dim=-1)

    def _soft_head(
        self, token_logits: torch.Tensor, inputs: torch.Tensor, starts: torch.Tensor, widths: torch.Tensor
    ) -> torch.Tensor:
        """Attention-weighted input vectors of spans: ``[spans, input_dim]``."""
        offsets = torch.arange(self.max_width, device=starts.device)
        tokens = starts.unsqueeze(1) + offsets  # [spans, max_width]
        inside = offsets.unsqueeze(0) <= widths.unsqueeze(1)  # [spans, max_width]
        tokens = torch.where(inside, tokens, starts.unsqueeze(1))  # padding points at a real token
        weights = torch.softmax(token_logits[tokens].masked_fill(~inside, float("-inf")), dim=-1)
        return torch.einsum("sw,swd->sd", weights, inputs[tokens])

"""A linear-chain conditional random field: vectorised forward algorithm and constrained Viterbi.

Scores: ``transitions[i, j]`` for tag ``i`` followed by tag ``j``; optional
start/end scores of the first/last tag. Constraints (from
:func:`elmo_eval.modules.viterbi.allowed_transitions`) only restrict decoding,
as in the BiLSTM-CRF NER recipe; the likelihood is over all sequences.
"""
from __future__ import annotations

import torch
from torch import nn

from elmo_eval.modules.viterbi import constrained_scores, viterbi_decode


class ConditionalRandomField(nn.Module):
    """CRF over ``num_tags`` tags.

    constraints: None or ``(transition_mask [tags, tags], start_mask [tags], end_mask [tags])``
    of bools (allowed = True), applied when decoding.
    """

    def __init__(self, num_tags: int, include_start_end: bool = False,
                 constraints: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None):
        super().__init__()
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags))
        nn.init.xavier_normal_(self.transitions)
        self.include_start_end = include_start_end
        if include_start_end:
            self.start_transitions = nn.Parameter(torch.randn(num_tags) * 0.1)
            self.end_transitions = nn.Parameter(torch.randn(num_tags) * 0.1)
        if constraints is None:
            ones = torch.ones(num_tags, dtype=torch.bool)
            constraints = (torch.ones(num_tags, num_tags, dtype=torch.bool), ones, ones)
        allowed, start, end = constraints
        if allowed.shape != (num_tags, num_tags) or start.shape != (num_tags,) or end.shape != (num_tags,):
            raise ValueError(f"constraint masks have shapes {tuple(allowed.shape)}, {tuple(start.shape)}, "
                             f"{tuple(end.shape)}; expected ({num_tags}, {num_tags}), ({num_tags},), ({num_tags},)")
        self.register_buffer("allowed", allowed.bool(), persistent=False)
        self.register_buffer("allowed_start", start.bool(), persistent=False)
        self.register_buffer("allowed_end", end.bool(), persistent=False)

    def _start_end(self, emissions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.include_start_end:
            return self.start_transitions, self.end_transitions
        zeros = emissions.new_zeros(self.num_tags)
        return zeros, zeros

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``log Z`` per row ``[batch]``: the forward algorithm (logsumexp over tags, whole batch per step).

        emissions ``[batch, time, tags]``; mask ``[batch, time]`` bool, left-aligned, each row non-empty.
        """
        start, end = self._start_end(emissions)
        alpha = emissions[:, 0] + start  # [batch, tags]
        for t in range(1, emissions.size(1)):
            # [batch, from, to] -> logsumexp over "from"
            step = torch.logsumexp(alpha.unsqueeze(2) + self.transitions.unsqueeze(0), dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t].unsqueeze(1), step, alpha)
        return torch.logsumexp(alpha + end, dim=1)

    def sequence_score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Unnormalised score of the given tag sequences ``[batch]`` (tags ``[batch, time]``; padding ignored)."""
        start, end = self._start_end(emissions)
        mask_f = mask.to(emissions.dtype)
        tags = tags.masked_fill(~mask, 0)
        emitted = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # [batch, time]
        score = (emitted * mask_f).sum(1) + start[tags[:, 0]]
        moves = self.transitions[tags[:, :-1], tags[:, 1:]]  # [batch, time-1]
        score = score + (moves * mask_f[:, 1:]).sum(1)
        last = tags.gather(1, (mask.sum(1) - 1).clamp(min=0).unsqueeze(1)).squeeze(1)
        return score + end[last]

    def log_likelihood(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``log p(tags | emissions)`` per row ``[batch]``."""
        mask = mask.bool()
        return self.sequence_score(emissions, tags, mask) - self.log_partition(emissions, mask)

    def forward(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood summed over the batch (a scalar), as the recipe's crf_tagger."""
        return -self.log_likelihood(emissions, tags, mask).sum()

    @torch.no_grad()
    def decode(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        """Best tag ids per row under the constraints (lists as long as each row's mask)."""
        start, end = self._start_end(emissions)
        return viterbi_decode(emissions, constrained_scores(self.transitions, self.allowed), mask,
                              constrained_scores(start, self.allowed_start), constrained_scores(end, self.allowed_end))

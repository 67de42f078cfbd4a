"""The LM output layer shared by the forward and backward directions.

One output embedding ``weight [V, D]`` and ``bias [V]``: ``logits = h @ weight.T + bias``.
Training may use a sampled softmax (bilm-tf's ``tf.nn.sampled_softmax_loss`` with
a log-uniform sampler): the true logit competes with ``num_sampled`` words drawn
from a Zipf-like proposal over the frequency-sorted vocabulary, each logit
corrected by ``-log(expected count)``, accidental hits removed. Evaluation always
uses the full softmax, so reported perplexities are exact.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def log_uniform_log_probs(vocab_size: int, ids: torch.Tensor) -> torch.Tensor:
    """log P(id) under the log-uniform proposal ``P(k) = log((k+2)/(k+1)) / log(V+1)``."""
    ids = ids.to(torch.float64)
    return (torch.log1p(1.0 / (ids + 1.0)) / math.log(vocab_size + 1.0)).log().to(torch.float32)


def sample_log_uniform(vocab_size: int, num_sampled: int, device: torch.device | None = None) -> torch.Tensor:
    """``[num_sampled]`` ids drawn with replacement from the log-uniform proposal
    (inverse CDF: ``floor(exp(u * log(V+1))) - 1``); uses the global torch RNG."""
    uniform = torch.rand(num_sampled, dtype=torch.float64, device=device)
    ids = torch.floor(torch.exp(uniform * math.log(vocab_size + 1.0))).long() - 1
    return ids.clamp_(0, vocab_size - 1)


class SharedSoftmax(nn.Module):
    """``forward(hidden [N, D], targets [N]) -> nll [N]`` (natural log).

    ``num_sampled`` = None or >= vocabulary size: full softmax always; otherwise sampled
    softmax while ``self.training``.
    """

    def __init__(self, vocab_size: int, dim: int, num_sampled: int | None = None):
        super().__init__()
        self.vocab_size = vocab_size
        self.dim = dim
        self.num_sampled = num_sampled
        self.weight = nn.Parameter(torch.empty(vocab_size, dim))
        self.bias = nn.Parameter(torch.zeros(vocab_size))
        self.reset_parameters()

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        # bilm-tf: normal(0, 1/sqrt(D)) softmax weights, zero bias.
        with torch.no_grad():
            self.weight.normal_(0.0, 1.0 / math.sqrt(self.dim), generator=generator)
            self.bias.zero_()

    @property
    def uses_sampling(self) -> bool:
        return self.training and self.num_sampled is not None and self.num_sampled < self.vocab_size

    def forward(self, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self.uses_sampling:
            return self._sampled_nll(hidden, targets)
        logits = F.linear(hidden, self.weight, self.bias)  # [N, V]
        return F.cross_entropy(logits, targets, reduction="none")

    def _sampled_nll(self, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Sampled softmax NLL ``[N]``; one set of samples shared by the whole batch.

        The ``S`` draws (with replacement) repeat frequent ids many times (~1,000 distinct
        ids among 2,048 draws over 15k words), so each distinct id is scored once and
        enters the log-sum-exp with ``+ log(multiplicity)``: the same loss as scoring every
        draw, with about half the matmul.
        """
        sampled = sample_log_uniform(self.vocab_size, self.num_sampled, hidden.device)  # [S]
        return self._nll_against(hidden, targets, *torch.unique(sampled, return_counts=True))

    def _nll_against(self, hidden: torch.Tensor, targets: torch.Tensor, distinct: torch.Tensor,
                     multiplicity: torch.Tensor) -> torch.Tensor:
        """NLL ``[N]`` of ``targets`` against negatives ``distinct`` ``[U]`` drawn ``multiplicity`` ``[U]`` times."""
        # Expected count of an id among S draws with replacement: S * P(id).
        log_count_true = math.log(self.num_sampled) + log_uniform_log_probs(self.vocab_size, targets)
        log_count_sampled = math.log(self.num_sampled) + log_uniform_log_probs(self.vocab_size, distinct)
        true_logits = (hidden * self.weight[targets]).sum(-1) + self.bias[targets] - log_count_true  # [N]
        sampled_logits = F.linear(hidden, self.weight[distinct], self.bias[distinct])  # [N, U]
        sampled_logits = sampled_logits + (multiplicity.to(hidden.dtype).log() - log_count_sampled)
        # A sample equal to the target must not count as a negative.
        sampled_logits = sampled_logits.masked_fill(distinct.unsqueeze(0) == targets.unsqueeze(1), -1e30)
        logits = torch.cat([true_logits.unsqueeze(1), sampled_logits], dim=1)  # [N, 1 + U]
        return torch.logsumexp(logits, dim=1) - true_logits

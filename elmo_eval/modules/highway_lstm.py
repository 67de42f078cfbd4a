"""A deep LSTM whose layers alternate direction, with highway connections (He et al. 2017).

Each layer is one fused single-direction ``nn.LSTM`` (fast on CPU and GPU).
Odd layers read the sentence backwards: each row is reversed within its own
length (:func:`reverse_padded`), so padding stays at the end and a forward
LSTM over the reversed rows never sees padding before a real token.

Departures from He et al. 2017, forced by the fused cell (documented, not hidden):

- the highway gate ``r = sigmoid(W [h, x] + b)`` is computed from the layer's
  output ``h_t`` and input ``x_t`` after the recurrence, instead of from
  ``h_{t-1}`` inside it; the layer output is ``r * h + (1 - r) * W_x x``;
- recurrent (variational) dropout is applied as one dropout mask per sequence
  shared over time on each layer's output, not on the hidden-to-hidden path.
"""
from __future__ import annotations

import torch
from torch import nn


def reverse_padded(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Reverse each row of ``x`` ``[batch, time, dim]`` within its length (mask ``[batch, time]``, left-aligned).

    Padding positions stay where they are; applying it twice gives ``x`` back.
    """
    batch, time = mask.shape
    lengths = mask.long().sum(1, keepdim=True)  # [batch, 1]
    steps = torch.arange(time, device=x.device).unsqueeze(0).expand(batch, time)
    source = torch.where(steps < lengths, lengths - 1 - steps, steps)  # [batch, time]
    return x.gather(1, source.unsqueeze(-1).expand_as(x))


class LockedDropout(nn.Module):
    """Dropout with one mask per sequence shared across time: ``[batch, time, dim]`` -> same."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = x.new_empty(x.shape[0], 1, x.shape[2]).bernoulli_(1 - self.p) / (1 - self.p)
        return x * keep


class AlternatingHighwayLSTM(nn.Module):
    """``[batch, time, input_dim]`` + mask -> ``[batch, time, hidden_dim]``.

    num_layers fused LSTMs, layer ``k`` forward when ``k`` is even and backward
    when odd, each followed by a highway gate and time-shared dropout.
    """

    def __init__(self, input_dim: int, hidden_dim: int, num_layers: int, recurrent_dropout: float = 0.0):
        super().__init__()
        self.hidden_dim = hidden_dim
        dims = [input_dim] + [hidden_dim] * num_layers
        self.lstms = nn.ModuleList(nn.LSTM(dims[k], hidden_dim, batch_first=True) for k in range(num_layers))
        # gate from [h, x]; carry projection of x (no bias: He et al.'s input projection has none)
        self.gates = nn.ModuleList(nn.Linear(hidden_dim + dims[k], hidden_dim) for k in range(num_layers))
        self.carries = nn.ModuleList(nn.Linear(dims[k], hidden_dim, bias=False) for k in range(num_layers))
        self.dropout = LockedDropout(recurrent_dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for lstm in self.lstms:
            for name, weight in lstm.named_parameters():
                if name.startswith("weight"):
                    for block in weight.data.chunk(4, 0):  # one orthogonal block per gate
                        nn.init.orthogonal_(block)
                else:
                    weight.data.zero_()
                    # forget-gate bias 1: remember by default
                    weight.data[self.hidden_dim:2 * self.hidden_dim] = 0.5
        for gate, carry in zip(self.gates, self.carries):
            nn.init.orthogonal_(gate.weight)
            nn.init.zeros_(gate.bias)
            nn.init.orthogonal_(carry.weight)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        mask_f = mask.unsqueeze(-1).to(x.dtype)
        for k, (lstm, gate, carry) in enumerate(zip(self.lstms, self.gates, self.carries)):
            backward = k % 2 == 1
            source = reverse_padded(x, mask) if backward else x
            hidden, _ = lstm(source)
            if backward:
                hidden = reverse_padded(hidden, mask)
            r = torch.sigmoid(gate(torch.cat([hidden, x], -1)))
            x = self.dropout((r * hidden + (1 - r) * carry(x)) * mask_f)
        return x

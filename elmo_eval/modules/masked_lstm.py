"""An LSTM over padded batches that never reads padding (packed sequences)."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class MaskedLSTM(nn.Module):
    """``[batch, time, input_dim]`` + mask ``[batch, time]`` -> ``[batch, time, output_dim]`` (zeros at padding).

    ``output_dim`` is ``hidden_dim * 2`` when bidirectional. ``dropout`` is applied between stacked layers.
    :meth:`final_state` gives the last real step's hidden state ``[batch, output_dim]``.
    """

    def __init__(self, input_dim: int, hidden_dim: int, num_layers: int = 1, bidirectional: bool = True,
                 dropout: float = 0.0):
        super().__init__()
        self.lstm = nn.LSTM(input_dim, hidden_dim, num_layers=num_layers, batch_first=True,
                            bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)
        self.output_dim = hidden_dim * (2 if bidirectional else 1)

    def _run(self, x: torch.Tensor, mask: torch.Tensor):
        # empty rows would break packing; they get length 1 and their output is masked away
        lengths = mask.sum(1).clamp(min=1).cpu()
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, (h, _) = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
        return out * mask.unsqueeze(-1).to(out.dtype), h

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self._run(x, mask)[0]

    def final_state(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Top layer's final hidden state(s), both directions concatenated: ``[batch, output_dim]``."""
        _, h = self._run(x, mask)
        directions = 2 if self.lstm.bidirectional else 1
        return torch.cat(list(h[-directions:]), dim=-1)

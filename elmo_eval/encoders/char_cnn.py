"""Character CNN: char ids -> context-independent token vectors ``e``.

embed chars -> per filter bank: valid cross-correlation, max over positions,
activation -> concatenate banks -> highway -> linear projection.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from elmo_eval.modules.highway import Highway

from .char_ids import MAX_CHARS_PER_TOKEN, N_CHARACTERS, PAD_CHAR

# id of the padding character inside a token (the +1 shift keeps 0 for "no token")
_PAD_ID = PAD_CHAR + 1
# Tokens of at most this many ids (8 characters + 2 markers: ~90% of running text) are convolved
# apart from longer ones, over fewer positions.
SHORT_TOKEN_IDS = 10

_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh}


class CharacterCNN(nn.Module):
    """Token embedder of the ELMo biLM.

    Submodules / parameters:
      - ``char_embedding``: ``nn.Embedding(n_characters, char_dim, padding_idx=0)``;
        row 0 (id 0 = "no token") is all zeros; the official ``char_embed`` is rows 1..
      - ``convolutions``: ``nn.ModuleList`` of ``nn.Conv1d(char_dim, count, width)``, in file order
      - ``highway``: :class:`Highway` over ``n_filters = sum(counts)``
      - ``projection_weight`` ``[n_filters, projection_dim]`` (TF orientation), ``projection_bias``
    """

    def __init__(self, char_dim: int, filters: Sequence[Sequence[int]], n_highway: int, projection_dim: int,
                 activation: str = "relu", n_characters: int = N_CHARACTERS):
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"char_cnn activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        self.char_dim = char_dim
        self.filters = [(int(w), int(n)) for w, n in filters]
        self.n_filters = sum(n for _, n in self.filters)
        self.widest = max(width for width, _ in self.filters)
        self.projection_dim = projection_dim
        self.activation = activation
        self.n_characters = n_characters
        # forward without a graph computes each distinct token of a batch once (False: every row, as
        # with a graph; the benchmarks compare both)
        self.deduplicate = True
        self.char_embedding = nn.Embedding(n_characters, char_dim, padding_idx=0)
        self.convolutions = nn.ModuleList([nn.Conv1d(char_dim, n, w) for w, n in self.filters])
        self.highway = Highway(self.n_filters, n_highway)
        self.projection_weight = nn.Parameter(torch.empty(self.n_filters, projection_dim))
        self.projection_bias = nn.Parameter(torch.empty(projection_dim))
        self.reset_parameters()

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """bilm-tf's init: chars uniform(-1, 1), filters normal(0, sqrt(1/(width*char_dim))),
        projection normal(0, sqrt(1/n_filters)), zero biases; id 0 stays the zero vector."""
        with torch.no_grad():
            self.char_embedding.weight.uniform_(-1.0, 1.0, generator=generator)
            self.char_embedding.weight[0].zero_()
            for (width, _), conv in zip(self.filters, self.convolutions):
                conv.weight.normal_(0.0, math.sqrt(1.0 / (width * self.char_dim)), generator=generator)
                conv.bias.zero_()
            self.highway.reset_parameters(generator)
            self.projection_weight.normal_(0.0, math.sqrt(1.0 / self.n_filters), generator=generator)
            self.projection_bias.zero_()

    def forward(self, char_ids: torch.Tensor) -> torch.Tensor:
        """``char_ids`` ``[..., 50]`` int -> token embeddings ``[..., projection_dim]``.

        Short tokens (at most :data:`SHORT_TOKEN_IDS` ids) and the others are convolved apart, each
        group only as far as its longest token needs (:meth:`_filter_features`); each group goes
        through all conv banks in one matmul (:meth:`_all_banks_max`), or, when it has a token too
        long for that, through each bank in one matmul (:meth:`_bank_max`). Without a graph (feature
        extraction) each distinct token of the batch is computed once (:attr:`deduplicate`).
        """
        if char_ids.shape[-1] != MAX_CHARS_PER_TOKEN:
            raise ValueError(f"char ids must have {MAX_CHARS_PER_TOKEN} ids per token, "
                             f"got shape {tuple(char_ids.shape)}")
        lead_shape = char_ids.shape[:-1]
        flat_ids = char_ids.reshape(-1, MAX_CHARS_PER_TOKEN)
        if flat_ids.shape[0] == 0:
            return torch.zeros(*lead_shape, self.projection_dim, dtype=self.projection_weight.dtype,
                               device=self.projection_weight.device)
        if self.deduplicate and not _needs_graph(self.char_embedding.weight):
            # Without a graph each distinct token is computed once: a batch of running text repeats most
            # of its tokens (function words, punctuation, the <S>/</S> of every sentence). Each token's
            # vector is a function of its own ids only: the same numbers up to the matmuls' rounding
            # (bitwise the same for the biLMs and corpora checked; tests/test_encoder_char_cnn.py).
            distinct, where = torch.unique(flat_ids, dim=0, return_inverse=True)
            if distinct.shape[0] < flat_ids.shape[0]:
                return self._embed_flat(distinct).index_select(0, where).reshape(*lead_shape, self.projection_dim)
        return self._embed_flat(flat_ids).reshape(*lead_shape, self.projection_dim)

    def _embed_flat(self, flat_ids: torch.Tensor) -> torch.Tensor:
        """``flat_ids`` ``[tokens, 50]`` (at least one) -> ``[tokens, projection_dim]``."""
        lengths = ((flat_ids != _PAD_ID) & (flat_ids != 0)).sum(dim=1)  # [tokens] ids incl. markers
        short = lengths <= SHORT_TOKEN_IDS
        if bool(short.all()) or not bool(short.any()):
            features = self._filter_features(flat_ids, int(lengths.max()))
        else:
            # Most tokens are short: convolve them over fewer positions than the longest needs.
            features = flat_ids.new_zeros(flat_ids.shape[0], self.n_filters, dtype=self.projection_weight.dtype)
            for bucket in (short, ~short):
                rows = bucket.nonzero().squeeze(1)
                ids = flat_ids.index_select(0, rows)
                features = features.index_copy(0, rows, self._filter_features(ids, int(lengths[rows].max())))
        features = self.highway(features)
        return torch.addmm(self.projection_bias, features, self.projection_weight)

    def _filter_features(self, flat_ids: torch.Tensor, longest: int) -> torch.Tensor:
        """Max-pooled, activated filter responses ``[tokens, n_filters]`` of ``flat_ids`` ``[tokens, 50]``
        whose longest token has ``longest`` ids (markers included).

        Windows wholly in the padding after a token respond alike for every token, so all but one
        are redundant: keeping the longest token plus the widest filter keeps, for every token and
        bank, each window that touches a real character and at least one all-padding window, and
        the max over positions is unchanged (typical words, ~7 ids with markers, need ~12 of 50).
        """
        chars = self.char_embedding(flat_ids[:, : min(MAX_CHARS_PER_TOKEN, longest + self.widest)])
        activate = _ACTIVATIONS[self.activation]
        if longest + self.widest <= MAX_CHARS_PER_TOKEN:
            return activate(self._all_banks_max(chars))
        return torch.cat([activate(self._bank_max(chars, conv)) for conv in self.convolutions], dim=1)

    def _all_banks_max(self, chars: torch.Tensor) -> torch.Tensor:
        """Every bank in one matmul: each filter zero-padded on the right to the widest width.

        ``chars`` ``[tokens, n_chars, char_dim]`` -> ``[tokens, n_filters]`` (before the activation).
        A padded filter of width ``w`` loses its last ``widest - w`` positions; when ``n_chars`` is
        the longest token plus the widest filter those are all-padding windows, one of which is
        kept, so the max equals :meth:`_bank_max`'s. One wide matmul and one max instead of one
        narrow one per bank (the extra zeros cost ~25% more multiply-adds at the small preset,
        less than what the narrow matmuls lose).
        """
        widest = self.widest
        tokens, n_chars, char_dim = chars.shape
        positions = n_chars - widest + 1
        filters = torch.cat([F.pad(conv.weight, (0, widest - conv.weight.shape[-1])) for conv in self.convolutions])
        filters = filters.permute(1, 2, 0).reshape(char_dim * widest, self.n_filters)
        bias = torch.cat([conv.bias for conv in self.convolutions])
        if not _needs_graph(chars, filters):
            return _blocked_max(chars.unfold(1, widest, 1), filters) + bias
        windows = chars.unfold(1, widest, 1).reshape(tokens * positions, char_dim * widest)
        responses = torch.mm(windows, filters).reshape(tokens, positions, self.n_filters)
        return responses.max(dim=1).values + bias

    @staticmethod
    def _bank_max(chars: torch.Tensor, conv: nn.Conv1d) -> torch.Tensor:
        """Valid cross-correlation of one filter bank, max over positions.

        ``chars`` ``[tokens, n_chars, char_dim]`` -> ``[tokens, count]``. Computed as one matmul of
        all windows ``[tokens * positions, char_dim * width]`` with the filters (same numbers as
        ``conv``, ~1.6x faster than ``Conv1d`` on CPU for these shapes). Max is taken before the
        activation (as in bilm-tf; relu and tanh are monotone, so it equals max of activations),
        and the bias is added after the max (max(x + b) = max(x) + b), so its gradient is a sum
        over tokens rather than over every window. ``max`` with indices (not ``amax``) keeps the
        backward a scatter of one position per token and filter.
        """
        count, char_dim, width = conv.weight.shape
        tokens, n_chars, _ = chars.shape
        positions = n_chars - width + 1
        windows = chars.unfold(1, width, 1)  # [tokens, positions, char_dim, width]
        filters = conv.weight.permute(1, 2, 0).reshape(char_dim * width, count)
        if not _needs_graph(chars, filters):
            return _blocked_max(windows, filters) + conv.bias
        windows = windows.reshape(tokens * positions, char_dim * width)
        responses = torch.mm(windows, filters)  # [tokens * positions, count]
        return responses.reshape(tokens, positions, count).max(dim=1).values + conv.bias


# Rows (token x position windows) of one block of :func:`_blocked_max`: its responses
# (~8 MB at 2048 filters) stay in cache for the max.
_BLOCK_ROWS = 1024


def _needs_graph(*tensors: torch.Tensor) -> bool:
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


def _blocked_max(windows: torch.Tensor, filters: torch.Tensor) -> torch.Tensor:
    """Max over positions of ``windows @ filters`` without a graph, a block of tokens at a time.

    ``windows`` ``[tokens, positions, char_dim, width]`` (an ``unfold`` view), ``filters``
    ``[char_dim * width, count]`` -> ``[tokens, count]``. The same numbers as one matmul over all
    windows followed by ``max(dim=1)``, in under half the time at full size: each block's responses
    are maxed while in cache (all at once they are ~200 MB at 128 sentences), and ``amax`` skips
    the indices that only a backward needs.
    """
    tokens, positions = windows.shape[:2]
    depth, count = filters.shape
    out = filters.new_empty(tokens, count)
    block = max(1, _BLOCK_ROWS // max(positions, 1))
    for start in range(0, tokens, block):
        rows = windows[start: start + block]
        responses = torch.mm(rows.reshape(-1, depth), filters).view(rows.shape[0], positions, count)
        torch.amax(responses, dim=1, out=out[start: start + block])
    return out

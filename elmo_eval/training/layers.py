"""Where a head's ELMo layers come from: a frozen on-disk cache or a live encoder.

Both give, for a batch, one ``[batch, num_layers, time, dim]`` float32 tensor in
which row b holds its sentences one after another along time (a document is
several sentences), zero-padded (:meth:`LayerSource.row_layers`). The biLM is
frozen and stateless by default, so a sentence's layers never depend on what it
was batched with; that is what makes the cache valid and the two sources
interchangeable.

- :class:`CachedLayers` reads the rows a batch needs from a
  :class:`~elmo_eval.cache.LayerCache`: memory is one batch plus the cache's
  bounded chunk cache; a cache of at most ``PRELOAD_MAX_BYTES`` is read into RAM
  once instead (faster, and still bounded).
- :class:`LiveLayers` runs the frozen encoder inside each step (AllenNLP's way),
  on the training device, in eval mode and without gradients: for datasets whose
  cache would not fit on disk.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import torch

# Caches up to this size (stored bytes) are loaded whole: reading from RAM is the
# fastest path for the small caches of the generated world, and the bound keeps
# memory flat for real datasets (whose caches are streamed).
PRELOAD_MAX_BYTES = 256 * 2**20

Rows = Sequence[Sequence[Sequence[str]]]  # per batch row, its sentences (each a list of tokens)


class LayerSource(Protocol):
    num_layers: int
    dim: int

    def row_layers(self, rows: Rows, max_len: int) -> torch.Tensor:
        """``[len(rows), num_layers, max_len, dim]`` float32: each row's sentences concatenated."""


class CachedLayers:
    """Layers read from a :class:`~elmo_eval.cache.LayerCache` (no biLM forward pass).

    ``preload_max_bytes``: load the whole cache into RAM when it stores at most this
    many bytes (None: always; 0: never); otherwise each batch reads only its rows.
    """

    def __init__(self, cache, preload_max_bytes: int | None = PRELOAD_MAX_BYTES):
        self.cache = cache
        self.num_layers = cache.num_layers
        self.dim = cache.dim
        if preload_max_bytes != 0:
            cache.preload(preload_max_bytes)

    def row_layers(self, rows: Rows, max_len: int) -> torch.Tensor:
        out = np.zeros((len(rows), self.num_layers, max_len, self.dim), dtype=np.float32)
        self.cache.read_rows(rows, out)
        return torch.from_numpy(out)

    def sentence_layers(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """One ``[num_layers, len(sentence), dim]`` float32 array per sentence."""
        return [self.cache.get(s) if len(s) else np.zeros((self.num_layers, 0, self.dim), np.float32)
                for s in sentences]


class LiveLayers:
    """Layers computed on the fly by a frozen encoder (``embed(sentences) -> (layers, mask)``).

    ``device``: where the encoder runs and the layers are returned (e.g. the training
    device; ``"cuda"`` is the process's current GPU, which is each rank's own under
    DDP). An ``nn.Module`` encoder is moved there, put in eval mode and frozen; other
    encoders are called as they are and their output is moved. None: leave it as is.
    ``batch_size``: at most this many sentences per encoder call.
    """

    def __init__(self, encoder, batch_size: int = 64, device: str | torch.device | None = None):
        self.encoder = encoder
        self.num_layers = encoder.num_layers
        self.dim = encoder.output_dim
        self.batch_size = batch_size
        self.device = None if device is None else torch.device(device)
        self._placed = False

    def _place(self) -> None:
        """Freeze the encoder and move it to ``device``, at the first batch: by then Lightning has
        made each DDP rank's GPU the current one, which is what ``"cuda"`` means."""
        if isinstance(self.encoder, torch.nn.Module):
            self.encoder.eval()  # no dropout in the frozen biLM, whatever mode the head trains in
            self.encoder.requires_grad_(False)
            if self.device is not None:
                self.encoder.to(self.device)
        self._placed = True

    @torch.no_grad()
    def _tokens(self, sentences: list[list[str]]) -> torch.Tensor:
        """``[sum of lengths, num_layers, dim]`` float32: every token's layers, sentences in order."""
        if not self._placed:
            self._place()
        pieces = []
        for start in range(0, len(sentences), self.batch_size):
            chunk = sentences[start:start + self.batch_size]
            layers, mask = self.encoder.embed(chunk)  # [S, L, T, D], [S, T]
            if self.device is not None:
                layers, mask = layers.to(self.device), mask.to(self.device)
            found = mask.sum(dim=1).tolist()
            if found != [len(s) for s in chunk]:
                bad = next(i for i, s in enumerate(chunk) if found[i] != len(s))
                raise ValueError(f"encoder returned {found[bad]} positions for a sentence of {len(chunk[bad])} "
                                 f"tokens ({' '.join(chunk[bad])[:80]!r})")
            pieces.append(layers.transpose(1, 2)[mask.bool()].float())  # [n, L, D], row-major: tokens in order
        return torch.cat(pieces) if pieces else torch.zeros(0, self.num_layers, self.dim, device=self.device)

    @torch.no_grad()
    def row_layers(self, rows: Rows, max_len: int) -> torch.Tensor:
        sentences = [list(s) for row in rows for s in row if len(s)]
        tokens = self._tokens(sentences)
        lengths = torch.tensor([sum(len(s) for s in row) for row in rows], device=tokens.device)
        filled = torch.arange(max_len, device=tokens.device).unsqueeze(0) < lengths.unsqueeze(1)  # [B, T]
        out = tokens.new_zeros(len(rows), max_len, self.num_layers, self.dim)
        out[filled] = tokens  # boolean indexing is row-major: row b's sentences, then row b+1's
        return out.transpose(1, 2).contiguous()

    def sentence_layers(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """One ``[num_layers, len(sentence), dim]`` float32 array per sentence (on the CPU)."""
        longest = max((len(s) for s in sentences), default=0)
        layers = self.row_layers([[s] for s in sentences], longest).cpu().numpy()
        return [layers[b, :, :len(s)] for b, s in enumerate(sentences)]


def stack_rows(source, rows: Rows, max_len: int) -> torch.Tensor:
    """``[len(rows), layers, max_len, dim]`` from any layer source: its ``row_layers`` or, for a
    source with only ``sentence_layers`` (one array per sentence), those arrays stacked."""
    if hasattr(source, "row_layers"):
        return source.row_layers(rows, max_len)
    stack = np.zeros((len(rows), source.num_layers, max_len, source.dim), dtype=np.float32)
    per_sentence = iter(source.sentence_layers([s for row in rows for s in row]))
    for b, row in enumerate(rows):
        t = 0
        for _ in row:
            piece = next(per_sentence)
            stack[b, :, t:t + piece.shape[1]] = piece
            t += piece.shape[1]
    return torch.from_numpy(stack)

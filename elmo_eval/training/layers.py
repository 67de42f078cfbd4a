"""Where a head's ELMo layers come from: a frozen on-disk cache or a live encoder.

Both give, for a list of sentences, one ``[num_layers, n_tokens, dim]`` float32
array per sentence. The biLM is frozen and stateless by default, so a
sentence's layers never depend on what it was batched with; that is what makes
the cache valid.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import torch


class LayerSource(Protocol):
    num_layers: int
    dim: int

    def sentence_layers(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """One ``[num_layers, len(sentence), dim]`` float32 array per sentence."""


class CachedLayers:
    """Layers read from a :class:`~elmo_eval.cache.LayerCache` (no biLM forward pass)."""

    def __init__(self, cache):
        self.cache = cache
        self.num_layers = cache.num_layers
        self.dim = cache.dim

    def sentence_layers(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        return [self.cache.get(s) if len(s) else np.zeros((self.num_layers, 0, self.dim), np.float32)
                for s in sentences]


class LiveLayers:
    """Layers computed on the fly by an encoder (``embed(sentences) -> (layers, mask)``), frozen."""

    def __init__(self, encoder, batch_size: int = 64):
        self.encoder = encoder
        self.num_layers = encoder.num_layers
        self.dim = encoder.output_dim
        self.batch_size = batch_size

    @torch.no_grad()
    def sentence_layers(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for start in range(0, len(sentences), self.batch_size):
            chunk = [list(s) for s in sentences[start:start + self.batch_size]]
            layers, _ = self.encoder.embed(chunk)
            layers = layers.float().cpu().numpy()
            out.extend(layers[b, :, :len(s)] for b, s in enumerate(chunk))
        return out

"""Stand-in encoders for head tests: cheap, deterministic layer stacks with a known signal."""
from __future__ import annotations

import zlib

import torch


class WordHashEncoder:
    """A stand-in biLM: layer 1 holds a fixed random vector per word (the signal), layers 0 and 2 are noise."""

    num_layers, output_dim = 3, 8

    def __init__(self):
        self.vectors: dict[str, torch.Tensor] = {}

    def _vector(self, word: str) -> torch.Tensor:
        if word not in self.vectors:
            self.vectors[word] = torch.randn(8, generator=torch.Generator().manual_seed(zlib.crc32(word.encode())))
        return self.vectors[word]

    def embed(self, sentences):
        T = max(len(s) for s in sentences)
        layers = torch.zeros(len(sentences), 3, T, 8)
        mask = torch.zeros(len(sentences), T, dtype=torch.bool)
        for b, s in enumerate(sentences):
            layers[b, :, :len(s)] = torch.randn(3, len(s), 8, generator=torch.Generator().manual_seed(len(s)))
            layers[b, 1, :len(s)] = torch.stack([self._vector(w) for w in s])
            mask[b, :len(s)] = True
        return layers, mask

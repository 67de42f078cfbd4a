"""Per-layer token features of a frozen encoder, plus the word-only vectors as one more row.

The probes see an encoder only through its cached layers: the stack of every
probe sentence is computed once under ``no_grad`` into a
:class:`~elmo_eval.cache.LayerCache` (HDF5 on disk) and read back per batch as
plain tensors, so no probe can send a gradient into the encoder, and memory
holds one batch, not the dataset.

A *row* is one thing a probe table compares: ``word vectors`` (the static
vectors, a row of zeros for a word they lack), then ``layer 0`` (the
context-free token layer), ``layer 1``, ... of the encoder.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

WORD_ROW = "word vectors"


def layer_row(index: int) -> str:
    return f"layer {index}"


class ProbeFeatures:
    """Token features per row for batches of sentences.

    cache: a finished layer cache holding every sentence asked for (None: no encoder rows).
    vectors: :class:`~elmo_eval.word_vectors.PretrainedVectors` (None: no word row).
    """

    def __init__(self, cache=None, vectors=None):
        if cache is None and vectors is None:
            raise ValueError("probe features need an encoder's layers, word vectors or both")
        self.cache = cache
        self.vectors = vectors
        self.rows: list[str] = ([WORD_ROW] if vectors is not None else []) + \
            ([layer_row(i) for i in range(cache.num_layers)] if cache is not None else [])
        self.dims: list[int] = ([vectors.dim] if vectors is not None else []) + \
            ([cache.dim] * cache.num_layers if cache is not None else [])

    def batch(self, sentences: Sequence[Sequence[str]]) -> list[torch.Tensor]:
        """One ``[n_tokens, dim_r]`` float32 tensor per row: the tokens of all ``sentences`` in order.

        The tensors are built from stored numbers (no autograd history).
        """
        out: list[torch.Tensor] = []
        if self.vectors is not None:
            out.append(torch.from_numpy(self.word_vectors([t for s in sentences for t in s])))
        if self.cache is not None:
            stacks = [self.cache.get(tokens) for tokens in sentences]   # each [layers, n, dim]
            layers = np.concatenate(stacks, axis=1) if stacks else np.zeros((self.cache.num_layers, 0, self.cache.dim),
                                                                            dtype=np.float32)
            out.extend(torch.from_numpy(np.ascontiguousarray(layer)) for layer in layers)
        return out

    def word_vectors(self, tokens: Sequence[str]) -> np.ndarray:
        """``[n, dim]``: each token's vector (exact form, else lowercased), zeros where the vectors lack it."""
        rows = np.array([self.vectors.row(token) for token in tokens], dtype=np.int64)
        out = np.zeros((len(tokens), self.vectors.dim), dtype=np.float32)
        found = rows >= 0
        out[found] = self.vectors.matrix[rows[found]]
        return out


def probe_cache_path(cache_dir: str | Path, data_name: str, data_fingerprint: str, encoder_fingerprint: str) -> Path:
    """Where the layers of one probe dataset under one encoder are cached."""
    return Path(cache_dir) / "probe-layers" / f"{data_name}-{data_fingerprint}-{encoder_fingerprint[:16]}.h5"


def build_features(encoder, vectors, sentences: Sequence[Sequence[str]], cache_path: str | Path | None,
                   progress: bool = True, batch_size: int = 32) -> ProbeFeatures:
    """Cache ``encoder``'s layers for ``sentences`` (if an encoder is given) and wrap them with ``vectors``."""
    cache = None
    if encoder is not None:
        from elmo_eval.cache import LayerCache

        if cache_path is None:
            raise ValueError("an encoder's layers need a cache path")
        Path(cache_path).parent.mkdir(parents=True, exist_ok=True)
        with torch.no_grad():   # a user's encoder may not switch autograd off itself
            cache = LayerCache.build(cache_path, encoder, sentences, dtype="float16", batch_size=batch_size,
                                     progress=progress)
    return ProbeFeatures(cache, vectors)

"""Named biLM sizes with their training hyper-parameters.

``options`` follows the released options.json schema (see
``shared/fixtures/elmo/README.md``); the training fields mirror bilm-tf's
``train_elmo.py`` for the original size (Adagrad lr 0.2, batch 128, dropout 0.1,
8192 negative samples, gradient norm clip 10, 10 epochs). The two small presets use
Adam, which converges much faster on small corpora.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Any


def _options(char_dim: int, filters: list[list[int]], n_highway: int, cell_dim: int, projection_dim: int,
             clip: float = 3.0) -> dict[str, Any]:
    return {
        "lstm": {"use_skip_connections": True, "projection_dim": projection_dim, "cell_clip": clip,
                 "proj_clip": clip, "dim": cell_dim, "n_layers": 2},
        "char_cnn": {"activation": "relu", "filters": filters, "n_highway": n_highway,
                     "embedding": {"dim": char_dim}, "n_characters": 262, "max_characters_per_token": 50},
    }


@dataclass(frozen=True)
class PretrainPreset:
    """A biLM size (``options``) and how to train it."""

    name: str
    options: dict[str, Any] = field(repr=False)
    batch_size: int = 64
    optimizer: str = "adam"  # "adam" | "adagrad"
    lr: float = 1e-3
    dropout: float = 0.1
    grad_clip: float = 10.0
    epochs: int = 10
    max_sentence_length: int = 50
    min_count: int = 1
    max_vocab_size: int | None = None
    num_sampled: int | None = None  # None: full softmax
    checkpoint_every_n_steps: int = 200

    def with_overrides(self, **overrides: Any) -> PretrainPreset:
        """A copy with the given fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def options_copy(self) -> dict[str, Any]:
        return copy.deepcopy(self.options)


PRESETS: dict[str, PretrainPreset] = {
    # ~0.2M parameters + a 32-d softmax: learns a few-hundred-token-type language in minutes on 2 cores.
    "tiny": PretrainPreset(
        name="tiny",
        options=_options(char_dim=8, filters=[[1, 16], [2, 16], [3, 32], [4, 64]], n_highway=1,
                         cell_dim=128, projection_dim=32),
        batch_size=32, optimizer="adam", lr=3e-3, dropout=0.1, grad_clip=5.0, epochs=3,
        max_sentence_length=50, min_count=1, checkpoint_every_n_steps=100),
    # ~1.9M biLM parameters + ~2M softmax at a 15k vocabulary (~4M in all).
    "small": PretrainPreset(
        name="small",
        options=_options(char_dim=16, filters=[[1, 32], [2, 32], [3, 64], [4, 128], [5, 256]], n_highway=1,
                         cell_dim=256, projection_dim=128),
        batch_size=64, optimizer="adam", lr=1e-3, dropout=0.1, grad_clip=10.0, epochs=5,
        max_sentence_length=50, min_count=3, max_vocab_size=30_000, num_sampled=2048,
        checkpoint_every_n_steps=500),
    # The paper's model (Peters et al. 2018; bilm-tf train_elmo.py).
    "2x4096_512_2048cnn_2xhighway": PretrainPreset(
        name="2x4096_512_2048cnn_2xhighway",
        options=_options(char_dim=16, filters=[[1, 32], [2, 32], [3, 64], [4, 128], [5, 256], [6, 512],
                                               [7, 1024]],
                         n_highway=2, cell_dim=4096, projection_dim=512),
        batch_size=128, optimizer="adagrad", lr=0.2, dropout=0.1, grad_clip=10.0, epochs=10,
        max_sentence_length=100, min_count=3, num_sampled=8192, checkpoint_every_n_steps=2000),
}


def get_preset(name: str) -> PretrainPreset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None

"""Sentences -> the tensors of one LM training batch.

Each sentence becomes ``<S> w_1 … w_n </S>`` (positions ``0 … n+1``). The forward
LM at position ``p`` predicts the word at ``p+1`` (so ``w_1 … w_n, </S>``), the
backward LM at position ``p`` predicts the word at ``p-1`` (``<S>, w_1 … w_n``):
``n+1`` targets per sentence and direction, as in bilm-tf.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..encoders.char_ids import batch_to_char_ids
from .vocab import BOS, EOS, Vocabulary

IGNORE = -100  # target of a position that predicts nothing (F.cross_entropy's default ignore_index)


@dataclass
class LMBatch:
    """``char_ids [B, T+2, 50]`` (boundaries included), ``mask [B, T+2]`` bool,
    ``forward_targets`` / ``backward_targets`` ``[B, T+2]`` word ids or :data:`IGNORE`,
    ``num_words`` = real tokens in the batch (boundaries excluded)."""

    char_ids: torch.Tensor
    mask: torch.Tensor
    forward_targets: torch.Tensor
    backward_targets: torch.Tensor
    num_words: int

    def to(self, device: torch.device | str) -> LMBatch:
        return LMBatch(self.char_ids.to(device), self.mask.to(device), self.forward_targets.to(device),
                       self.backward_targets.to(device), self.num_words)


class LMBatchCollator:
    """Callable for ``DataLoader(collate_fn=...)``: list of token lists -> :class:`LMBatch`."""

    def __init__(self, vocab: Vocabulary):
        self.vocab = vocab

    def __call__(self, sentences: Sequence[Sequence[str]]) -> LMBatch:
        bounded = [[BOS, *tokens, EOS] for tokens in sentences]
        char_ids = batch_to_char_ids(bounded)  # [B, T+2, 50]
        batch, steps = char_ids.shape[:2]
        lengths = torch.tensor([len(s) for s in bounded])
        mask = torch.arange(steps).unsqueeze(0) < lengths.unsqueeze(1)  # [B, T+2]
        word_ids = torch.full((batch, steps), IGNORE, dtype=torch.long)
        flat_ids = torch.tensor([i for s in bounded for i in self.vocab.ids(s)], dtype=torch.long)
        word_ids[mask] = flat_ids  # row-major order of the mask = sentence order
        forward_targets = torch.full_like(word_ids, IGNORE)
        forward_targets[:, :-1] = word_ids[:, 1:]  # IGNORE where p+1 is padding
        backward_targets = torch.full_like(word_ids, IGNORE)
        backward_targets[:, 1:] = word_ids[:, :-1]
        backward_targets[~mask] = IGNORE  # p-1 may hold </S> while p is padding
        return LMBatch(char_ids, mask, forward_targets, backward_targets,
                       num_words=int(lengths.sum()) - 2 * batch)

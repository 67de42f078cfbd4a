"""The input side of every head: word vectors, character CNN and ELMo, concatenated."""
from __future__ import annotations

import torch
from torch import nn

from elmo_eval.modules.char_cnn_embedder import CharCNNEmbedder
from elmo_eval.representations.modules import Representation
from elmo_eval.training.fields import TextBatch
from elmo_eval.word_vectors import WordEmbedding


class TokenEmbedder(nn.Module):
    """TextBatch -> ``[batch, time, output_dim]``: concat of whichever parts are present.

    The same embedder (and so the same scalar mix) serves every text field of a
    task, as in the paper (premise and hypothesis share ELMo weights).
    """

    def __init__(self, words: WordEmbedding | None, chars: CharCNNEmbedder | None,
                 elmo: Representation | None, dropout: float = 0.0):
        super().__init__()
        self.words, self.chars, self.elmo = words, chars, elmo
        self.dropout = nn.Dropout(dropout)
        self.output_dim = sum(m.output_dim for m in (words, chars, elmo) if m is not None)
        if self.output_dim == 0:
            raise ValueError("a head needs at least one of word vectors, a character CNN or ELMo at its input")

    def forward(self, field: TextBatch) -> torch.Tensor:
        parts = []
        if self.words is not None:
            parts.append(self.words(field.word_ids))
        if self.chars is not None:
            parts.append(self.chars(field.char_ids))
        if self.elmo is not None:
            if field.layers is None:
                raise ValueError("this run uses ELMo but the batch carries no layers (no layer source given)")
            parts.append(self.elmo(field.layers, field.mask))
        return self.dropout(torch.cat(parts, dim=-1))

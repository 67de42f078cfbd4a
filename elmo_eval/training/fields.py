"""Turning instances into padded tensors: one :class:`TextBatch` per text field.

Collation runs in the data loader (in the training process); it gets each row's
layers from the layer source as ``[batch, num_layers, time, dim]`` (cache slice
reads, never a biLM pass when cached; the frozen biLM on the training device
when on the fly), and builds word and character ids for the head's own embedders.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from elmo_eval.training.layers import stack_rows
from elmo_eval.word_vectors import Vocabulary

MAX_TOKEN_CHARS = 20  # the head's own character CNN (not the biLM's, which uses 50)


def flatten_text(text) -> tuple[list[str], list[list[str]]]:
    """A field value (sentence or document of sentences) -> (flat tokens, sentences)."""
    if text and isinstance(text[0], (list, tuple)):
        sentences = [list(s) for s in text]
        return [t for s in sentences for t in s], sentences
    return list(text), [list(text)]


def char_ids(sentences: Sequence[Sequence[str]], max_len: int) -> torch.Tensor:
    """UTF-8 bytes + 1 per character (0 = padding): ``[batch, max_len, MAX_TOKEN_CHARS]``."""
    out = np.zeros((len(sentences), max_len, MAX_TOKEN_CHARS), dtype=np.int64)
    for b, sent in enumerate(sentences):
        for t, tok in enumerate(sent):
            raw = tok.encode("utf-8", "ignore")[:MAX_TOKEN_CHARS]
            out[b, t, :len(raw)] = np.frombuffer(raw, dtype=np.uint8).astype(np.int64) + 1
    return torch.from_numpy(out)


@dataclass
class TextBatch:
    """One text field of a batch.

    tokens: the flat tokens of each row; mask ``[batch, time]``; word_ids
    ``[batch, time]``; char_ids ``[batch, time, chars]``; layers
    ``[batch, num_layers, time, dim]`` or None; sentence_starts: per row, the
    token offset where each sentence begins (documents).
    """

    tokens: list[list[str]]
    mask: torch.Tensor
    word_ids: torch.Tensor
    char_ids: torch.Tensor
    layers: torch.Tensor | None
    sentence_starts: list[list[int]]

    def to(self, device) -> TextBatch:
        return TextBatch(self.tokens, self.mask.to(device), self.word_ids.to(device), self.char_ids.to(device),
                         None if self.layers is None else self.layers.to(device), self.sentence_starts)


@dataclass
class Batch:
    """A collated batch: text fields, extra features, targets, and the instances themselves."""

    fields: dict[str, TextBatch]
    features: dict[str, torch.Tensor] = field(default_factory=dict)
    targets: dict[str, torch.Tensor] = field(default_factory=dict)
    instances: list = field(default_factory=list)
    indices: list[int] = field(default_factory=list)

    def to(self, device) -> Batch:
        return Batch({k: v.to(device) for k, v in self.fields.items()},
                     {k: v.to(device) for k, v in self.features.items()},
                     {k: v.to(device) for k, v in self.targets.items()}, self.instances, self.indices)

    def __len__(self) -> int:
        return len(self.instances)


class Collator:
    """``[(index, instance), ...]`` -> :class:`Batch`, for a task, a vocabulary and a layer source."""

    def __init__(self, task, vocab: Vocabulary, layer_source=None, with_targets: bool = True):
        self.task = task
        self.vocab = vocab
        self.layer_source = layer_source
        self.with_targets = with_targets

    def text_batch(self, texts: list) -> TextBatch:
        flat, sentences = zip(*(flatten_text(t) for t in texts)) if texts else ((), ())
        max_len = max((len(t) for t in flat), default=0)
        mask = torch.zeros(len(flat), max_len, dtype=torch.bool)
        word_ids = torch.zeros(len(flat), max_len, dtype=torch.long)
        for b, toks in enumerate(flat):
            mask[b, :len(toks)] = True
            word_ids[b, :len(toks)] = torch.tensor(self.vocab.ids(toks), dtype=torch.long)
        starts = [list(np.cumsum([0] + [len(s) for s in sents[:-1]])) for sents in sentences]
        # [batch, layers, time, dim]: read from the cache (a batch's rows only), or computed by the
        # live biLM on its device (then already there for the step)
        layers = None if self.layer_source is None else stack_rows(self.layer_source, sentences, max_len)
        return TextBatch([list(t) for t in flat], mask, word_ids, char_ids(flat, max_len), layers,
                         [[int(x) for x in s] for s in starts])

    def __call__(self, items: Sequence[tuple[int, object]]) -> Batch:
        indices = [i for i, _ in items]
        instances = [inst for _, inst in items]
        texts = [self.task.texts(inst) for inst in instances]
        fields = {name: self.text_batch([t[name] for t in texts]) for name in self.task.text_fields}
        targets = self.task.targets(instances) if self.with_targets else {}
        return Batch(fields, self.task.features(instances), targets, instances, indices)

"""Output vocabulary of the LM softmax, in bilm-tf's file format (one word per line).

The first three entries are always ``<S>``, ``</S>``, ``<UNK>``; the other words
follow by decreasing training count (ties alphabetical, so the order is
deterministic). Frequency order matters: the log-uniform sampler of the sampled
softmax assumes that lower ids are more frequent.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch

from elmo_eval.errors import UsageError, located
from elmo_eval.io import atomic_write_text
from elmo_eval.readers.text import iter_lines

BOS = "<S>"
EOS = "</S>"
UNK = "<UNK>"
SPECIALS = (BOS, EOS, UNK)


class VocabularyError(UsageError, ValueError):
    """A malformed vocabulary file or a vocabulary that does not fit a model."""


def _vocabulary_error(path: Path, where: int | str | None, message: str) -> VocabularyError:
    """The error of :mod:`elmo_eval.readers.text` for a vocabulary file (not UTF-8, unreadable)."""
    return VocabularyError(located(path, where, message))


class Vocabulary:
    """Word <-> id. ``ids(tokens)`` maps unknown words to ``<UNK>``."""

    def __init__(self, words: Sequence[str], source: str = "<memory>"):
        words = list(words)
        if tuple(words[:3]) != SPECIALS:
            raise VocabularyError(f"{source}: the first three words must be {', '.join(SPECIALS)} "
                                  f"(found {words[:3]})")
        index: dict[str, int] = {}
        for position, word in enumerate(words):
            if word in index:
                raise VocabularyError(f"{source}:{position + 1}: duplicate word {word!r} "
                                      f"(first on line {index[word] + 1})")
            index[word] = position
        self.words = words
        self._index = index
        self.bos_id, self.eos_id, self.unk_id = 0, 1, 2

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self._index

    def id(self, word: str) -> int:
        return self._index.get(word, self.unk_id)

    def ids(self, tokens: Iterable[str]) -> list[int]:
        get, unk = self._index.get, self.unk_id
        return [get(token, unk) for token in tokens]

    @classmethod
    def from_counts(cls, counts: Counter, min_count: int = 1, max_size: int | None = None) -> Vocabulary:
        """Words seen at least ``min_count`` times, most frequent first (at most ``max_size`` in all)."""
        kept = [(word, n) for word, n in counts.items() if n >= min_count and word not in SPECIALS]
        kept.sort(key=lambda item: (-item[1], item[0]))
        words = list(SPECIALS) + [word for word, _ in kept]
        if max_size is not None:
            words = words[:max(max_size, len(SPECIALS))]
        return cls(words)

    def save(self, path: str | Path) -> Path:
        """Write one word per line, atomically (DDP ranks may all write the same file)."""
        path = Path(path)
        atomic_write_text(path, "\n".join(self.words) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        path = Path(path)
        if not path.is_file():
            raise VocabularyError(f"vocabulary file {path} does not exist")
        words = []
        for line_number, word in iter_lines(path, _vocabulary_error):  # strict UTF-8, the bad byte's line
            if not word.strip() or len(word.split()) != 1:
                raise VocabularyError(f"{path}:{line_number}: expected exactly one word, got {word!r}")
            words.append(word)
        if not words:
            raise VocabularyError(f"vocabulary file {path} is empty (expected one word per line, "
                                  f"starting with {', '.join(SPECIALS)})")
        return cls(words, source=str(path))

    def unigram_log_probs(self, counts: Counter, num_sentences: int) -> torch.Tensor:
        """``[V]`` add-one smoothed log unigram probabilities of the forward LM's targets
        (words, ``<UNK>`` for rare ones, and one ``</S>`` per sentence; ``<S>`` is never a
        forward target and gets only the smoothing count)."""
        totals = torch.ones(len(self), dtype=torch.float64)
        for word, n in counts.items():
            totals[self.id(word)] += n
        totals[self.eos_id] += num_sentences
        return (totals / totals.sum()).log()

"""Context-free word vectors: GloVe-format files, a task vocabulary, and the embedding layer over them.

Treatment of tokens (documented for users, tested):

- a token found in the vectors file gets its vector; if the exact form is
  missing, its lowercased form is tried (GloVe 6B is lowercased);
- a token seen in the task's training data but absent from the vectors gets a
  random vector (normal, with the standard deviation of the pretrained
  vectors), which is trained with the head even when pretrained vectors are
  frozen;
- any other token maps to the shared ``@@UNKNOWN@@`` vector (learned);
- padding is id 0 and always the zero vector.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from elmo_eval.errors import UsageError, located
from elmo_eval.io import atomic_path
from elmo_eval.readers.text import iter_lines

PAD, UNK = "@@PADDING@@", "@@UNKNOWN@@"


class VectorsFormatError(UsageError, ValueError):
    """A malformed GloVe-format file (names the file and line)."""


def _vectors_error(path: Path, where: int | str | None, message: str) -> VectorsFormatError:
    """The error of :mod:`elmo_eval.readers.text` for a vectors file (not UTF-8, unreadable)."""
    return VectorsFormatError(located(path, where, message))


def _are_numbers(fields: list[str]) -> bool:
    try:
        np.asarray(fields, dtype=np.float32)
    except ValueError:
        return False
    return True


def _merged(fields: list[str], dim: int) -> bool:
    """Whether a line longer than ``word + dim numbers`` holds a whole row and then another one.

    A word may contain spaces (``. . .``, ``at name@domain.com`` in GloVe 840B), so a long line is
    only refused when its first ``dim + 1`` fields are already a complete row and what follows is
    not the rest of a vector: a word (the next row, merged in) or at least ``dim`` more fields.
    A word whose later pieces are numbers (``"1 2"``) stays readable.
    """
    extra = len(fields) - dim - 1
    return extra > 0 and _are_numbers(fields[1:dim + 1]) and (extra >= dim or not _are_numbers(fields[dim + 1:]))


def read_glove(path: str | Path, keep: set[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Read a GloVe-format text file: ``word v1 ... vd`` per line.

    The dimension comes from the first line; words may contain spaces (as a few
    GloVe 840B entries do), so the vector is the last ``d`` fields. Only words in
    ``keep`` are kept when it is given (reading 840B is otherwise 2M rows).
    Returns (words, matrix ``[n_words, dim]`` float32).

    Read strictly as UTF-8 (a BOM dropped, CR LF read as LF; see :mod:`elmo_eval.readers.text`).
    Refused, naming the line: too few fields, an empty word, a non-numeric value in a kept row,
    and a line that holds a whole row and then another (:func:`_merged`), which would otherwise be
    read as one word with spaces such as ``'it 0.25 ... was'``.
    """
    path = Path(path)
    words: list[str] = []
    rows: list[np.ndarray] = []
    dim = None
    for line_no, line in iter_lines(path, _vectors_error):
        fields = line.rstrip(" ").split(" ")
        if line_no == 1 and len(fields) == 2 and all(f.isdigit() for f in fields):
            continue  # word2vec-style header "count dim"
        if dim is None:
            dim = len(fields) - 1
            dim_line = line_no
            if dim < 1:
                raise VectorsFormatError(f"{path}:{line_no}: expected 'word v1 ... vd', got {line[:60]!r}")
        if len(fields) < dim + 1:
            raise VectorsFormatError(f"{path}:{line_no}: expected a word and {dim} numbers (the dimension of "
                                     f"line {dim_line}), got {len(fields)} fields")
        if len(fields) > dim + 1 and _merged(fields, dim):
            raise VectorsFormatError(f"{path}:{line_no}: {len(fields)} fields: a word and {dim} numbers "
                                     f"(the dimension of line {dim_line}), then {len(fields) - dim - 1} more "
                                     "(two rows merged into one line?)")
        word = " ".join(fields[:-dim])
        if not word:
            raise VectorsFormatError(f"{path}:{line_no}: empty word before the {dim} numbers")
        if keep is not None and word not in keep:
            continue
        try:
            rows.append(np.asarray(fields[-dim:], dtype=np.float32))
        except ValueError as err:
            raise VectorsFormatError(f"{path}:{line_no}: non-numeric vector value ({err})") from None
        words.append(word)
    if dim is None:
        raise VectorsFormatError(f"{path}: empty vectors file (expected 'word v1 ... vd' lines)")
    matrix = np.stack(rows) if rows else np.zeros((0, dim), dtype=np.float32)
    return words, matrix


def write_glove(path: str | Path, words: Sequence[str], matrix: np.ndarray) -> None:
    """Write vectors in GloVe text format (atomically)."""
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8") as handle:
        for word, row in zip(words, matrix):
            handle.write(word + " " + " ".join(f"{v:.6g}" for v in row) + "\n")


class Vocabulary:
    """Token <-> id, with padding 0 and unknown 1."""

    def __init__(self, tokens: Iterable[str]):
        self.itos = [PAD, UNK] + [t for t in dict.fromkeys(tokens) if t not in (PAD, UNK)]
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    @classmethod
    def from_sentences(cls, sentences: Iterable[Sequence[str]], min_count: int = 1,
                       extra: Iterable[str] = ()) -> Vocabulary:
        """Tokens with at least ``min_count`` occurrences, most frequent first, then ``extra``."""
        counts = Counter(tok for sent in sentences for tok in sent)
        kept = [t for t, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count]
        return cls(kept + list(extra))

    def __len__(self) -> int:
        return len(self.itos)

    def ids(self, tokens: Sequence[str]) -> list[int]:
        return [self.stoi.get(t, 1) for t in tokens]


class PretrainedVectors:
    """A word -> vector table (GloVe-format file or built in memory)."""

    def __init__(self, words: Sequence[str], matrix: np.ndarray, source: str = "memory"):
        self.index = {w: i for i, w in enumerate(words)}
        self.matrix = np.asarray(matrix, dtype=np.float32)
        self.dim = self.matrix.shape[1]
        self.source = source

    @classmethod
    def from_file(cls, path: str | Path, keep: set[str] | None = None) -> PretrainedVectors:
        if keep is not None:
            keep = keep | {t.lower() for t in keep}
        words, matrix = read_glove(path, keep)
        return cls(words, matrix, source=str(path))

    def row(self, token: str) -> int:
        """Row of ``token`` (exact form, else lowercased), -1 when absent."""
        i = self.index.get(token)
        if i is None:
            i = self.index.get(token.lower(), -1)
        return i

    def lookup(self, token: str) -> np.ndarray | None:
        i = self.row(token)
        return None if i < 0 else self.matrix[i]

    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.matrix.tobytes())
        digest.update("\n".join(sorted(self.index, key=self.index.get)).encode())
        return digest.hexdigest()[:16]


class WordEmbedding(nn.Module):
    """Embed word ids ``[batch, time]`` -> ``[batch, time, dim]`` (see the module docstring for OOV rules).

    Pretrained rows are frozen unless ``trainable``; rows for training words
    missing from the vectors and the unknown row always train.
    """

    def __init__(self, vocab: Vocabulary, vectors: PretrainedVectors | None, dim: int | None = None,
                 trainable: bool = False, seed: int = 0):
        super().__init__()
        if vectors is None and dim is None:
            raise ValueError("WordEmbedding needs pretrained vectors or a dimension")
        self.output_dim = vectors.dim if vectors is not None else int(dim)
        gen = torch.Generator().manual_seed(seed)
        found = torch.zeros(len(vocab), dtype=torch.bool)
        base = torch.zeros(len(vocab), self.output_dim)
        std = 1.0 / self.output_dim ** 0.5
        if vectors is not None:
            rows = [(i, vectors.lookup(t)) for i, t in enumerate(vocab.itos[2:], start=2)]
            rows = [(i, v) for i, v in rows if v is not None]
            if rows:
                idx = torch.tensor([i for i, _ in rows])
                base[idx] = torch.from_numpy(np.stack([v for _, v in rows]))
                found[idx] = True
                std = float(base[idx].std()) or std
        learned = torch.randn(len(vocab), self.output_dim, generator=gen) * std
        learned[0] = 0.0
        self.register_buffer("found", found, persistent=False)
        self.pretrained = nn.Parameter(base, requires_grad=trainable)
        self.learned = nn.Parameter(learned)

    def forward(self, word_ids: torch.Tensor) -> torch.Tensor:
        """word_ids ``[batch, time]`` -> ``[batch, time, dim]`` (zeros at padding id 0)."""
        table = torch.where(self.found.unsqueeze(-1), self.pretrained, self.learned)
        out = table[word_ids]
        return out * (word_ids != 0).unsqueeze(-1).to(out.dtype)


"""Tokenized training text: one sentence per line (1B Word Benchmark format).

A corpus is one file, a directory (every non-hidden file in it, sorted) or a
glob of shard files. Sentences are whitespace-tokenized lines; blank lines are
ignored and a line with more than ``max_length`` tokens is cut into consecutive chunks
of near-equal length (:func:`chunk_sentence`; counted in ``split_too_long``), so no
text is lost and an LM never sees a sentence longer than it was configured for.

:class:`SentenceBatchStream` streams fixed-size batches of sentences lazily:

* each epoch is a fresh pass whose order depends only on ``(seed, epoch, rank)``:
  files are shuffled, then sentences are shuffled within a buffer and grouped by
  length inside the buffer (less padding) before the batch order is shuffled;
* DDP ranks get disjoint shares: whole files when there are at least as many
  files as ranks, else every ``world_size``-th line;
* every rank yields exactly ``len(stream)`` batches per epoch (its share is
  re-read with a new shuffle if it runs short), so DDP ranks stay in step;
* dataloader workers all walk the rank's stream and keep batches ``i % workers
  == worker``: the DataLoader's round-robin then restores the exact same order
  as with no workers, so the numbers do not depend on ``num_workers``;
* ``skip_batches`` fast-forwards inside an epoch when resuming mid-epoch.
"""
from __future__ import annotations

import glob
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from torch.utils.data import IterableDataset, get_worker_info

from elmo_eval.errors import UsageError, located
from elmo_eval.readers.text import iter_lines


class CorpusError(UsageError, ValueError):
    """A corpus the user has to fix (missing, empty, not UTF-8, nothing under the length limit)."""


def corpus_error(path: Path, where: int | str | None, message: str) -> CorpusError:
    """The error of :mod:`elmo_eval.readers.text` for a corpus file (not UTF-8, unreadable)."""
    return CorpusError(located(path, where, message))


def resolve_corpus_files(spec: str | Path | Sequence[str | Path]) -> list[Path]:
    """Files of a corpus given as a file, a directory, a glob, or a list of those (sorted, unique)."""
    specs = [spec] if isinstance(spec, (str, Path)) else list(spec)
    if not specs:
        raise CorpusError("no corpus given (expected a file, a directory or a glob of shard files)")
    files: list[Path] = []
    for item in specs:
        path = Path(item)
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if not found:
                raise CorpusError(f"corpus directory {path} contains no files")
            files.extend(found)
        else:
            found = sorted(Path(p) for p in glob.glob(str(item)) if Path(p).is_file())
            if not found:
                raise CorpusError(f"corpus {item} matches no file (expected a file, a directory or a glob)")
            files.extend(found)
    unique: dict[str, Path] = {}
    for path in files:
        unique.setdefault(str(path.resolve()), path)
    return list(unique.values())


def is_heldout_line(line_number: int, holdout_every: int | None) -> bool:
    """Deterministic held-out split of a file's lines: every ``holdout_every``-th (1-based) line."""
    return holdout_every is not None and line_number % holdout_every == 0


def iter_file_sentences(path: Path, line_stride: int = 1, line_offset: int = 0
                        ) -> Iterator[tuple[int, list[str]]]:
    """``(line_number, tokens)`` for the non-blank lines of ``path`` whose 0-based index
    ``i`` has ``i % line_stride == line_offset`` (the DDP line split).

    Strict UTF-8: a bad byte is a :class:`CorpusError` naming the file and line, never a U+FFFD
    replacement that would enter the vocabulary as a word of its own (``caf\ufffd``).
    """
    for line_number, line in iter_lines(path, corpus_error):
        if (line_number - 1) % line_stride != line_offset:
            continue
        tokens = line.split()
        if tokens:
            yield line_number, tokens


def chunk_sentence(tokens: list[str], max_length: int) -> list[list[str]]:
    """``tokens`` itself when it fits, else ``ceil(n / max_length)`` consecutive chunks whose
    lengths differ by at most one (no tiny tail chunk)."""
    if len(tokens) <= max_length:
        return [tokens]
    pieces = -(-len(tokens) // max_length)
    bounds = [len(tokens) * i // pieces for i in range(pieces + 1)]
    return [tokens[start:end] for start, end in zip(bounds, bounds[1:])]


@dataclass
class CorpusStats:
    """What a full pass over a corpus found. ``sentences`` counts the sentences the LM sees
    (a line cut into chunks counts once per chunk), ``split_too_long`` the lines that were cut,
    ``lines`` the non-blank lines of the part read."""

    files: int = 0
    lines: int = 0
    sentences: int = 0
    tokens: int = 0
    split_too_long: int = 0
    heldout_sentences: int = 0
    per_file_sentences: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"files": self.files, "lines": self.lines, "sentences": self.sentences, "tokens": self.tokens,
                "split_too_long": self.split_too_long, "heldout_sentences": self.heldout_sentences}


def scan_corpus(files: Sequence[Path], max_length: int, holdout_every: int | None = None,
                part: str = "train") -> tuple[Counter, CorpusStats]:
    """One pass: word counts and statistics of the ``part`` ("train" or "heldout") lines.

    Raises :class:`CorpusError` naming the file for a file without any sentence, and
    when the ``part`` holds no sentence at all.
    """
    if max_length < 1:
        raise CorpusError(f"max_sentence_length must be >= 1, got {max_length}")
    if part not in ("train", "heldout"):
        raise ValueError(f"part must be 'train' or 'heldout', got {part!r}")
    counts: Counter = Counter()
    stats = CorpusStats(files=len(files))
    for path in files:
        kept_here = 0
        lines_here = 0
        for line_number, tokens in iter_file_sentences(path):
            lines_here += 1
            heldout = is_heldout_line(line_number, holdout_every)
            if heldout:
                stats.heldout_sentences += 1
            if heldout != (part == "heldout"):
                continue
            if len(tokens) > max_length:
                stats.split_too_long += 1
            counts.update(tokens)
            kept_here += len(chunk_sentence(tokens, max_length))
            stats.tokens += len(tokens)
        if lines_here == 0:
            raise CorpusError(f"corpus file {path} is empty (expected one tokenized sentence per line)")
        stats.lines += lines_here
        stats.sentences += kept_here
        stats.per_file_sentences[str(path)] = kept_here
    if stats.sentences == 0:
        names = ", ".join(str(p) for p in files[:3]) + (" ..." if len(files) > 3 else "")
        raise CorpusError(f"no {part} sentence in {names} ({stats.lines} non-blank lines in all)")
    return counts, stats


def rank_sentences(files: Sequence[Path], rank: int, world_size: int, max_length: int,
                   holdout_every: int | None, part: str, rng: random.Random | None) -> Iterator[list[str]]:
    """Kept sentences of one DDP rank: whole files when there are at least as many files as
    ranks, else every ``world_size``-th line; files in shuffled order when ``rng`` is given."""
    if world_size > 1 and len(files) >= world_size:
        files, stride, offset = list(files[rank::world_size]), 1, 0
    else:
        files, stride, offset = list(files), world_size, rank
    if rng is not None:
        rng.shuffle(files)
    for path in files:
        for line_number, tokens in iter_file_sentences(path, stride, offset):
            if is_heldout_line(line_number, holdout_every) != (part == "heldout"):
                continue
            yield from chunk_sentence(tokens, max_length)


class _RankStream(IterableDataset):
    """Common state of the streams: files, split, rank (set in the main process before iterating)."""

    def __init__(self, files: Sequence[Path], batch_size: int, max_length: int,
                 holdout_every: int | None, part: str):
        super().__init__()
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.files = [Path(f) for f in files]
        self.batch_size = batch_size
        self.max_length = max_length
        self.holdout_every = holdout_every
        self.part = part
        self.rank = 0
        self.world_size = 1

    def set_distributed(self, rank: int, world_size: int) -> None:
        self.rank, self.world_size = rank, world_size

    def _sentences(self, rng: random.Random | None) -> Iterator[list[str]]:
        return rank_sentences(self.files, self.rank, self.world_size, self.max_length,
                              self.holdout_every, self.part, rng)


class EvalBatchStream(_RankStream):
    """One ordered pass over this rank's sentences in batches (the last one may be smaller).
    No ``__len__``: ranks may hold different numbers of batches, which evaluation allows."""

    def __iter__(self) -> Iterator[list[list[str]]]:
        worker = get_worker_info()
        workers, worker_id = (1, 0) if worker is None else (worker.num_workers, worker.id)
        batch: list[list[str]] = []
        index = 0
        for tokens in self._sentences(None):
            batch.append(tokens)
            if len(batch) == self.batch_size:
                if index % workers == worker_id:
                    yield batch
                batch, index = [], index + 1
        if batch and index % workers == worker_id:
            yield batch


class SentenceBatchStream(_RankStream):
    """Training stream of one rank; see the module docstring.

    ``total_sentences`` is the number of kept training sentences in the whole corpus
    (from :func:`scan_corpus`): it fixes the per-rank epoch length
    ``total_sentences // (batch_size * world_size)`` (at least 1).
    """

    def __init__(self, files: Sequence[Path], batch_size: int, max_length: int, total_sentences: int,
                 seed: int = 0, shuffle_buffer: int = 20_000, holdout_every: int | None = None,
                 part: str = "train"):
        super().__init__(files, batch_size, max_length, holdout_every, part)
        self.total_sentences = total_sentences
        self.seed = seed
        self.shuffle_buffer = max(shuffle_buffer, batch_size)
        self.epoch = 0
        self.skip_batches = 0

    def set_epoch(self, epoch: int, skip_batches: int = 0) -> None:
        """Select the epoch's order; ``skip_batches`` = batches already trained this epoch."""
        self.epoch, self.skip_batches = epoch, skip_batches

    def __len__(self) -> int:
        return max(1, self.total_sentences // (self.batch_size * self.world_size))

    def _shuffled_batches(self, rng: random.Random) -> Iterator[list[list[str]]]:
        """One shuffled pass: buffer -> shuffle -> sort by length -> batches -> shuffle batches."""
        buffer: list[list[str]] = []

        def flush(final: bool) -> Iterator[list[list[str]]]:
            rng.shuffle(buffer)
            buffer.sort(key=len)  # stable: equal lengths keep the random order
            usable = len(buffer) if final else len(buffer) - len(buffer) % self.batch_size
            batches = [buffer[i:i + self.batch_size] for i in range(0, usable, self.batch_size)]
            del buffer[:usable]
            rng.shuffle(batches)
            yield from batches

        for tokens in self._sentences(rng):
            buffer.append(tokens)
            if len(buffer) >= self.shuffle_buffer:
                yield from flush(final=False)
        # Only full batches in training: the final partial one is dropped.
        for batch in flush(final=True):
            if len(batch) == self.batch_size:
                yield batch

    def _rank_batches(self) -> Iterator[list[list[str]]]:
        """Exactly ``len(self)`` batches: the rank's share, re-shuffled and re-read if short."""
        wanted = len(self)
        produced = 0
        repeat = 0
        while produced < wanted:
            rng = random.Random(f"{self.seed}/{self.epoch}/{self.rank}/{repeat}")
            got_any = False
            for batch in self._shuffled_batches(rng):
                got_any = True
                yield batch
                produced += 1
                if produced == wanted:
                    return
            if not got_any:
                raise CorpusError(f"rank {self.rank} has fewer than {self.batch_size} training sentences: "
                                  "lower the batch size or use fewer ranks")
            repeat += 1

    def __iter__(self) -> Iterator[list[list[str]]]:
        worker = get_worker_info()
        workers, worker_id = (1, 0) if worker is None else (worker.num_workers, worker.id)
        for index, batch in enumerate(self._rank_batches()):
            if index >= self.skip_batches and (index - self.skip_batches) % workers == worker_id:
                yield batch

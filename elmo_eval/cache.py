"""On-disk cache of frozen-encoder layers, one entry per distinct sentence.

The biLM is frozen, so each sentence's stack of layers is computed once and
read back by the task heads. One HDF5 file holds:

- ``rows``: ``[n_tokens_total, layers, dim]`` (float16 or float32), grown in chunks;
  a sentence is a contiguous slice of rows, its tokens in order;
- ``keys`` ``[n]`` (sha1 hex of the tokens), ``offsets`` ``[n]``, ``lengths`` ``[n]``: the index;
- attributes ``fingerprint`` (the encoder's), ``dtype``, ``layers``, ``dim`` and
  ``n_sentences`` (how many index entries are committed).

Crash safety: a cache is built in ``<path>.partial`` and renamed to ``<path>``
only when every requested sentence is in it (after an fsync), so a file at ``<path>``
is always complete. Within the partial file each chunk writes its rows, then its index
entries, and only then bumps ``n_sentences`` and flushes; rows or index entries
beyond ``n_sentences`` are ignored and overwritten on resume. Re-running
:meth:`LayerCache.build` after an interrupt continues from the partial file;
running it on a finished cache with new sentences extends it. A different
encoder fingerprint raises :class:`CacheMismatchError`; caches are never mixed.

HDF5 does not write a file atomically: a process killed while the library flushes can leave
a partial file that does not open, or whose index no longer fits its rows (and a crash of
the machine can do the same to a renamed file that was not yet on disk). :meth:`LayerCache.build`
checks every file it reuses (:func:`_structure_problem`) and rebuilds one that is cut off or
damaged by itself, saying so on stderr (:class:`CorruptCacheError`); it never asks for a file
to be deleted. A file at the path that is not HDF5 at all, or is another program's HDF5 file,
is refused instead (it may be someone's data).

Processes building the same cache at once (shards sharing a cache folder) take
turns through a lock file (:func:`elmo_eval.io.exclusive_lock`): the later one finds the
sentences cached and embeds nothing.

Reading never needs the whole file in memory: :meth:`LayerCache.read_rows`
reads only the requested sentences' slices, through HDF5's chunk cache, which
is bounded (``CHUNK_CACHE_BYTES``, an LRU of recently read chunks). The index
is held as sorted numpy arrays (about 56 bytes a sentence), not a dict.
:meth:`LayerCache.preload` loads all rows at once, and only when the file is
at most a given size, so small caches are read from RAM and memory stays bounded.
"""
from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import h5py
import numpy as np
import torch
from tqdm.auto import tqdm

from elmo_eval.errors import UsageError
from elmo_eval.io import exclusive_lock

_FORMAT_NAME = "elmo_eval.layer_cache"
_FORMAT_VERSION = 1
# A chunk (HDF5's unit of reading) holds about this many bytes of rows: small enough that a short
# sentence read at random does not read much beyond it (21 rows at 3 x 1024 float16; 64-row chunks
# read ~15% slower at random in benchmarks/scale_memory.py's shapes), large enough to stay few.
_CHUNK_BYTES = 128 * 2**10
# HDF5 chunk cache per open cache file: an LRU of recently read chunks, so sentences that share
# a chunk read it once; bounded whatever the file's size.
CHUNK_CACHE_BYTES = 16 * 2**20
_CHUNK_CACHE_SLOTS = 10007  # a prime well above the chunks that fit (HDF5's advice)


def sentence_key(tokens: Sequence[str]) -> str:
    """Cache key of a tokenised sentence: sha1 hex of the tokens joined by U+001F."""
    return hashlib.sha1("\x1f".join(tokens).encode("utf-8")).hexdigest()


class CacheMismatchError(UsageError):
    """The cache was written by another encoder (fingerprints differ) or is not a layer cache."""


class CorruptCacheError(CacheMismatchError):
    """A layer cache file cut off or damaged (a kill or crash while HDF5 wrote it): it cannot be read
    back. :meth:`LayerCache.build` rebuilds it; only reading it directly raises this."""


_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _looks_like_ours(path: Path) -> bool:
    """Whether an unreadable file at a cache path may be a damaged cache (empty, or HDF5's signature)
    rather than some other file that happens to be there."""
    with open(path, "rb") as stream:
        head = stream.read(len(_HDF5_SIGNATURE))
    return head == b"" or head == _HDF5_SIGNATURE


def _open_cache_file(path: Path, mode: str, **kwargs) -> h5py.File:
    """Open a (partial) cache file: :class:`CorruptCacheError` when it is damaged, :class:`CacheMismatchError`
    when it is not an HDF5 file at all."""
    try:
        return h5py.File(path, mode, **kwargs)
    except OSError as error:
        if _looks_like_ours(path):
            raise CorruptCacheError(f"{path} is an incomplete or corrupt layer cache (HDF5 cannot open it: "
                                    f"{error})") from error
        raise CacheMismatchError(f"{path} is not an HDF5 file, so not a layer cache; use another path") from error


def _structure_problem(handle: h5py.File) -> str | None:
    """Why an open layer cache cannot be trusted (attributes, datasets and index that do not fit
    together, committed rows whose storage is missing), or None when it is whole."""
    try:
        attrs = handle.attrs
        count, layers, dim = int(attrs["n_sentences"]), int(attrs["layers"]), int(attrs["dim"])
        str(attrs["fingerprint"]), str(attrs["dtype"])
        rows, keys, offsets, lengths = (handle[name] for name in ("rows", "keys", "offsets", "lengths"))
        if tuple(rows.shape[1:]) != (layers, dim):
            return f"rows of shape {rows.shape}, attributes say {layers} layers x {dim}"
        if min(len(keys), len(offsets), len(lengths)) < count:
            return f"an index of fewer than the {count} sentences committed"
        keys[:count]
        starts, sizes = offsets[:count], lengths[:count]
        used = int((starts + sizes).max()) if count else 0
        if count and (int(starts.min()) < 0 or int(sizes.min()) < 0 or used > rows.shape[0]):
            return f"an index pointing past its {rows.shape[0]} rows"
        if used:
            rows[used - 1]  # the last committed row can be read
            chunk_rows = rows.chunks[0]
            if hasattr(rows.id, "get_num_chunks") and rows.id.get_num_chunks() < -(-used // chunk_rows):
                return "committed rows whose storage is missing"
    except (KeyError, OSError, ValueError, TypeError, RuntimeError) as error:
        return f"{type(error).__name__}: {error}"
    return None


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class LayerEncoder(Protocol):
    """What :meth:`LayerCache.build` needs from an encoder (e.g. :class:`~elmo_eval.encoders.ElmoBiLM`)."""

    num_layers: int
    output_dim: int

    def embed(self, sentences: list[list[str]]) -> tuple[torch.Tensor, torch.Tensor]: ...

    def fingerprint(self) -> str: ...


def _partial_path(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


def _describe(tokens: Sequence[str], limit: int = 80) -> str:
    text = " ".join(tokens)
    return repr(text if len(text) <= limit else text[:limit] + "...")


class LayerCache:
    """Read-only view of a finished cache (see the module docstring for the layout).

    Attributes: ``path``, ``num_layers``, ``dim``, ``fingerprint``, ``dtype`` (storage dtype name),
    ``nbytes`` (size of the stored rows), ``preloaded`` (whether rows are read from RAM).
    """

    def __init__(self, path: str | os.PathLike, expected_fingerprint: str | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            hint = ""
            if _partial_path(self.path).exists():
                hint = f" ({_partial_path(self.path)} exists: an interrupted build; re-run it to finish)"
            raise FileNotFoundError(f"layer cache {self.path} does not exist{hint}")
        self._file = _open_cache_file(self.path, "r", rdcc_nbytes=CHUNK_CACHE_BYTES,
                                      rdcc_nslots=_CHUNK_CACHE_SLOTS)
        attrs = self._file.attrs
        if attrs.get("format") != _FORMAT_NAME:
            self._file.close()
            raise CacheMismatchError(f"{self.path} is an HDF5 file but not a layer cache "
                                     f"(attribute format={attrs.get('format')!r}); use another path")
        problem = _structure_problem(self._file)
        if problem is not None:
            self._file.close()
            raise CorruptCacheError(f"{self.path} is an incomplete or corrupt layer cache ({problem})")
        self.fingerprint = str(attrs["fingerprint"])
        if expected_fingerprint is not None and expected_fingerprint != self.fingerprint:
            self._file.close()
            raise CacheMismatchError(f"{self.path} was written by an encoder with fingerprint "
                                     f"{self.fingerprint[:16]}..., expected {expected_fingerprint[:16]}...; "
                                     "rebuild the cache (or use another path) for these weights")
        self.num_layers = int(attrs["layers"])
        self.dim = int(attrs["dim"])
        self.dtype = str(attrs["dtype"])
        self._rows = self._file["rows"]
        self.nbytes = int(self._rows.size) * self._rows.dtype.itemsize
        self._keys, self._offsets, self._lengths = _sorted_index(self._file)
        self._preloaded: np.ndarray | None = None

    @property
    def preloaded(self) -> bool:
        return self._preloaded is not None

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, tokens: Sequence[str]) -> bool:
        return bool(self._find(np.array([sentence_key(tokens)], dtype="S40"))[0] >= 0)

    def has_keys(self, keys: Sequence[str]) -> bool:
        """Whether every sentence key (see :func:`sentence_key`) is cached."""
        return bool((self._find(np.array(list(keys), dtype="S40")) >= 0).all()) if len(keys) else True

    def _find(self, keys: np.ndarray) -> np.ndarray:
        """Positions in the sorted index of ``keys`` ``[n]`` (S40), -1 where absent."""
        if not len(self._keys):
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.searchsorted(self._keys, keys).clip(max=len(self._keys) - 1)
        return np.where(self._keys[at] == keys, at, -1)

    def _locate(self, sentences: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """``(offsets [n], lengths [n])`` of the sentences' rows; KeyError naming the first missing one."""
        at = self._find(np.array([sentence_key(s) for s in sentences], dtype="S40"))
        if (at < 0).any():
            tokens = sentences[int(np.flatnonzero(at < 0)[0])]
            raise KeyError(f"sentence {_describe(tokens)} ({len(tokens)} tokens) is not in layer cache "
                           f"{self.path}")
        return self._offsets[at], self._lengths[at]

    def preload(self, max_bytes: int | None = None) -> LayerCache:
        """Read all rows into RAM (storage dtype) so later reads avoid HDF5, unless the stored rows
        are larger than ``max_bytes`` (then reads stay streamed; see :attr:`preloaded`)."""
        if max_bytes is None or self.nbytes <= max_bytes:
            self._preloaded = self._rows[...]
        return self

    def get(self, tokens: Sequence[str]) -> np.ndarray:
        """``[layers, n_tokens, dim]`` float32 for one sentence; KeyError if it was never cached."""
        if not len(tokens):
            self._locate([tokens])
            return np.zeros((self.num_layers, 0, self.dim), dtype=np.float32)
        out = np.zeros((1, self.num_layers, len(tokens), self.dim), dtype=np.float32)
        self.read_rows([[tokens]], out)
        return out[0]

    def read_rows(self, rows: Sequence[Sequence[Sequence[str]]], out: np.ndarray) -> None:
        """Fill ``out`` ``[B, layers, T, dim]`` (float32, zeroed by the caller) with each row's
        sentences one after another along time: ``rows[b]`` is row b's list of sentences (one for a
        sentence field, several for a document). Only those sentences' slices are read, in file
        order, so neighbouring sentences share chunk reads."""
        flat = [(b, s) for b, sentences in enumerate(rows) for s in sentences if len(s)]
        if not flat:
            return
        offsets, lengths = self._locate([s for _, s in flat])
        starts = np.zeros(len(flat), dtype=np.int64)  # where each sentence begins in its row
        for i in range(1, len(flat)):
            starts[i] = starts[i - 1] + lengths[i - 1] if flat[i][0] == flat[i - 1][0] else 0
        source = self._preloaded if self._preloaded is not None else self._rows
        for i in np.argsort(offsets, kind="stable"):
            begin, n, t0 = int(offsets[i]), int(lengths[i]), int(starts[i])
            out[flat[i][0], :, t0:t0 + n] = source[begin: begin + n].transpose(1, 0, 2)  # [n, L, D] -> [L, n, D]

    def batch(self, sentences: Sequence[Sequence[str]]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(layers [B, layers, T, dim] float32, mask [B, T] bool)``, right-padded with zeros."""
        longest = max((len(s) for s in sentences), default=0)
        layers = np.zeros((len(sentences), self.num_layers, longest, self.dim), dtype=np.float32)
        self.read_rows([[tokens] for tokens in sentences], layers)
        lengths = torch.tensor([len(s) for s in sentences], dtype=torch.long)
        return torch.from_numpy(layers), torch.arange(longest).unsqueeze(0) < lengths.unsqueeze(1)

    def close(self) -> None:
        if self._file.id.valid:
            self._file.close()

    def __enter__(self) -> LayerCache:  # noqa: PYI034
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, path: str | os.PathLike, encoder: LayerEncoder, sentences: Iterable[Sequence[str]], *,
              dtype: str = "float16", batch_size: int = 64, progress: bool = True) -> LayerCache:
        """Make sure every sentence is cached at ``path`` and open it.

        Sentences are de-duplicated by key and sorted by length so batches carry
        little padding; each batch is appended and committed, so an interrupted
        build resumes where it stopped. Raises :class:`CacheMismatchError` when
        an existing (partial) cache has another fingerprint or storage dtype.
        """
        if dtype not in ("float16", "float32"):
            raise ValueError(f"dtype must be 'float16' or 'float32', got {dtype!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        path = Path(path)
        partial = _partial_path(path)
        fingerprint = encoder.fingerprint()
        unique: dict[str, list[str]] = {}
        for tokens in sentences:
            unique.setdefault(sentence_key(tokens), list(tokens))

        if path.is_dir():
            raise CacheMismatchError(f"layer cache {path} is a folder; give a file path such as {path / 'layers.h5'}")
        # another process building the same cache (a shard sharing this folder) finishes first
        with exclusive_lock(path):
            if not partial.exists() and path.exists():
                try:
                    existing = cls(path)
                except CorruptCacheError as error:
                    _say(f"{error}; building it again")
                    path.unlink()
                else:
                    with existing:
                        _check_compatible(path, existing.fingerprint, existing.dtype, fingerprint, dtype)
                        if existing.has_keys(list(unique)):
                            return cls(path, expected_fingerprint=fingerprint)
                    os.replace(path, partial)  # extend it; it is complete again only after the rename back
            shape = (encoder.num_layers, encoder.output_dim)
            try:
                writer = _PartialCache(partial, fingerprint, dtype, *shape)
            except CorruptCacheError as error:
                _say(f"{error}; starting it over")
                partial.unlink()
                writer = _PartialCache(partial, fingerprint, dtype, *shape)
            with writer:
                todo = [tokens for key, tokens in unique.items() if key not in writer.index]
                todo.sort(key=len, reverse=True)
                with tqdm(total=len(todo), desc=f"embedding -> {path.name}", unit="sent",
                          disable=not progress) as bar:
                    for start in range(0, len(todo), batch_size):
                        chunk = todo[start: start + batch_size]
                        with torch.no_grad():  # frozen: no graph (and .numpy() needs none)
                            layers, mask = encoder.embed(chunk)
                        writer.append(chunk, layers, mask)
                        bar.update(len(chunk))
            with open(partial, "rb+") as stream:  # on disk before the name says it is complete
                os.fsync(stream.fileno())
            os.replace(partial, path)
            return cls(path, expected_fingerprint=fingerprint)


def _check_compatible(path: Path, found_fp: str, found_dtype: str, fingerprint: str, dtype: str) -> None:
    if found_fp != fingerprint:
        raise CacheMismatchError(f"{path} holds layers of an encoder with fingerprint {found_fp[:16]}..., "
                                 f"not this encoder's {fingerprint[:16]}...; use another path or delete it")
    if found_dtype != dtype:
        raise CacheMismatchError(f"{path} stores {found_dtype}, asked for {dtype}; use another path")


def _rows_per_chunk(num_layers: int, dim: int, dtype: str) -> int:
    return max(1, _CHUNK_BYTES // (num_layers * dim * np.dtype(dtype).itemsize))


def _sorted_index(handle: h5py.File) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Committed index entries as ``(keys [n] S40 sorted, offsets [n], lengths [n])``."""
    count = int(handle.attrs["n_sentences"])
    keys = handle["keys"][:count]
    order = np.argsort(keys, kind="stable")
    return keys[order], handle["offsets"][:count][order], handle["lengths"][:count][order]


def _read_index(handle: h5py.File) -> dict[str, tuple[int, int]]:
    """Committed index entries (the first ``n_sentences``) as ``key -> (offset, length)``."""
    count = int(handle.attrs["n_sentences"])
    keys = handle["keys"][:count]
    offsets = handle["offsets"][:count]
    lengths = handle["lengths"][:count]
    return {key.decode("ascii"): (int(off), int(n)) for key, off, n in zip(keys, offsets, lengths)}


class _PartialCache:
    """Appender for ``<path>.partial`` (creates it, or reopens it to resume)."""

    def __init__(self, path: Path, fingerprint: str, dtype: str, num_layers: int, dim: int):
        self.path = path
        if path.exists():
            self.file = _open_cache_file(path, "a")
            attrs = self.file.attrs
            try:
                if "format" not in attrs:  # killed before the new file's attributes were flushed
                    raise CorruptCacheError(f"{path} is an incomplete layer cache (no attributes)")
                if attrs["format"] != _FORMAT_NAME:
                    raise CacheMismatchError(f"{path} is an HDF5 file but not a partial layer cache; use "
                                             "another path")
                problem = _structure_problem(self.file)
                if problem is not None:
                    raise CorruptCacheError(f"{path} is an incomplete or corrupt layer cache ({problem})")
                _check_compatible(path, str(attrs["fingerprint"]), str(attrs["dtype"]), fingerprint, dtype)
            except CacheMismatchError:
                self.file.close()
                raise
        else:
            try:
                self.file = h5py.File(path, "w")
            except OSError as error:
                raise OSError(error.errno, f"cannot create the layer cache ({error})", str(path)) from error
            attrs = self.file.attrs
            attrs["format"] = _FORMAT_NAME
            attrs["version"] = _FORMAT_VERSION
            attrs["fingerprint"] = fingerprint
            attrs["dtype"] = dtype
            attrs["layers"] = num_layers
            attrs["dim"] = dim
            attrs["n_sentences"] = 0
            self.file.create_dataset("rows", shape=(0, num_layers, dim), maxshape=(None, num_layers, dim),
                                     dtype=dtype, chunks=(_rows_per_chunk(num_layers, dim, dtype), num_layers, dim))
            for name, kind in (("keys", "S40"), ("offsets", "i8"), ("lengths", "i8")):
                self.file.create_dataset(name, shape=(0,), maxshape=(None,), dtype=kind, chunks=(1024,))
            self.file.flush()
        self.index = _read_index(self.file)
        self.count = len(self.index)
        # Rows past the last committed sentence are leftovers of an interrupted append.
        self.rows_used = max((off + n for off, n in self.index.values()), default=0)

    def append(self, sentences: list[list[str]], layers: torch.Tensor, mask: torch.Tensor) -> None:
        """Store one batch: ``layers`` ``[B, L, T, D]``, ``mask`` ``[B, T]`` -> rows, then index, then commit."""
        lengths = np.array([len(s) for s in sentences], dtype=np.int64)
        found = mask.sum(dim=1).cpu().numpy()
        if not np.array_equal(found, lengths):
            bad = int(np.nonzero(found != lengths)[0][0])
            raise ValueError(f"encoder returned {found[bad]} positions for sentence "
                             f"{_describe(sentences[bad])} with {lengths[bad]} tokens")
        # [B, T, L, D][mask] keeps sentences in batch order and tokens in order.
        token_rows = layers.transpose(1, 2)[mask.bool()].cpu().numpy()
        try:
            self._store(sentences, token_rows, lengths)
        except OSError as error:  # HDF5's errors (a full disk) name no file: name it
            if error.filename is not None:
                raise
            raise OSError(error.errno, f"cannot write the layer cache ({error})", str(self.path)) from error

    def _store(self, sentences: list[list[str]], token_rows: np.ndarray, lengths: np.ndarray) -> None:
        """Write the rows, then the index entries, flush, and only then commit ``n_sentences``."""
        rows = self.file["rows"]
        start = self.rows_used
        rows.resize(start + len(token_rows), axis=0)
        if len(token_rows):
            rows[start:] = token_rows.astype(rows.dtype)
        offsets = start + np.concatenate([[0], np.cumsum(lengths)[:-1]])
        new_count = self.count + len(sentences)
        for name, values in (("keys", np.array([sentence_key(s) for s in sentences], dtype="S40")),
                             ("offsets", offsets), ("lengths", lengths)):
            self.file[name].resize(new_count, axis=0)
            self.file[name][self.count:new_count] = values
        self.file.flush()
        self.file.attrs["n_sentences"] = new_count  # the commit point
        self.file.flush()
        for sentence, offset, length in zip(sentences, offsets, lengths):
            self.index[sentence_key(sentence)] = (int(offset), int(length))
        self.count = new_count
        self.rows_used = start + len(token_rows)

    def __enter__(self) -> _PartialCache:  # noqa: PYI034
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()

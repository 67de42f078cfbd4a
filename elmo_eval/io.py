"""Atomic file writes, file hashing and per-entry file locks: the one implementation the package uses.

A reader of a file written here sees the old file or the complete new one, never half of
one: the bytes go to a temporary file in the same folder (same file system, so the rename
is atomic), are flushed to disk, and the temporary file is then renamed over the target.
A failed or interrupted write leaves the target untouched and removes its temporary file.

Processes sharing a cache folder (``--shard I/N`` in a cluster array, two commands at once)
build each entry once: :func:`exclusive_lock` holds ``<entry>.lock`` (``filelock``: an advisory
``flock`` the kernel drops when its holder exits or crashes, so a killed build leaves no stale
lock) while one process builds the entry; the others wait, then find it complete.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HASH_CHUNK_BYTES = 1 << 20


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on a clean exit it is fsynced and renamed over ``target``.

    For writers that need a path of their own (h5py, ``np.save``); the folder is created if needed.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as stream:  # the writer may have closed it without syncing
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any, *, default: Callable[[Any], Any] | None = None) -> None:
    """Replace ``path`` with ``obj`` as JSON (indent 2, sorted keys, final newline) atomically.

    ``default``: how to write values JSON has no type for (as :func:`json.dumps`); None rejects them.
    """
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=default) + "\n")


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks (memory does not grow with the file)."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(HASH_CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def lock_path(entry: str | os.PathLike) -> Path:
    """The lock file of a cache entry (a file or a folder): ``<entry>.lock`` beside it."""
    return Path(f"{os.fspath(entry)}.lock")


@contextmanager
def exclusive_lock(entry: str | os.PathLike) -> Iterator[None]:
    """Hold the entry's lock for the block, waiting as long as another process holds it (and saying so)."""
    from filelock import FileLock, Timeout

    path = lock_path(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"waiting for another process building {entry} ...", file=sys.stderr, flush=True)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()

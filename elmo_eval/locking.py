"""An inter-process lock per cache entry, so processes sharing a cache build each entry once.

Shards of a reproduction (``--shard I/N`` in a cluster array) and users running two
commands at once share one cache folder. Without a lock, two processes would
write the same partial HDF5 file or pretrain into the same biLM folder. With
it, the second waits, then finds the entry complete and reuses it.

The lock is an advisory ``flock`` on a ``<entry>.lock`` file beside the entry:
the kernel drops it when its holder exits or crashes, so a killed build never
leaves a stale lock behind (the empty lock file stays, harmlessly). Where
``fcntl`` is missing (Windows), entries are built unlocked, as before.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


def lock_path(entry: str | os.PathLike) -> Path:
    """The lock file of a cache entry (a file or a folder)."""
    return Path(f"{os.fspath(entry)}.lock")


@contextmanager
def exclusive_lock(entry: str | os.PathLike) -> Iterator[None]:
    """Hold the entry's lock for the block; say so on stderr if another process holds it first."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    path = lock_path(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another process building {entry} ...", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

"""elmo_eval.io: atomic writes leave the old file or the new one, hashing, and the cache-entry lock."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from elmo_eval.io import atomic_path, atomic_write_bytes, atomic_write_json, exclusive_lock, lock_path, sha256_of

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_atomic_writes_replace_the_file_and_leave_nothing_behind(tmp_path):
    target = tmp_path / "sub" / "result.json"
    atomic_write_json(target, {"b": 1, "a": [1.5]})
    assert target.read_text() == '{\n  "a": [\n    1.5\n  ],\n  "b": 1\n}\n'
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["result.json"]


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "weights.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["weights.bin"]
    with pytest.raises(TypeError):  # not JSON: nothing is written
        atomic_write_json(target, {"path": object()})
    assert target.read_bytes() == b"old"
    atomic_write_json(target, {"path": Path("x")}, default=str)
    assert json.loads(target.read_text()) == {"path": "x"}


def test_sha256_of_reads_in_chunks(tmp_path, monkeypatch):
    import elmo_eval.io as io_module

    monkeypatch.setattr(io_module, "HASH_CHUNK_BYTES", 7)
    data = os.urandom(100)
    (tmp_path / "f").write_bytes(data)
    assert sha256_of(tmp_path / "f") == hashlib.sha256(data).hexdigest()


_HOLD = """
import os, sys, time
from elmo_eval.io import exclusive_lock
with exclusive_lock(sys.argv[1]):
    print("held", flush=True)
    deadline = time.time() + 60
    while sys.argv[2] != "-" and not os.path.exists(sys.argv[2]) and time.time() < deadline:
        time.sleep(0.05)  # hold the lock until told to let go
print("released", flush=True)
"""


def test_exclusive_lock_makes_a_second_process_wait(tmp_path):
    entry = tmp_path / "world-small-seed0"
    release = tmp_path / "release"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(entry), str(release)], stdout=subprocess.PIPE,
                              text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "held"
        waiter = subprocess.Popen([sys.executable, "-c", _HOLD, str(entry), "-"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env)
        # the waiter says it waits, and does not hold the lock, while the holder has it (however slowly
        # either process starts on a loaded machine: no timing is assumed)
        assert f"waiting for another process building {entry}" in waiter.stderr.readline()
        assert waiter.poll() is None
        release.touch()
        assert holder.stdout.readline().strip() == "released"
        out, _ = waiter.communicate(timeout=60)
    finally:
        release.touch()
        holder.wait(timeout=60)
    assert waiter.returncode == 0 and out.split() == ["held", "released"]
    assert lock_path(entry) == tmp_path / "world-small-seed0.lock"


def test_exclusive_lock_is_free_again_after_the_block(tmp_path):
    from filelock import FileLock, Timeout

    entry = tmp_path / "cache.h5"
    with exclusive_lock(entry):
        with pytest.raises(Timeout):
            FileLock(lock_path(entry)).acquire(timeout=0)
    other = FileLock(lock_path(entry))
    other.acquire(timeout=0)  # would raise Timeout if the block had kept the lock
    other.release()

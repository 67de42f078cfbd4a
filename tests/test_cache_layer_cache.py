"""LayerCache: build, read back, resume after an interrupt, extend, and refuse foreign caches."""
from __future__ import annotations

import argparse
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from test_encoder_bilm import TINY_OPTIONS

from elmo_eval.cache import CacheMismatchError, CorruptCacheError, LayerCache, sentence_key
from elmo_eval.encoders import ElmoBiLM, export_official

SENTENCES = [["The", "cat", "sat", "."], ["A", "dog"], ["The", "cat", "sat", "."], [],
             ["naïve", "東京", "x" * 70], ["one"], [f"w{i}" for i in range(30)], ["A", "dog", "barks"]]


class CountingEncoder:
    """Wraps an encoder; records what it was asked; optionally fails after ``fail_after`` batches."""

    def __init__(self, inner, fail_after: int | None = None):
        self.inner, self.fail_after = inner, fail_after
        self.num_layers, self.output_dim = inner.num_layers, inner.output_dim
        self.seen: list[list[str]] = []
        self.batches = 0

    def fingerprint(self):
        return self.inner.fingerprint()

    def embed(self, sentences):
        if self.fail_after is not None and self.batches >= self.fail_after:
            raise KeyboardInterrupt("simulated interrupt")
        self.batches += 1
        self.seen.extend(sentences)
        return self.inner.embed(sentences)


@pytest.fixture
def bilm():
    return ElmoBiLM.from_options(TINY_OPTIONS, seed=7)


def test_sentence_key():
    import hashlib
    assert sentence_key(["a", "b"]) == hashlib.sha1(b"a\x1fb").hexdigest()
    assert sentence_key(["a b"]) != sentence_key(["a", "b"])


def test_float32_cache_equals_live_encoder(bilm, tmp_path):
    encoder = CountingEncoder(bilm)
    cache = LayerCache.build(tmp_path / "c.h5", encoder, SENTENCES, dtype="float32", batch_size=3,
                             progress=False)
    assert len(encoder.seen) == 7 and len(cache) == 7  # the duplicate is embedded once
    assert (cache.num_layers, cache.dim, cache.fingerprint) == (3, 16, bilm.fingerprint())
    for sentence in SENTENCES:
        live, _ = bilm.embed([sentence])
        np.testing.assert_allclose(cache.get(sentence), live[0].numpy(), atol=1e-6, rtol=1e-5)
        assert sentence in cache
    assert cache.get([]).shape == (3, 0, 16)
    layers, mask = cache.batch(SENTENCES[:3])
    live_layers, live_mask = bilm.embed(SENTENCES[:3])
    assert torch.equal(mask, live_mask)
    torch.testing.assert_close(layers, live_layers, atol=1e-6, rtol=1e-5)
    with pytest.raises(KeyError, match="'never seen' .*not in layer cache"):
        cache.get(["never", "seen"])
    assert cache.preload() is cache
    np.testing.assert_allclose(cache.get(SENTENCES[6]), bilm.embed([SENTENCES[6]])[0][0].numpy(), atol=1e-6)
    cache.close()


def test_float16_cache_within_tolerance(bilm, tmp_path):
    cache = LayerCache.build(tmp_path / "c.h5", bilm, SENTENCES, progress=False)
    with h5py.File(tmp_path / "c.h5", "r") as handle:
        assert handle["rows"].dtype == np.float16 and handle["rows"].shape == (4 + 2 + 0 + 3 + 1 + 30 + 3, 3, 16)
    for sentence in SENTENCES:
        live = bilm.embed([sentence])[0][0].numpy()
        got = cache.get(sentence)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, live, atol=2e-3, rtol=2e-3)


def test_resume_after_interrupt_computes_only_missing(bilm, tmp_path):
    path = tmp_path / "c.h5"
    failing = CountingEncoder(bilm, fail_after=2)
    with pytest.raises(KeyboardInterrupt):
        LayerCache.build(path, failing, SENTENCES, dtype="float32", batch_size=2, progress=False)
    assert not path.exists() and (tmp_path / "c.h5.partial").exists()
    with pytest.raises(FileNotFoundError, match="interrupted build"):
        LayerCache(path)
    done_before = {sentence_key(s) for s in failing.seen}
    assert len(done_before) == 4
    resumed = CountingEncoder(bilm)
    cache = LayerCache.build(path, resumed, SENTENCES, dtype="float32", batch_size=2, progress=False)
    assert len(resumed.seen) == 3 and not done_before & {sentence_key(s) for s in resumed.seen}
    assert not (tmp_path / "c.h5.partial").exists() and len(cache) == 7
    for sentence in SENTENCES:
        np.testing.assert_allclose(cache.get(sentence), bilm.embed([sentence])[0][0].numpy(), atol=1e-6)
    cache.close()
    # Extending a finished cache embeds only the new sentence; nothing at all when all are present.
    extra = CountingEncoder(bilm)
    cache = LayerCache.build(path, extra, SENTENCES + [["brand", "new"]], dtype="float32", progress=False)
    assert extra.seen == [["brand", "new"]] and len(cache) == 8
    np.testing.assert_allclose(cache.get(SENTENCES[0]), bilm.embed([SENTENCES[0]])[0][0].numpy(), atol=1e-6)
    cache.close()
    idle = CountingEncoder(bilm)
    LayerCache.build(path, idle, SENTENCES, dtype="float32", progress=False).close()
    assert idle.seen == []


def test_other_weights_are_refused(bilm, tmp_path):
    path = tmp_path / "c.h5"
    LayerCache.build(path, bilm, SENTENCES[:2], progress=False).close()
    other = ElmoBiLM.from_options(TINY_OPTIONS, seed=8)
    with pytest.raises(CacheMismatchError, match="fingerprint"):
        LayerCache.build(path, other, SENTENCES, progress=False)
    with pytest.raises(CacheMismatchError, match="fingerprint"):
        LayerCache(path, expected_fingerprint=other.fingerprint())
    with pytest.raises(CacheMismatchError, match="float16"):
        LayerCache.build(path, bilm, SENTENCES, dtype="float32", progress=False)
    # A partial file of other weights is refused too, and the finished cache is intact.
    failing = CountingEncoder(other, fail_after=1)
    with pytest.raises(KeyboardInterrupt):
        LayerCache.build(tmp_path / "d.h5", failing, SENTENCES, batch_size=2, progress=False)
    with pytest.raises(CacheMismatchError, match="fingerprint"):
        LayerCache.build(tmp_path / "d.h5", bilm, SENTENCES, progress=False)
    assert len(LayerCache(path, expected_fingerprint=bilm.fingerprint())) == 2
    (tmp_path / "plain.h5").write_bytes(b"not hdf5")
    with pytest.raises(CacheMismatchError, match="plain.h5"):
        LayerCache(tmp_path / "plain.h5")


def test_embed_cli(bilm, tmp_path):
    from elmo_eval.tools_cli import register

    options_path, weights_path = export_official(bilm, tmp_path / "model")
    (tmp_path / "in.txt").write_text("The cat sat .\n\nA dog\n", encoding="utf-8")
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["embed", "--options", str(options_path), "--weights", str(weights_path),
                              "--input", str(tmp_path / "in.txt"), "--output", str(tmp_path / "c.h5"),
                              "--dtype", "float32", "--batch-size", "1"])
    assert args.func(args) == 0
    with LayerCache(tmp_path / "c.h5", expected_fingerprint=bilm.fingerprint()) as cache:
        assert len(cache) == 2
        np.testing.assert_allclose(cache.get(["A", "dog"]), bilm.embed([["A", "dog"]])[0][0].numpy(), atol=1e-6)


_CONCURRENT_BUILD = """
import json, sys, time
sys.path.insert(0, {tests!r})
from stand_in_encoders import WordHashEncoder
from elmo_eval.cache import LayerCache

class SlowEncoder(WordHashEncoder):
    batches = 0
    def fingerprint(self):
        return "word-hash"
    def embed(self, sentences):
        self.batches += 1
        time.sleep(0.05)  # both processes are inside build at once
        return super().embed(sentences)

encoder = SlowEncoder()
sentences = [[f"w{{i}}", f"v{{j}}"] for i in range(20) for j in range(i % 4 + 1)]
cache = LayerCache.build({path!r}, encoder, sentences, batch_size=4, progress=False)
print(json.dumps({{"batches": encoder.batches, "sentences": len(cache)}}))
"""


def test_processes_building_one_cache_take_turns(tmp_path):
    """Two shards sharing a cache folder: one embeds, the other waits and reuses the finished file."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = _CONCURRENT_BUILD.format(tests=str(Path(__file__).parent), path=str(tmp_path / "shared.h5"))
    processes = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], [err for _, err in outputs]
    reports = [json.loads(out) for out, _ in outputs]
    assert [r["sentences"] for r in reports] == [50, 50]
    assert sorted(r["batches"] for r in reports) == [0, 13]  # 50 distinct sentences in batches of 4
    assert not (tmp_path / "shared.h5.partial").exists()


def test_embed_cli_checks_its_output_path_first(bilm, tmp_path, capsys, monkeypatch):
    """An --output that cannot be written is one line naming it, before the model is even loaded."""
    import os

    from elmo_eval.cli import main

    options_path, weights_path = export_official(bilm, tmp_path / "model")
    (tmp_path / "in.txt").write_text("The cat sat .\n", encoding="utf-8")
    (tmp_path / "a-file").write_text("x")
    base = ["embed", "--options", str(options_path), "--weights", str(weights_path),
            "--input", str(tmp_path / "in.txt")]
    for output, expected in [(tmp_path, f"--output {tmp_path}: is a folder; give a file path such as "
                                        f"{tmp_path / 'layers.h5'}"),
                             (tmp_path / "a-file" / "c.h5", f"{tmp_path / 'a-file'} is a file, not a folder")]:
        assert main([*base, "--output", str(output)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and expected in err, err
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == tmp_path / "ro" else
                        real_access(path, mode))
    (tmp_path / "ro").mkdir()
    assert main([*base, "--output", str(tmp_path / "ro" / "new" / "c.h5")]) == 2
    assert f"cannot write in {tmp_path / 'ro'} (permission denied)" in capsys.readouterr().err


# --- a build killed while HDF5 writes: the rerun recovers by itself -----------------------------------

_KILLED_BUILD = """
import os, signal, sys, time
sys.path.insert(0, {tests!r})
import h5py
from stand_in_encoders import WordHashEncoder
from elmo_eval.cache import LayerCache

class Encoder(WordHashEncoder):
    def fingerprint(self):
        return "word-hash"
    def embed(self, sentences):
        time.sleep({delay})
        return super().embed(sentences)

kill_at_flush = {kill_at_flush}
flushes = 0
real_flush = h5py.File.flush

def flush(self):  # the kill -9 comes while HDF5 has written some of a batch and not flushed the rest
    global flushes
    flushes += 1
    if flushes == kill_at_flush:
        os.kill(os.getpid(), signal.SIGKILL)
    real_flush(self)

h5py.File.flush = flush
sentences = [[f"w{{i}}", f"v{{i % 7}}", *["x"] * (i % 5)] for i in range({n})]
LayerCache.build({path!r}, Encoder(), sentences, batch_size=4, progress=False).close()
"""
N_SENTENCES = 120


def _cache_sentences(n: int = N_SENTENCES) -> list[list[str]]:
    return [[f"w{i}", f"v{i % 7}", *["x"] * (i % 5)] for i in range(n)]


def _run_killable_build(path, *, kill_at_flush: int = 0, delay: float = 0.0, kill_after_s: float | None = None):
    """Build ``path`` in a subprocess; it kills itself with SIGKILL at its n-th HDF5 flush, or is killed
    with SIGKILL ``kill_after_s`` seconds after the partial file appears. Returns the exit status."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = _KILLED_BUILD.format(tests=str(Path(__file__).parent), path=str(path), delay=delay,
                                  kill_at_flush=kill_at_flush, n=N_SENTENCES)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if kill_after_s is not None:
        partial = Path(f"{path}.partial")
        deadline = time.time() + 120
        while not partial.exists() and child.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        time.sleep(kill_after_s)
        child.send_signal(signal.SIGKILL)
    child.communicate(timeout=120)
    return child.returncode


def _assert_same_cache(path, reference) -> None:
    from stand_in_encoders import WordHashEncoder

    class Encoder(WordHashEncoder):
        def fingerprint(self):
            return "word-hash"

    counting = CountingEncoder(Encoder())
    with LayerCache.build(path, counting, _cache_sentences(), batch_size=4, progress=False) as cache, \
            LayerCache(reference) as clean:
        assert len(cache) == len(clean) == N_SENTENCES
        for sentence in _cache_sentences():
            np.testing.assert_array_equal(cache.get(sentence), clean.get(sentence))
    return counting.seen


@pytest.fixture(scope="module")
def clean_cache(tmp_path_factory):
    path = tmp_path_factory.mktemp("clean") / "clean.h5"
    assert _run_killable_build(path) == 0
    return path


@pytest.mark.parametrize("kill_at_flush", [4, 5, 9])
def test_a_build_killed_during_an_hdf5_flush_is_recovered_by_the_rerun(tmp_path, clean_cache, capsys,
                                                                       kill_at_flush):
    """Flush 1 creates the file; batch k flushes its rows (2k) and then its commit (2k + 1): killed before
    a batch's rows or before its commit reached the file, the rerun resumes or starts over by itself."""
    import signal

    path = tmp_path / "c.h5"
    assert _run_killable_build(path, kill_at_flush=kill_at_flush) == -signal.SIGKILL
    assert not path.exists() and (tmp_path / "c.h5.partial").exists()
    seen = _assert_same_cache(path, clean_cache)
    assert 0 < len(seen) < N_SENTENCES  # what was committed before the kill is kept
    assert not (tmp_path / "c.h5.partial").exists()


def test_a_build_killed_at_a_random_moment_is_recovered_by_the_rerun(tmp_path, clean_cache):
    import signal

    path = tmp_path / "c.h5"
    assert _run_killable_build(path, delay=0.01, kill_after_s=0.15) == -signal.SIGKILL
    _assert_same_cache(path, clean_cache)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "no-attributes"])
def test_a_damaged_partial_cache_is_rebuilt_not_refused(tmp_path, clean_cache, capsys, damage):
    """What a kill in the middle of HDF5's own writes can leave: a cut-off file, overwritten bytes, an
    empty file, a file whose attributes never reached the disk. The rerun starts over by itself."""
    import shutil

    partial = tmp_path / "c.h5.partial"
    shutil.copyfile(clean_cache, partial)
    size = partial.stat().st_size
    if damage == "truncated":
        with open(partial, "rb+") as stream:
            stream.truncate(size // 2)
    elif damage == "garbage":
        with open(partial, "rb+") as stream:  # the superblock's addresses and the root group's header
            stream.seek(8)
            stream.write(b"\xab" * 2000)
    elif damage == "empty":
        partial.write_bytes(b"")
    else:
        with h5py.File(partial, "w"):
            pass
    seen = _assert_same_cache(tmp_path / "c.h5", clean_cache)
    assert len(seen) == N_SENTENCES
    err = capsys.readouterr().err
    assert f"{partial} is an incomplete" in err and "starting it over" in err, err


def test_a_damaged_finished_cache_is_rebuilt_and_a_foreign_file_is_refused(tmp_path, clean_cache, capsys):
    """A finished cache cut off (a crash of the machine before its last writes reached the disk) is
    rebuilt by the next build; a file that is not HDF5, or another program's HDF5, is never replaced."""
    import shutil

    path = tmp_path / "c.h5"
    shutil.copyfile(clean_cache, path)
    with open(path, "rb+") as stream:
        stream.truncate(path.stat().st_size * 2 // 3)
    with pytest.raises(CorruptCacheError, match="incomplete or corrupt layer cache"):
        LayerCache(path)
    assert len(_assert_same_cache(path, clean_cache)) == N_SENTENCES
    assert f"{path} is an incomplete or corrupt layer cache" in capsys.readouterr().err
    with h5py.File(path, "a") as handle:  # an index pointing past the rows
        handle["offsets"][0] = 10**9
    assert len(_assert_same_cache(path, clean_cache)) == N_SENTENCES
    assert "an index pointing past its" in capsys.readouterr().err
    path.write_text("my notes, not a cache\n")
    with pytest.raises(CacheMismatchError, match="not an HDF5 file"):
        _assert_same_cache(path, clean_cache)
    assert path.read_text() == "my notes, not a cache\n"
    with h5py.File(path, "w") as handle:
        handle["data"] = np.zeros(3)
    with pytest.raises(CacheMismatchError, match="HDF5 file but not a layer cache"):
        _assert_same_cache(path, clean_cache)
    with h5py.File(path, "r") as handle:
        assert list(handle) == ["data"]

"""Corpus files, scanning, and the streaming batch order (seeded, rank/worker split, resume skip)."""
from __future__ import annotations

from pathlib import Path

import pytest
from torch.utils.data import DataLoader

from elmo_eval.pretrain.corpus import (
    CorpusError,
    EvalBatchStream,
    SentenceBatchStream,
    chunk_sentence,
    resolve_corpus_files,
    scan_corpus,
)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def shards(tmp_path: Path) -> list[Path]:
    return [_write(tmp_path / f"shard{i}.txt", [f"s{i} w{j} x{j % 3}" for j in range(20)]) for i in range(3)]


def test_resolve_file_directory_and_glob(tmp_path: Path, shards: list[Path]) -> None:
    assert resolve_corpus_files(shards[0]) == [shards[0]]
    assert resolve_corpus_files(tmp_path) == shards
    assert resolve_corpus_files(str(tmp_path / "shard*.txt")) == shards
    with pytest.raises(CorpusError, match="matches no file"):
        resolve_corpus_files(str(tmp_path / "nothing*.txt"))


def test_scan_counts_and_splits_long_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.txt", ["a b c", "", "a b c d e f", "b"])
    counts, stats = scan_corpus([path], max_length=3)
    assert counts == {"a": 2, "b": 3, "c": 2, "d": 1, "e": 1, "f": 1}
    # The 6-token line becomes two 3-token chunks: 4 sentences, nothing dropped.
    assert (stats.lines, stats.sentences, stats.tokens, stats.split_too_long) == (3, 4, 10, 1)


def test_chunks_are_consecutive_and_near_equal() -> None:
    tokens = [f"t{i}" for i in range(11)]
    chunks = chunk_sentence(tokens, 5)
    assert [len(c) for c in chunks] == [3, 4, 4]
    assert sum(chunks, []) == tokens
    assert chunk_sentence(tokens[:5], 5) == [tokens[:5]]


def test_stream_yields_chunks_of_long_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.txt", ["a b c d e f g", "h"])
    stream = EvalBatchStream([path], batch_size=10, max_length=4, holdout_every=None, part="train")
    assert list(stream) == [[["a", "b", "c"], ["d", "e", "f", "g"], ["h"]]]


def test_empty_file_is_an_error_naming_it(tmp_path: Path) -> None:
    empty = _write(tmp_path / "empty.txt", ["", "   "])
    with pytest.raises(CorpusError, match=r"empty\.txt is empty"):
        scan_corpus([empty], max_length=10)


def test_no_heldout_line_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "short.txt", ["a b c d", "a b c d e"])
    with pytest.raises(CorpusError, match=r"no heldout sentence in .*short\.txt"):
        scan_corpus([path], max_length=3, holdout_every=5, part="heldout")


def test_heldout_fraction_split_is_disjoint(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.txt", [f"w{i}" for i in range(10)])
    train, _ = scan_corpus([path], 5, holdout_every=5, part="train")
    heldout, _ = scan_corpus([path], 5, holdout_every=5, part="heldout")
    assert set(heldout) == {"w4", "w9"} and not set(train) & set(heldout) and len(train) == 8


def _stream(files, **kwargs) -> SentenceBatchStream:
    _, stats = scan_corpus(files, 10)
    return SentenceBatchStream(files, batch_size=4, max_length=10, total_sentences=stats.sentences,
                               shuffle_buffer=16, **kwargs)


def test_stream_is_seeded_and_changes_with_epoch(shards: list[Path]) -> None:
    first, again, other_seed = _stream(shards, seed=1), _stream(shards, seed=1), _stream(shards, seed=2)
    batches = list(first)
    assert len(batches) == len(first) == 60 // 4
    assert batches == list(again)
    assert batches != list(other_seed)
    first.set_epoch(1)
    next_epoch = list(first)
    assert next_epoch != batches
    # one epoch = one pass: every sentence exactly once
    assert sorted(" ".join(s) for b in next_epoch for s in b) == sorted(" ".join(s) for b in batches for s in b)


def test_ranks_get_disjoint_shares_and_equal_lengths(shards: list[Path], tmp_path: Path) -> None:
    for files in (shards, shards[:1]):  # file split, then line split
        seen = []
        lengths = set()
        for rank in range(2):
            stream = _stream(files, seed=0)
            stream.set_distributed(rank, 2)
            batches = list(stream)
            lengths.add(len(batches))
            assert len(batches) == len(stream)
            seen.append({" ".join(s) for b in batches for s in b})
        assert len(lengths) == 1
        if files == shards[:1]:
            assert not seen[0] & seen[1]


def test_workers_reproduce_the_single_process_order(shards: list[Path]) -> None:
    stream = _stream(shards, seed=3)
    expected = list(stream)
    loader = DataLoader(stream, batch_size=None, collate_fn=lambda b: b, num_workers=2)
    assert list(loader) == expected


def test_skip_batches_resumes_inside_an_epoch(shards: list[Path]) -> None:
    stream = _stream(shards, seed=4)
    full = list(stream)
    stream.set_epoch(0, skip_batches=5)
    assert list(stream) == full[5:]


def test_eval_stream_is_one_ordered_pass(shards: list[Path]) -> None:
    stream = EvalBatchStream(shards[:1], batch_size=6, max_length=10, holdout_every=None, part="train")
    batches = list(stream)
    assert [len(b) for b in batches] == [6, 6, 6, 2]
    assert batches[0][0] == ["s0", "w0", "x0"]

"""Resuming an interrupted run, bad input, and domain adaptation from official files."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from elmo_eval.encoders.bilm import ElmoBiLM
from elmo_eval.pretrain.api import pretrain_bilm
from elmo_eval.pretrain.corpus import CorpusError
from elmo_eval.pretrain.synthetic import write_corpus

FAST = {"preset": "tiny", "progress": False, "seed": 0}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("corpus")
    return {"train": write_corpus(root / "train.txt", 480, seed=0),
            "heldout": write_corpus(root / "heldout.txt", 100, seed=1), "root": root}


def test_interrupted_run_resumes_to_the_same_weights(corpus, tmp_path: Path) -> None:
    small = corpus["train"]  # 480 sentences: 15 batches of 32 per epoch
    common = dict(heldout_file=corpus["heldout"], epochs=2, batch_size=32, **FAST)
    straight = pretrain_bilm(small, out_dir=tmp_path / "straight", **common)
    stopped = pretrain_bilm(small, out_dir=tmp_path / "resumed", max_steps=20, **common)
    assert stopped["global_step"] == 20  # stopped inside epoch 1 (15 batches per epoch)
    resumed = pretrain_bilm(small, out_dir=tmp_path / "resumed", **common)
    assert resumed["global_step"] == straight["global_step"] == 30
    assert resumed["fingerprint"] == straight["fingerprint"]


def test_empty_corpus_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    with pytest.raises(CorpusError, match="empty.txt is empty"):
        pretrain_bilm(empty, None, tmp_path / "out", **FAST)


def test_max_time_ends_with_an_export_and_long_lines_are_split(tmp_path: Path) -> None:
    long = tmp_path / "long.txt"
    long.write_text("a b c d e f\n" * 64)  # every line over the limit: trained on as 2 chunks each
    result = pretrain_bilm(long, None, tmp_path / "out", epochs=10_000, batch_size=4, max_sentence_length=3,
                           max_time="00:00:00:01", threads=1, **FAST)
    assert result["complete"] and result["stopped_by_max_time"] and result["threads"] == 1
    assert 1 <= result["global_step"] < 10_000 * 32
    assert (result["train_stats"]["split_too_long"], result["train_stats"]["sentences"]) == (64, 128)
    assert Path(result["weights"]).is_file()


def test_sigterm_exports_what_it_has_and_exits_non_zero(corpus, tmp_path: Path) -> None:
    out = tmp_path / "out"
    root = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-m", "elmo_eval", "pretrain", "--train", str(corpus["train"]), "--out", str(out),
               "--epochs", "10000", "--batch-size", "8", "--no-progress", "--threads", "1", "--checkpoint-every", "2"]
    env = dict(os.environ, PYTHONPATH=str(root), OMP_NUM_THREADS="1")
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    checkpoint = out / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 300
    while not checkpoint.is_file() and process.poll() is None:  # written after step 2: training runs
        assert time.monotonic() < deadline, "training did not start within 300 s"
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 143, stderr
    assert "interrupted by SIGTERM" in stderr
    result = json.loads((out / "pretrain_result.json").read_text())
    assert result["complete"] is False and result["interrupted"] == "SIGTERM" and result["global_step"] >= 2
    assert Path(result["weights"]).is_file() and (out / "checkpoints" / "last.ckpt").is_file()


def test_domain_adaptation_from_official_files(elmo_fixture_dir: Path, corpus, tmp_path: Path) -> None:
    options, weights = elmo_fixture_dir / "options.json", elmo_fixture_dir / "lm_weights.hdf5"
    original = ElmoBiLM.from_official(options, weights)
    result = pretrain_bilm(corpus["heldout"], None, tmp_path / "adapted", heldout_fraction=0.1, epochs=1,
                           init_from=(options, weights), **FAST)
    assert json.loads(Path(result["options"]).read_text()) == json.loads(options.read_text())
    adapted = ElmoBiLM.from_official(result["options"], result["weights"])
    assert result["initialised_from"] and adapted.fingerprint() != original.fingerprint()
    # Fine-tuned, not re-initialised: the char embedding moved only a little from the original.
    before = original.char_cnn.state_dict()
    after = adapted.char_cnn.state_dict()
    name = next(iter(before))
    assert (after[name] - before[name]).abs().max() < 0.1
    assert result["heldout_perplexity"] and result["unigram_perplexity"]


def test_resuming_with_other_vocabulary_settings_is_an_error(corpus, tmp_path: Path) -> None:
    """An interrupted run re-run into the same --out with another --min-count stops with one line naming both
    vocabularies, instead of training on with the interrupted run's vocabulary and step count."""
    from elmo_eval.pretrain.vocab import VocabularyError

    common = dict(heldout_file=corpus["heldout"], epochs=2, batch_size=32, **FAST)
    pretrain_bilm(corpus["train"], out_dir=tmp_path / "run", max_steps=5, **common)
    with pytest.raises(VocabularyError, match=r"interrupted pretraining whose vocabulary \(\d+ words.*min count 3"):
        pretrain_bilm(corpus["train"], out_dir=tmp_path / "run", min_count=3, **common)
    resumed = pretrain_bilm(corpus["train"], out_dir=tmp_path / "run", max_steps=8, **common)  # same settings
    assert resumed["global_step"] == 8

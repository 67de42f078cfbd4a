"""End-to-end pretraining on a synthetic language: learning, export round trip, resume, bad input,
domain adaptation."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from elmo_eval.encoders.bilm import ElmoBiLM
from elmo_eval.encoders.char_ids import batch_to_char_ids
from elmo_eval.pretrain.api import pretrain_bilm
from elmo_eval.pretrain.batching import LMBatchCollator
from elmo_eval.pretrain.lm_module import BiLMPretrainer
from elmo_eval.pretrain.synthetic import generate_sentences, write_corpus
from elmo_eval.pretrain.vocab import Vocabulary, VocabularyError

FAST = {"preset": "tiny", "progress": False, "seed": 0}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("corpus")
    return {"train": write_corpus(root / "train.txt", 1600, seed=0),
            "heldout": write_corpus(root / "heldout.txt", 200, seed=1), "root": root}


@pytest.fixture(scope="module")
def trained(corpus) -> dict:
    out = corpus["root"] / "run"
    return pretrain_bilm(corpus["train"], corpus["heldout"], out, epochs=2, **FAST)


def test_heldout_perplexity_falls_well_below_unigram(trained: dict) -> None:
    history = trained["heldout_perplexity"]
    assert [record["epoch"] for record in history] == [0, 1]
    assert history[-1]["heldout_ppl"] < history[0]["heldout_ppl"]
    assert trained["unigram_perplexity"] > 80
    assert trained["final_heldout_perplexity"] < 0.4 * trained["unigram_perplexity"]
    assert trained["words_per_second"] > 0
    for key in ("options", "weights", "vocab"):
        assert Path(trained[key]).is_file()


def test_export_round_trip_matches_the_trained_module(trained: dict) -> None:
    module = BiLMPretrainer.load_from_checkpoint(trained["checkpoint"]).eval()
    exported = ElmoBiLM.from_official(trained["options"], trained["weights"])
    sentences = generate_sentences(4, seed=7)
    char_ids = batch_to_char_ids(sentences)
    with torch.no_grad():
        expected, mask = module.bilm(char_ids)
        actual, actual_mask = exported(char_ids)
        torch.testing.assert_close(actual, expected, atol=1e-6, rtol=1e-5)
        assert torch.equal(mask, actual_mask)
        # The training path (boundaries given explicitly) computes the exported model's top layer.
        vocab = Vocabulary.load(trained["vocab"])
        batch = LMBatchCollator(vocab)(sentences)
        forward, backward = module.directional_states(batch.char_ids, batch.mask)
        top = torch.cat([forward, backward], dim=-1)[:, 1:-1] * mask.unsqueeze(-1)
        torch.testing.assert_close(top, actual[:, 2], atol=1e-5, rtol=1e-5)


def test_complete_export_returns_immediately(trained: dict, corpus) -> None:
    again = pretrain_bilm(corpus["train"], corpus["heldout"], corpus["root"] / "run", epochs=2, **FAST)
    assert again["fingerprint"] == trained["fingerprint"]
    assert again["heldout_perplexity"] == trained["heldout_perplexity"]


def test_vocab_that_does_not_match_the_checkpoint_is_refused(trained: dict, corpus) -> None:
    out = corpus["root"] / "mismatch"
    shutil.copytree(corpus["root"] / "run", out)
    (out / "pretrain_result.json").unlink()
    words = Vocabulary.load(out / "vocab.txt").words
    Vocabulary(words[:-5]).save(out / "vocab.txt")
    with pytest.raises(VocabularyError, match=r"does not match checkpoint .*last\.ckpt"):
        pretrain_bilm(corpus["train"], corpus["heldout"], out, epochs=3, **FAST)

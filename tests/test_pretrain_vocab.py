"""Vocabulary files (bilm-tf format), batching targets, and the shared softmax."""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from elmo_eval.pretrain.batching import IGNORE, LMBatchCollator
from elmo_eval.pretrain.softmax import SharedSoftmax, log_uniform_log_probs, sample_log_uniform
from elmo_eval.pretrain.vocab import Vocabulary, VocabularyError


def test_vocab_order_min_count_and_round_trip(tmp_path: Path) -> None:
    vocab = Vocabulary.from_counts(Counter({"b": 3, "a": 3, "c": 5, "rare": 1}), min_count=2)
    assert vocab.words == ["<S>", "</S>", "<UNK>", "c", "a", "b"]
    assert vocab.ids(["c", "rare"]) == [3, vocab.unk_id]
    loaded = Vocabulary.load(vocab.save(tmp_path / "vocab.txt"))
    assert loaded.words == vocab.words


@pytest.mark.parametrize("lines, message", [
    (["a", "b"], "first three words"),
    (["<S>", "</S>", "<UNK>", "x", "x"], r"vocab.txt:5: duplicate word 'x' \(first on line 4\)"),
    (["<S>", "</S>", "<UNK>", "two words"], "vocab.txt:4: expected exactly one word"),
    ([], "is empty"),
])
def test_bad_vocab_files_name_file_and_line(tmp_path: Path, lines: list[str], message: str) -> None:
    path = tmp_path / "vocab.txt"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    with pytest.raises(VocabularyError, match=message):
        Vocabulary.load(path)


def test_collator_targets_include_boundaries() -> None:
    vocab = Vocabulary.from_counts(Counter(["a", "b", "c", "d", "e"]))
    batch = LMBatchCollator(vocab)([["a", "b", "c"], ["d"]])
    a, b, c, d = vocab.ids("abcd")
    assert batch.char_ids.shape == (2, 5, 50)
    assert batch.mask.tolist() == [[True] * 5, [True, True, True, False, False]]
    assert batch.forward_targets.tolist() == [[a, b, c, 1, IGNORE], [d, 1, IGNORE, IGNORE, IGNORE]]
    assert batch.backward_targets.tolist() == [[IGNORE, 0, a, b, c], [IGNORE, 0, d, IGNORE, IGNORE]]
    assert batch.num_words == 4


def test_full_softmax_is_cross_entropy() -> None:
    torch.manual_seed(0)
    softmax = SharedSoftmax(50, 8)
    hidden, targets = torch.randn(7, 8), torch.randint(0, 50, (7,))
    expected = F.cross_entropy(hidden @ softmax.weight.T + softmax.bias, targets, reduction="none")
    torch.testing.assert_close(softmax(hidden, targets), expected)


def test_log_uniform_sampler_matches_its_probabilities() -> None:
    torch.manual_seed(0)
    vocab_size, draws = 100, 200_000
    counts = torch.bincount(sample_log_uniform(vocab_size, draws), minlength=vocab_size).double()
    expected = log_uniform_log_probs(vocab_size, torch.arange(vocab_size)).double().exp()
    assert math.isclose(float(expected.sum()), 1.0, rel_tol=1e-5)
    torch.testing.assert_close(counts[:10] / draws, expected[:10], atol=3e-3, rtol=0.03)


def test_sampled_softmax_trains_and_removes_accidental_hits() -> None:
    torch.manual_seed(0)
    softmax = SharedSoftmax(1000, 8, num_sampled=64).train()
    hidden, targets = torch.randn(5, 8), torch.zeros(5, dtype=torch.long)  # id 0: sampled often
    nll = softmax(hidden, targets)
    assert nll.shape == (5,) and torch.isfinite(nll).all() and (nll >= 0).all()
    nll.sum().backward()
    assert softmax.weight.grad is not None and softmax.weight.grad[0].abs().sum() > 0
    softmax.eval()  # evaluation: exact full softmax
    full = F.cross_entropy(hidden @ softmax.weight.T + softmax.bias, targets, reduction="none")
    torch.testing.assert_close(softmax(hidden, targets), full)


def test_sampled_softmax_scores_each_distinct_draw_once_with_its_multiplicity(monkeypatch) -> None:
    """Same loss as a log-sum-exp over every draw, duplicates included (accidental hits removed)."""
    import elmo_eval.pretrain.softmax as softmax_module

    torch.manual_seed(0)
    softmax = SharedSoftmax(40, 6, num_sampled=9).train()
    draws = torch.tensor([0, 0, 0, 3, 1, 3, 7, 0, 12])
    monkeypatch.setattr(softmax_module, "sample_log_uniform", lambda vocab, count, device=None: draws)
    hidden, targets = torch.randn(4, 6, dtype=torch.float64), torch.tensor([0, 5, 3, 39])
    softmax = softmax.double()
    got = softmax(hidden, targets)

    log_count = lambda ids: math.log(9) + log_uniform_log_probs(40, ids).double()  # noqa: E731
    true_logits = (hidden * softmax.weight[targets]).sum(-1) + softmax.bias[targets] - log_count(targets)
    every_draw = hidden @ softmax.weight[draws].T + softmax.bias[draws] - log_count(draws)  # [N, S]
    every_draw = every_draw.masked_fill(draws.unsqueeze(0) == targets.unsqueeze(1), float("-inf"))
    expected = torch.logsumexp(torch.cat([true_logits.unsqueeze(1), every_draw], dim=1), dim=1) - true_logits
    torch.testing.assert_close(got, expected)


def test_a_vocabulary_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "vocab.txt"
    path.write_bytes(b"<S>\n</S>\n<UNK>\ncaf\xe9\n")
    with pytest.raises(VocabularyError, match=r"vocab.txt:4: byte 0xe9 .* not UTF-8"):
        Vocabulary.load(path)

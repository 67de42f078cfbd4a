"""ElmoBiLM behaviour on a tiny random model: statelessness, edge-case inputs, char ids, state rules."""
from __future__ import annotations

import pytest
import torch

from elmo_eval.encoders import ElmoBiLM, batch_to_char_ids, token_to_char_ids
from elmo_eval.encoders.char_ids import BOS_IDS, EOS_IDS

TINY_OPTIONS = {
    "lstm": {"cell_clip": 3, "use_skip_connections": True, "n_layers": 2, "proj_clip": 3,
             "projection_dim": 8, "dim": 16},
    "char_cnn": {"embedding": {"dim": 4}, "filters": [[1, 4], [2, 8], [3, 8]], "n_highway": 1,
                 "n_characters": 262, "max_characters_per_token": 50, "activation": "relu"},
}


@pytest.fixture
def bilm():
    return ElmoBiLM.from_options(TINY_OPTIONS, seed=3)


def test_char_ids_layout():
    ids = token_to_char_ids("ab")
    assert len(ids) == 50
    assert ids[:4] == [259, ord("a") + 1, ord("b") + 1, 260] and set(ids[4:]) == {261}
    assert token_to_char_ids("<S>") == BOS_IDS == [259, 257, 260] + [261] * 47
    assert token_to_char_ids("</S>") == EOS_IDS == [259, 258, 260] + [261] * 47
    # Non-ASCII: UTF-8 bytes; over-long tokens keep their first 48 bytes.
    assert token_to_char_ids("é")[1:3] == [0xC3 + 1, 0xA9 + 1]
    long_ids = token_to_char_ids("x" * 70)
    assert long_ids[1:49] == [ord("x") + 1] * 48 and long_ids[49] == 260
    # A multi-byte character cut at byte 48 is kept as raw bytes (no decode step).
    assert token_to_char_ids("é" * 30)[1:49] == [0xC3 + 1, 0xA9 + 1] * 24
    batch = batch_to_char_ids([["a", "b"], []], max_len=3)
    assert batch.shape == (2, 3, 50) and batch.dtype == torch.long
    assert batch[0, 2].eq(0).all() and batch[1].eq(0).all()
    with pytest.raises(ValueError, match="max_len"):
        batch_to_char_ids([["a", "b"]], max_len=1)


def test_output_shapes_mask_and_layer_zero(bilm):
    layers, mask = bilm.embed([["the", "cat"], ["a"]])
    assert bilm.num_layers == 3 and bilm.output_dim == 16
    assert layers.shape == (2, 3, 2, 16) and mask.tolist() == [[True, True], [True, False]]
    e = bilm.token_embedding(batch_to_char_ids([["the", "cat"], ["a"]])).detach()
    # Same numbers up to float rounding (the CNN sees a different number of rows with boundaries).
    torch.testing.assert_close(layers[:, 0, :, :8], e, atol=1e-6, rtol=1e-6)
    assert torch.equal(layers[:, 0, :, :8], layers[:, 0, :, 8:])
    assert not layers[1, :, 1].any()


def test_stateless_same_sentence_same_layers_in_any_batch(bilm):
    target = ["Colorless", "green", "ideas", "sleep", "furiously", "."]
    alone, _ = bilm.embed([target])
    others = [["a"], ["much", "longer", "sentence", "with", "many", "more", "tokens", "than", "it"], []]
    for batch, row in [([target] + others, 0), (others + [target], 3), ([others[1], target, others[0]], 1),
                       ([target, target], 1)]:
        layers, mask = bilm.embed(batch)
        n = len(target)
        torch.testing.assert_close(layers[row, :, :n], alone[0], atol=1e-6, rtol=1e-5)
        assert mask[row].sum() == n
    # Extra padding columns change nothing either.
    padded = bilm(batch_to_char_ids([target], max_len=15))[0]
    torch.testing.assert_close(padded[0, :, :6], alone[0], atol=1e-6, rtol=1e-5)
    assert not padded[0, :, 6:].any()
    # Calling twice gives bit-identical results (no hidden state in stateless mode).
    assert torch.equal(bilm.embed([target])[0], alone)


def test_empty_one_token_and_long_sentences(bilm):
    layers, mask = bilm.embed([[], ["word"], []])
    assert layers.shape == (3, 3, 1, 16) and mask.tolist() == [[False], [True], [False]]
    assert not layers[0].any() and not layers[2].any() and layers[1].abs().sum() > 0
    only_empty, only_empty_mask = bilm.embed([[], []])
    assert only_empty.shape == (2, 3, 0, 16) and only_empty_mask.shape == (2, 0)
    nothing, nothing_mask = bilm.embed([])
    assert nothing.shape == (0, 3, 0, 16) and nothing_mask.shape == (0, 0)
    long_sentence = [f"tok{i % 37}" for i in range(300)]
    layers, mask = bilm.embed([long_sentence, ["short"]])
    assert layers.shape == (2, 3, 300, 16) and mask.sum(1).tolist() == [300, 1]
    assert torch.isfinite(layers).all()
    assert layers[0, 1:].abs().max() <= 3 + 8 * 3  # proj_clip bounds h; the residual adds the input


def test_long_and_non_ascii_tokens(bilm):
    # Tokens agreeing on their first 48 bytes get the same char ids, hence the same e.
    a, b = "x" * 48 + "tail-one", "x" * 48 + "different-tail"
    e = bilm.token_embedding(batch_to_char_ids([[a, b, "tail-one", "different-tail"]])).detach()[0]
    assert torch.equal(e[0], e[1]) and not torch.equal(e[2], e[3])
    layers, mask = bilm.embed([["naïve", "Übermaß", "東京", "🙂", "\ud800"]])
    assert mask.sum() == 5 and torch.isfinite(layers).all()


def test_from_options_is_deterministic_and_fingerprint_tracks_weights():
    first = ElmoBiLM.from_options(TINY_OPTIONS, seed=11)
    second = ElmoBiLM.from_options(TINY_OPTIONS, seed=11)
    other = ElmoBiLM.from_options(TINY_OPTIONS, seed=12)
    assert first.fingerprint() == second.fingerprint() != other.fingerprint()
    sentence = [["same", "seed", "same", "numbers"]]
    assert torch.equal(first.embed(sentence)[0], second.embed(sentence)[0])
    with torch.no_grad():
        second.lstm.backward_layers[1].bias[0] += 1e-3
    assert first.fingerprint() != second.fingerprint()
    assert first.char_cnn.char_embedding.weight[0].eq(0).all()


def test_stateful_rows_follow_allennlp_rules():
    options = TINY_OPTIONS
    stateful = ElmoBiLM.from_options(options, seed=5, stateful=True)
    fresh = ElmoBiLM.from_options(options, seed=5)
    s1, s2, s3 = ["first", "one"], ["second", "sentence", "here"], ["third"]
    stateful.embed([s1, s2])
    # Smaller batch: row 0 continues from s1's state.
    continued, _ = stateful.embed([s3])
    assert not torch.allclose(continued[0, 1:], fresh.embed([s3])[0][0, 1:])
    # Row 1 was untouched by the smaller batch: it still continues from s2; row 2 is new (zero state).
    layers, _ = stateful.embed([s3, s3, s3])
    reference = ElmoBiLM.from_options(options, seed=5, stateful=True)
    reference.embed([s2])
    expected_row1, _ = reference.embed([s3])
    torch.testing.assert_close(layers[1], expected_row1[0], atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(layers[2], fresh.embed([s3])[0][0], atol=1e-6, rtol=1e-5)
    # Layer 0 never depends on state; after reset_states everything is fresh again.
    torch.testing.assert_close(layers[0, 0], fresh.embed([s3])[0][0, 0])
    stateful.reset_states()
    assert torch.equal(stateful.embed([s1])[0], fresh.embed([s1])[0])


def test_gradients_flow_for_training(bilm):
    layers, _ = bilm(batch_to_char_ids([["a", "b", "c"], ["d"]]))
    layers[:, 2].sum().backward()
    assert bilm.char_cnn.char_embedding.weight.grad.abs().sum() > 0
    assert bilm.lstm.backward_layers[0].state_weight.grad.abs().sum() > 0
    assert bilm.char_cnn.char_embedding.weight.grad[0].eq(0).all()


def test_forward_with_boundaries_keeps_markers(bilm):
    char_ids = batch_to_char_ids([["a", "b", "c"], []])
    full, full_mask = bilm.forward_with_boundaries(char_ids)
    layers, _ = bilm(char_ids)
    assert full.shape == (2, 3, 5, 16) and full_mask.sum(1).tolist() == [5, 2]
    torch.testing.assert_close(full[0, :, 1:4], layers[0])
    assert full[1, :, :2].abs().sum() > 0 and not full[1, :, 2:].any()
    ids, _ = bilm.add_boundaries(char_ids)
    assert ids[1, 0].tolist() == BOS_IDS and ids[1, 1].tolist() == EOS_IDS and ids[0, 4].tolist() == EOS_IDS


def test_weight_updates_are_seen_by_inference_cache(bilm):
    """The stacked-weight cache used under no_grad must notice in-place parameter changes."""
    sentence = [["cache", "me"]]
    before = bilm.embed(sentence)[0]
    assert torch.equal(bilm.embed(sentence)[0], before)
    with torch.no_grad():
        bilm.lstm.forward_layers[0].state_weight.mul_(0.5)
    after = bilm.embed(sentence)[0]
    assert not torch.equal(after[:, 1], before[:, 1])
    fresh = ElmoBiLM.from_options(TINY_OPTIONS, seed=3)
    with torch.no_grad():
        fresh.lstm.forward_layers[0].state_weight.mul_(0.5)
    assert torch.equal(fresh.embed(sentence)[0], after)

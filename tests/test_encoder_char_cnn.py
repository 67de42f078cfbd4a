"""The character CNN's fast paths (truncated positions, all banks in one matmul) equal Conv1d over all 50."""
import torch

from elmo_eval.encoders.char_cnn import CharacterCNN
from elmo_eval.encoders.char_ids import batch_to_char_ids


def _cnn() -> CharacterCNN:
    torch.manual_seed(0)
    cnn = CharacterCNN(char_dim=4, filters=[[1, 3], [2, 4], [4, 5]], n_highway=1, projection_dim=6).double()
    with torch.no_grad():  # non-zero biases, so adding them after the max is exercised
        for conv in cnn.convolutions:
            conv.bias.normal_()
    return cnn


def _reference(cnn: CharacterCNN, char_ids: torch.Tensor) -> torch.Tensor:
    """The textbook computation: Conv1d over all 50 positions, max, activation, highway, projection."""
    chars = cnn.char_embedding(char_ids.reshape(-1, 50)).transpose(1, 2)  # [tokens, char_dim, 50]
    features = torch.cat([torch.relu(conv(chars).amax(dim=2)) for conv in cnn.convolutions], dim=1)
    projected = cnn.highway(features) @ cnn.projection_weight + cnn.projection_bias
    return projected.reshape(*char_ids.shape[:-1], -1)


def _values_and_grads(cnn: CharacterCNN, forward, char_ids: torch.Tensor):
    cnn.zero_grad()
    out = forward(char_ids)
    (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)).sum().backward()
    return out.detach(), [p.grad.clone() for p in cnn.parameters()]


def test_fast_paths_match_conv1d_over_all_fifty_positions(monkeypatch):
    cnn = _cnn()
    short = batch_to_char_ids([["a", "bb", "hello"], ["cat", "w", ""]])       # one group, all banks at once
    mixed = batch_to_char_ids([["a", "extraordinary", "é"], ["short", "w"]])  # short and long groups
    long = batch_to_char_ids([["a", "x" * 60, "é"], ["short"]])               # a 48-byte token: bank by bank
    calls = []
    original = CharacterCNN._filter_features

    def recording(self, flat_ids, longest):
        calls.append((flat_ids.shape[0], longest))
        return original(self, flat_ids, longest)

    monkeypatch.setattr(CharacterCNN, "_filter_features", recording)
    for ids, expected_calls in ((short, [(6, 7)]), (mixed, [(5, 7), (1, 15)]), (long, [(5, 7), (1, 50)])):
        calls.clear()
        got, got_grads = _values_and_grads(cnn, cnn, ids)
        assert calls == expected_calls
        expected, expected_grads = _values_and_grads(cnn, lambda x: _reference(cnn, x), ids)
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)
        for index, (g, e) in enumerate(zip(got_grads, expected_grads)):
            torch.testing.assert_close(g, e, rtol=1e-10, atol=1e-12, msg=f"parameter {index}")


def test_without_a_graph_each_distinct_token_is_computed_once_with_the_same_numbers(monkeypatch):
    cnn = _cnn().float()
    # a repeated word, the empty slot (all-zero ids) twice, a long token twice, and tokens seen once
    ids = batch_to_char_ids([["the", "cat", "the", "x" * 30, ""], ["the", "x" * 30, "dog", "", ""]])
    rows = []
    original = CharacterCNN._embed_flat

    def recording(self, flat_ids):
        rows.append(flat_ids.shape[0])
        return original(self, flat_ids)

    monkeypatch.setattr(CharacterCNN, "_embed_flat", recording)
    with torch.no_grad():
        once = cnn(ids)
        cnn.deduplicate = False
        every_row = cnn(ids)
    # 10 slots, 5 distinct: the, cat, x*30, dog and the empty slot
    assert rows == [5, 10]
    # the same numbers up to the matmuls' rounding, which may depend on how many rows they see
    torch.testing.assert_close(once, every_row, rtol=0, atol=1e-6)
    torch.testing.assert_close(once, _reference(cnn, ids), rtol=0, atol=1e-5)
    rows.clear()
    cnn.deduplicate = True
    out = cnn(ids)  # with a graph: every row (its gradient stays one backward over all of them)
    assert rows == [10] and out.requires_grad

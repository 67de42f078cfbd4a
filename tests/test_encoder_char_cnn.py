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
    short = batch_to_char_ids([["a", "bb", "hello"], ["cat", "w", ""]])   # all banks in one matmul
    long = batch_to_char_ids([["a", "x" * 60, "é"], ["short"]])           # a 48-byte token: bank by bank
    assert CharacterCNN._longest(short.reshape(-1, 50)) == 7 and CharacterCNN._longest(long.reshape(-1, 50)) == 50
    calls = {"all": 0}
    original = CharacterCNN._all_banks_max

    def counting(self, chars):
        calls["all"] += 1
        return original(self, chars)

    monkeypatch.setattr(CharacterCNN, "_all_banks_max", counting)
    for ids, fused in ((short, 1), (long, 0)):
        calls["all"] = 0
        got, got_grads = _values_and_grads(cnn, cnn, ids)
        assert calls["all"] == fused
        expected, expected_grads = _values_and_grads(cnn, lambda x: _reference(cnn, x), ids)
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)
        for name_grad, (g, e) in enumerate(zip(got_grads, expected_grads)):
            torch.testing.assert_close(g, e, rtol=1e-10, atol=1e-12, msg=f"parameter {name_grad}")

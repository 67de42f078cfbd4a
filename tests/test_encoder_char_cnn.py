"""The character CNN convolves only as far as the batch's longest word: same values and gradients as all 50."""
import torch

from elmo_eval.encoders.char_cnn import CharacterCNN
from elmo_eval.encoders.char_ids import batch_to_char_ids


def _features_and_grads(cnn: CharacterCNN, char_ids: torch.Tensor):
    cnn.zero_grad()
    out = cnn(char_ids)
    (out * torch.linspace(-1, 1, out.numel()).reshape(out.shape)).sum().backward()
    return out.detach(), [p.grad.clone() for p in cnn.parameters()]


def _cnn() -> CharacterCNN:
    torch.manual_seed(0)
    cnn = CharacterCNN(char_dim=4, filters=[[1, 3], [2, 4], [4, 5]], n_highway=1, projection_dim=6).double()
    with torch.no_grad():  # non-zero biases, so adding them after the max is exercised
        for conv in cnn.convolutions:
            conv.bias.normal_()
    return cnn


def test_truncated_positions_match_all_fifty(monkeypatch):
    sentences = [["a", "bb", "hello", "<S>"], ["x" * 60, "é", "", "w"], ["short"]]
    char_ids = batch_to_char_ids(sentences)  # padded third row: all-zero tokens
    cnn = _cnn()
    assert cnn._positions_needed(char_ids.reshape(-1, 50)) == 50  # a 48-byte token needs every position
    short_ids = batch_to_char_ids([["a", "bb", "hello"], ["cat", "w"]])
    assert cnn._positions_needed(short_ids.reshape(-1, 50)) == 7 + 4  # "hello" + 2 markers, widest filter 4

    for ids in (char_ids, short_ids):
        truncated, truncated_grads = _features_and_grads(cnn, ids)
        monkeypatch.setattr(CharacterCNN, "_positions_needed", lambda self, flat_ids: 50)
        full, full_grads = _features_and_grads(cnn, ids)
        monkeypatch.undo()
        torch.testing.assert_close(truncated, full, rtol=0, atol=1e-12)
        for got, expected in zip(truncated_grads, full_grads):
            torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)


def test_bias_after_max_equals_conv1d():
    """The matmul form (bias after the max) equals ``Conv1d`` + max over positions + activation."""
    cnn = _cnn()
    ids = batch_to_char_ids([["elmo", "a", "representation"]]).reshape(-1, 50)
    chars = cnn.char_embedding(ids)
    for conv in cnn.convolutions:
        expected = conv(chars.transpose(1, 2)).amax(dim=2)
        torch.testing.assert_close(CharacterCNN._bank_max(chars, conv), expected)

"""The hand-written backward of the LSTM recurrence equals plain autograd through the loop."""
import pytest
import torch

from elmo_eval.encoders.elmo_lstm import LstmProjectionLayer, run_lstm_layers


@pytest.mark.parametrize("clip", [None, 0.5])
@pytest.mark.parametrize("padded", [False, True])
def test_values_and_gradients_match_plain_autograd(clip, padded):
    torch.manual_seed(0)
    layers = [LstmProjectionLayer(6, 8, 5), LstmProjectionLayer(6, 8, 5)]
    with torch.no_grad():
        for layer in layers:
            layer.bias.uniform_(-1, 1)  # large enough pre-activations that clip=0.5 clips
    inputs = torch.randn(2, 3, 7, 6, requires_grad=True)
    mask = torch.ones(3, 7, dtype=torch.bool)
    if padded:
        mask[1, 4:] = False
        mask[2, 1:] = False
    h0 = torch.randn(2, 3, 5, requires_grad=True)
    c0 = torch.randn(2, 3, 8, requires_grad=True)
    weights = [p for layer in layers for p in layer.parameters()]

    def run(custom_backward: bool):
        out, (h, c) = run_lstm_layers(layers, inputs, mask, (h0, c0), clip, clip, custom_backward=custom_backward)
        loss = (out * torch.linspace(-1, 1, out.numel()).reshape(out.shape)).sum() + (h ** 2).sum() + c.sum()
        return out.detach(), h.detach(), c.detach(), torch.autograd.grad(loss, [inputs, h0, c0, *weights])

    ours, reference = run(True), run(False)
    for a, b in zip(ours[:3], reference[:3]):
        assert torch.allclose(a, b, atol=1e-6)
    for a, b in zip(ours[3], reference[3]):
        assert torch.allclose(a, b, atol=1e-5), (a - b).abs().max()
    if clip is not None:  # the clipped branch was exercised
        assert (reference[0].abs() >= clip - 1e-6).any()

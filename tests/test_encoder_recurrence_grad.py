"""The hand-written recurrence (LstmRecurrence) equals plain autograd through the loop:
same forward values, same gradients, with and without clipping, for every kind of mask."""
import pytest
import torch

from elmo_eval.encoders.elmo_lstm import LstmProjectionLayer, run_lstm_layers
from elmo_eval.encoders.lstm_recurrence import LstmRecurrence

CLIP = 0.5  # small enough that some cells and projections are clipped (asserted below)


def _mask(kind: str) -> torch.Tensor:
    """``[4, 7]``: all real; right padding with rows of length 7, 4, 1 and 0; or holes (not a prefix)."""
    mask = torch.ones(4, 7, dtype=torch.bool)
    if kind == "padded":
        mask[1, 4:] = False
        mask[2, 1:] = False
        mask[3, :] = False
    elif kind == "holes":
        mask[1, 2] = False
        mask[2, 0] = False
        mask[2, 5:] = False
        mask[3, 1:6] = False
    return mask


def _setup(dtype: torch.dtype, seed: int = 0):
    torch.manual_seed(seed)
    layers = [LstmProjectionLayer(6, 8, 5), LstmProjectionLayer(6, 8, 5)]
    with torch.no_grad():
        for layer in layers:
            layer.bias.uniform_(-1, 1)  # large enough pre-activations that CLIP clips the cell ...
            layer.projection_weight.mul_(3)  # ... and the projection
    layers = [layer.to(dtype) for layer in layers]
    # drawn in float32 whatever the dtype, so that every dtype sees the same values
    inputs = torch.randn(2, 4, 7, 6).to(dtype).requires_grad_()
    h0 = torch.randn(2, 4, 5).to(dtype).requires_grad_()
    c0 = torch.randn(2, 4, 8).to(dtype).requires_grad_()
    return layers, inputs, h0, c0


def _run(layers, inputs, h0, c0, mask, clip, custom_backward: bool):
    """Outputs and the gradients of a loss that uses the sequence and both final states."""
    weights = [p for layer in layers for p in layer.parameters()]
    out, (h, c) = run_lstm_layers(layers, inputs, mask, (h0, c0), clip, clip, custom_backward=custom_backward)
    ramp = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)
    loss = (out * ramp).sum() + (h ** 2).sum() + (c * c.detach().sign()).sum()
    return out.detach(), h.detach(), c.detach(), torch.autograd.grad(loss, [inputs, h0, c0, *weights])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("clip", [None, CLIP])
@pytest.mark.parametrize("mask_kind", ["all_valid", "padded", "holes"])
def test_values_and_gradients_match_plain_autograd(dtype, clip, mask_kind):
    layers, inputs, h0, c0 = _setup(dtype)
    mask = _mask(mask_kind)
    ours = _run(layers, inputs, h0, c0, mask, clip, custom_backward=True)
    reference = _run(layers, inputs, h0, c0, mask, clip, custom_backward=False)
    for a, b in zip(ours[:3], reference[:3]):
        assert torch.allclose(a, b, rtol=0, atol=1e-6), (a - b).abs().max()
    tolerance = 1e-5 if dtype == torch.float32 else 1e-10
    names = ["inputs", "h0", "c0"] + [f"{i}.{n}" for i in range(2) for n, _ in layers[i].named_parameters()]
    for name, a, b in zip(names, ours[3], reference[3]):
        assert torch.allclose(a, b, rtol=tolerance, atol=tolerance), (name, (a - b).abs().max())
    out, h, c = reference[:3]
    assert out.abs().sum() > 0
    if mask_kind == "padded":  # padding outputs 0; an empty row keeps its initial state
        assert torch.equal(out[:, 1, 4:], torch.zeros_like(out[:, 1, 4:]))
        assert torch.equal(h[:, 3], h0[:, 3].detach()) and torch.equal(c[:, 3], c0[:, 3].detach())
    if clip is not None:  # both clamps were exercised, on both of their sides
        real = mask.unsqueeze(0).unsqueeze(-1).expand_as(out)
        assert (out[real].abs() == clip).any() and (out[real].abs() < clip).any()
        assert (c.abs() == clip).any() and (c.abs() < clip).any()


def test_forward_values_match_the_plain_loop():
    """Equal up to float32 rounding. (Bit-for-bit equality held with torch's default and AVX2 kernels,
    not with the AVX-512 ones on an AMD EPYC: vectorised kernels may round a tensor's tail elements
    differently depending on its shape, and the two paths shape their gate tensors differently.)"""
    layers, inputs, h0, c0 = _setup(torch.float32, seed=1)
    mask = _mask("padded")
    ours = run_lstm_layers(layers, inputs, mask, (h0, c0), CLIP, CLIP, custom_backward=True)
    reference = run_lstm_layers(layers, inputs, mask, (h0, c0), CLIP, CLIP, custom_backward=False)
    for a, b in ((ours[0], reference[0]), (ours[1][0], reference[1][0]), (ours[1][1], reference[1][1])):
        assert torch.allclose(a, b, rtol=0, atol=1e-6), (a - b).abs().max()


def test_gradients_are_deterministic():
    first = _run(*_setup(torch.float32), _mask("padded"), CLIP, custom_backward=True)[3]
    second = _run(*_setup(torch.float32), _mask("padded"), CLIP, custom_backward=True)[3]
    assert all(torch.equal(a, b) for a, b in zip(first, second))


def test_zero_steps_pass_the_state_through():
    layers, _, h0, c0 = _setup(torch.float64)
    inputs = torch.zeros(2, 4, 0, 6, dtype=torch.float64, requires_grad=True)
    mask = torch.ones(4, 0, dtype=torch.bool)
    out, (h, c) = run_lstm_layers(layers, inputs, mask, (h0, c0), CLIP, CLIP)
    assert out.shape == (2, 4, 0, 5) and torch.equal(h, h0) and torch.equal(c, c0)
    grad_h0, grad_c0 = torch.autograd.grad(h.sum() + 2 * c.sum(), [h0, c0])
    assert torch.equal(grad_h0, torch.ones_like(h0)) and torch.equal(grad_c0, 2 * torch.ones_like(c0))


def test_second_backward_is_refused_with_a_clear_message():
    layers, inputs, h0, c0 = _setup(torch.float32)
    out, _ = run_lstm_layers(layers, inputs, _mask("all_valid"), (h0, c0), CLIP, CLIP)
    out.sum().backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="only once"):
        out.sum().backward()


def test_buffers_do_not_alias_the_callers_tensors():
    """The backward reuses its own buffers in place; the caller's inputs and gradients stay intact."""
    torch.manual_seed(0)
    inputs, input_weight = torch.randn(2, 12, 3, requires_grad=True), torch.randn(2, 3, 16, requires_grad=True)
    bias = torch.randn(2, 1, 16, requires_grad=True)
    h0, c0 = torch.randn(2, 4, 2, requires_grad=True), torch.randn(2, 4, 4, requires_grad=True)
    state_weight = torch.randn(2, 2, 16, requires_grad=True)
    projection_weight = torch.randn(2, 4, 2, requires_grad=True)
    tensors = (inputs, input_weight, bias, h0, c0, state_weight, projection_weight)
    saved = [t.detach().clone() for t in tensors]
    out, h, c = LstmRecurrence.apply(*tensors, torch.ones(4, 3, dtype=torch.bool), None, None)
    grad_h = torch.randn_like(h)
    grad_h_copy = grad_h.clone()
    torch.autograd.backward([out.sum(), h], [None, grad_h])
    assert torch.equal(grad_h, grad_h_copy)
    for tensor, copy in zip(tensors, saved):
        assert torch.equal(tensor.detach(), copy)

"""The encoder's paths without a graph (feature-major LSTM, blocked char-CNN max, in-place highway)
compute what the training paths compute."""
import pytest
import torch
from test_encoder_bilm import TINY_OPTIONS
from test_encoder_recurrence_grad import CLIP, _mask, _setup

from elmo_eval.encoders import char_cnn as char_cnn_module
from elmo_eval.encoders import lstm_inference
from elmo_eval.encoders.bilm import ElmoBiLM
from elmo_eval.encoders.char_ids import batch_to_char_ids
from elmo_eval.encoders.elmo_lstm import ElmoLstm, run_lstm_layers
from elmo_eval.encoders.lstm_inference import inference_weights, run_layers_feature_major
from elmo_eval.modules.highway import Highway


@pytest.mark.parametrize("dtype,tolerance", [(torch.float32, 1e-6), (torch.float64, 1e-12)])
@pytest.mark.parametrize("clip", [None, CLIP])
@pytest.mark.parametrize("mask_kind", ["all_valid", "padded", "holes"])
@pytest.mark.parametrize("chunk_columns", [1, 9, 512])  # one step per chunk, 3 steps with a short last chunk, all
def test_feature_major_loop_matches_the_plain_loop(monkeypatch, dtype, tolerance, clip, mask_kind, chunk_columns):
    monkeypatch.setattr(lstm_inference, "CHUNK_COLUMNS", chunk_columns)
    layers, inputs, h0, c0 = _setup(dtype)
    mask = _mask(mask_kind)
    with torch.no_grad():
        expected, (h_expected, c_expected) = run_lstm_layers(layers, inputs, mask, (h0, c0), clip, clip,
                                                             custom_backward=False)
        step_valid = None if mask.all() else mask.t().reshape(7, 1, 1, 4)
        out, h, c = run_layers_feature_major(inference_weights(layers), inputs.permute(0, 3, 2, 1).contiguous(),
                                             step_valid, h0.transpose(1, 2).contiguous(),
                                             c0.transpose(1, 2).contiguous(), clip, clip)
    torch.testing.assert_close(out.permute(1, 3, 0, 2), expected, rtol=0, atol=tolerance)
    torch.testing.assert_close(h.transpose(1, 2), h_expected, rtol=0, atol=tolerance)
    torch.testing.assert_close(c.transpose(1, 2), c_expected, rtol=0, atol=tolerance)
    if mask_kind == "padded":
        assert not out[4:, :, :, 1].any() and not out[:, :, :, 3].any()


def test_zero_steps():
    layers, inputs, h0, c0 = _setup(torch.float32)
    out, h, c = run_layers_feature_major(inference_weights(layers), inputs[:, :, :0].permute(0, 3, 2, 1).contiguous(),
                                         None, h0.detach().transpose(1, 2), c0.detach().transpose(1, 2), CLIP, CLIP)
    assert out.shape == (0, 2, 5, 4)
    assert torch.equal(h, h0.detach().transpose(1, 2)) and torch.equal(c, c0.detach().transpose(1, 2))


@pytest.mark.parametrize("stateful", [False, True])
def test_elmo_lstm_without_a_graph_matches_the_training_path(stateful):
    torch.manual_seed(1)
    lstm = ElmoLstm(input_dim=6, cell_dim=8, projection_dim=5, num_layers=2, cell_clip=CLIP, proj_clip=CLIP,
                    stateful=stateful).double()
    twin = ElmoLstm(input_dim=6, cell_dim=8, projection_dim=5, num_layers=2, cell_clip=CLIP, proj_clip=CLIP,
                    stateful=stateful).double()
    twin.load_state_dict(lstm.state_dict())
    mask = _mask("padded")
    for call in range(3):  # stateful: the carried state of both paths stays the same too
        inputs = torch.randn(4, 7, 6, dtype=torch.float64) * mask.unsqueeze(-1)
        with torch.no_grad():
            fast = lstm(inputs, mask)
        graph = twin(inputs, mask)  # parameters require grad: the training path
        assert graph.requires_grad
        torch.testing.assert_close(fast, graph.detach(), rtol=0, atol=1e-12, msg=f"call {call}")
        assert not fast[:, 3].any()
    if stateful:
        torch.testing.assert_close(lstm._h_states, twin._h_states, rtol=0, atol=1e-12)
        torch.testing.assert_close(lstm._c_states, twin._c_states, rtol=0, atol=1e-12)


def test_weight_cache_follows_in_place_updates():
    torch.manual_seed(2)
    lstm = ElmoLstm(input_dim=6, cell_dim=8, projection_dim=5, num_layers=1)
    inputs, mask = torch.randn(2, 3, 6), torch.ones(2, 3, dtype=torch.bool)
    with torch.no_grad():
        before = lstm(inputs, mask)
        lstm.backward_layers[0].state_weight.mul_(2)
        after = lstm(inputs, mask)
    assert torch.equal(after[0, :, :, :5], before[0, :, :, :5]) and not torch.equal(after, before)
    torch.testing.assert_close(after, lstm(inputs, mask).detach(), rtol=0, atol=1e-6)


def test_highway_in_place_is_bit_identical():
    torch.manual_seed(3)
    highway = Highway(16, 2)
    with torch.no_grad():
        for bias in [*highway.bias_transform, *highway.bias_carry]:
            bias.normal_()
    x = torch.randn(5, 3, 16)
    graph = highway(x)
    assert graph.requires_grad
    with torch.no_grad():
        assert torch.equal(highway(x), graph.detach())


def test_char_cnn_blocked_max_matches_the_training_path(monkeypatch):
    monkeypatch.setattr(char_cnn_module, "_BLOCK_ROWS", 20)  # several blocks, a short last one
    bilm = ElmoBiLM.from_options(TINY_OPTIONS, seed=4)
    cnn = bilm.char_cnn
    with torch.no_grad():
        for conv in cnn.convolutions:
            conv.bias.normal_()
    ids = batch_to_char_ids([["a", "extraordinary", "é", "cat"], ["x" * 60, "w", "short"]])  # all three paths
    graph = cnn(ids)
    assert graph.requires_grad
    with torch.no_grad():
        torch.testing.assert_close(cnn(ids), graph.detach(), rtol=0, atol=1e-6)


@pytest.fixture
def two_threads(monkeypatch):
    """torch with 2 threads and the direction threads used at any size; the thread count restored after."""
    monkeypatch.setattr(lstm_inference, "PARALLEL_MIN_WORK", 0)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("mask_kind", ["all_valid", "padded"])
@pytest.mark.parametrize("inference_mode", [False, True])
def test_directions_on_their_own_threads_match_one_loop(two_threads, mask_kind, inference_mode):
    layers, inputs, h0, c0 = _setup(torch.float64)
    mask = _mask(mask_kind)
    step_valid = None if mask.all() else mask.t().reshape(7, 1, 1, 4)
    args = (inference_weights(layers), inputs.detach().permute(0, 3, 2, 1).contiguous(), step_valid,
            h0.detach().transpose(1, 2).contiguous(), c0.detach().transpose(1, 2).contiguous(), CLIP, CLIP)
    with torch.inference_mode(inference_mode), torch.no_grad():
        one_loop = run_layers_feature_major(*args)
        threaded = lstm_inference.run_layers(*args)
    for a, b in zip(threaded, one_loop):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    assert torch.get_num_threads() == 2


def test_an_error_in_a_direction_thread_reaches_the_caller(two_threads, monkeypatch):
    layers, inputs, h0, c0 = _setup(torch.float32)

    def failing(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(lstm_inference, "run_layers_feature_major", failing)
    with pytest.raises(ValueError, match="boom"), torch.no_grad():
        lstm_inference.run_layers(inference_weights(layers), inputs.detach().permute(0, 3, 2, 1).contiguous(), None,
                                  h0.detach().transpose(1, 2).contiguous(), c0.detach().transpose(1, 2).contiguous(),
                                  CLIP, CLIP)
    assert torch.get_num_threads() == 2


def test_bilm_with_two_threads_matches_one(two_threads):
    bilm = ElmoBiLM.from_options(TINY_OPTIONS, seed=5)
    sentences = [["a", "short", "one"], ["and", "a", "somewhat", "longer", "sentence", "here"]]
    threaded = bilm.embed(sentences)[0]
    torch.set_num_threads(1)
    torch.testing.assert_close(threaded, bilm.embed(sentences)[0], rtol=0, atol=1e-6)


def test_a_zero_initial_state_skips_the_first_recurrent_product_with_the_same_numbers(monkeypatch):
    layers, inputs, _, _ = _setup(torch.float32)
    h0, c0 = torch.zeros(2, 5, 4), torch.zeros(2, 8, 4)
    args = (inference_weights(layers), inputs.detach().permute(0, 3, 2, 1).contiguous(), None, h0, c0, CLIP, CLIP)
    products = []
    original = torch.baddbmm

    def counting(*a, **k):
        products.append(a[1].shape[-1])  # the contracted size: 5 (P) for a recurrent product, 6 (D) for the input
        return original(*a, **k)

    monkeypatch.setattr(torch, "baddbmm", counting)
    with torch.no_grad():
        skipped = run_layers_feature_major(*args)
        recurrent_skipping = products.count(5)
        products.clear()
        monkeypatch.setattr(lstm_inference, "SKIP_ZERO_START", False)
        computed = run_layers_feature_major(*args)
    assert recurrent_skipping == products.count(5) - 1 == 6  # 7 steps: one product fewer
    for a, b in zip(skipped, computed):
        assert torch.equal(a, b)

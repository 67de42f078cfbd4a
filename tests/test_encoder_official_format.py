"""Official options/weights format: export -> load round trip and actionable errors."""
from __future__ import annotations

import copy
import json

import h5py
import numpy as np
import pytest
import torch
from test_encoder_bilm import TINY_OPTIONS

from elmo_eval.encoders import (
    ElmoBiLM,
    OfficialFormatError,
    OptionsError,
    WeightsMismatchError,
    export_official,
    load_options,
)

SENTENCES = [["A", "small", "test", "."], ["Ünïcode", "tokens"], []]


@pytest.fixture
def exported(tmp_path):
    bilm = ElmoBiLM.from_options(TINY_OPTIONS, seed=1)
    options_path, weights_path = export_official(bilm, tmp_path / "model")
    return bilm, options_path, weights_path


def test_round_trip_is_exact(exported):
    bilm, options_path, weights_path = exported
    loaded = ElmoBiLM.from_official(options_path, weights_path)
    assert loaded.fingerprint() == bilm.fingerprint()
    assert torch.equal(loaded.embed(SENTENCES)[0], bilm.embed(SENTENCES)[0])
    assert sorted(p.name for p in options_path.parent.iterdir()) == ["options.json", "weights.hdf5"]


def test_export_uses_the_original_layout(exported):
    bilm, _, weights_path = exported
    layer = bilm.lstm.backward_layers[1]
    with h5py.File(weights_path, "r") as handle:
        assert handle["char_embed"].shape == (261, 4)  # no row 0
        np.testing.assert_array_equal(handle["char_embed"][0], bilm.char_cnn.char_embedding.weight[1].detach())
        assert handle["CNN/W_cnn_2"].shape == (1, 3, 4, 8)
        np.testing.assert_array_equal(handle["CNN/W_cnn_2"][0, :, :, 5].T,
                                      bilm.char_cnn.convolutions[2].weight[5].detach())
        w0 = handle["RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_0"][...]
        assert w0.shape == (16, 64) and handle["RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_P_0"].shape == (16, 8)
        np.testing.assert_array_equal(w0[8:], layer.state_weight.detach())
        # The file bias excludes TF's +1.0 forget bias; the module adds it at run time.
        np.testing.assert_array_equal(handle["RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/B"][...], layer.bias.detach())
        assert torch.equal(layer.gate_bias()[32:48], layer.bias[32:48] + 1.0)


def test_official_fixture_round_trips(elmo_fixture_dir, tmp_path):
    original = ElmoBiLM.from_official(elmo_fixture_dir / "options.json", elmo_fixture_dir / "lm_weights.hdf5")
    _, weights_path = export_official(original, tmp_path)
    with h5py.File(elmo_fixture_dir / "lm_weights.hdf5", "r") as source, h5py.File(weights_path, "r") as ours:
        names = []
        source.visititems(lambda name, node: names.append(name) if isinstance(node, h5py.Dataset) else None)
        for name in names:
            np.testing.assert_array_equal(ours[name][...], source[name][...], err_msg=name)


def test_wrong_shape_names_dataset_and_both_shapes(exported, tmp_path):
    _, _, weights_path = exported
    bigger = copy.deepcopy(TINY_OPTIONS)
    bigger["lstm"]["dim"] = 32
    (tmp_path / "bigger.json").write_text(json.dumps(bigger))
    with pytest.raises(WeightsMismatchError, match=r"RNN_0/RNN/MultiRNNCell/Cell0/LSTMCell/W_0.*\(16, 64\).*"
                                                   r"\(16, 128\)"):
        ElmoBiLM.from_official(tmp_path / "bigger.json", weights_path)


def test_missing_dataset_is_named(exported):
    _, options_path, weights_path = exported
    with h5py.File(weights_path, "a") as handle:
        del handle["CNN_high_0/b_carry"]
    with pytest.raises(WeightsMismatchError, match=r"CNN_high_0/b_carry.*missing.*\(20,\)"):
        ElmoBiLM.from_official(options_path, weights_path)


def test_missing_truncated_and_non_hdf5_files(exported, tmp_path):
    _, options_path, weights_path = exported
    with pytest.raises(OfficialFormatError, match="does not exist"):
        ElmoBiLM.from_official(options_path, tmp_path / "nope.hdf5")
    truncated = tmp_path / "truncated.hdf5"
    truncated.write_bytes(weights_path.read_bytes()[: weights_path.stat().st_size // 2])
    with pytest.raises(OfficialFormatError, match="truncated.hdf5"):
        ElmoBiLM.from_official(options_path, truncated)
    text = tmp_path / "text.hdf5"
    text.write_text("not hdf5 at all")
    with pytest.raises(OfficialFormatError, match="text.hdf5.*not a readable HDF5"):
        ElmoBiLM.from_official(options_path, text)


def test_bad_options(tmp_path):
    no_proj = copy.deepcopy(TINY_OPTIONS)
    del no_proj["lstm"]["projection_dim"]
    (tmp_path / "a.json").write_text(json.dumps(no_proj))
    with pytest.raises(OfficialFormatError, match=r"a.json:lstm.projection_dim: missing required key"):
        load_options(tmp_path / "a.json")
    no_skip = copy.deepcopy(TINY_OPTIONS)
    no_skip["lstm"]["use_skip_connections"] = False
    (tmp_path / "b.json").write_text(json.dumps(no_skip))
    with pytest.raises(OfficialFormatError, match="use_skip_connections: expected true .*found false"):
        load_options(tmp_path / "b.json")
    (tmp_path / "c.json").write_text("{\n  bad json")
    with pytest.raises(OfficialFormatError, match=r"c.json: not valid JSON \(line 2"):
        load_options(tmp_path / "c.json")
    with pytest.raises(OfficialFormatError, match="cannot read options file"):
        load_options(tmp_path / "missing.json")
    (tmp_path / "d.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(OfficialFormatError, match="d.json: not a JSON options file"):
        load_options(tmp_path / "d.json")


def _with(path: str, value, base=None) -> dict:
    """A copy of the tiny options with the key at dotted ``path`` set to ``value`` (``DELETE``: removed)."""
    options = copy.deepcopy(base or TINY_OPTIONS)
    *parents, last = path.split(".")
    node = options
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return options


DELETE = object()


@pytest.mark.parametrize("key, value, where, expected", [
    ("lstm.projection_dim", None, "lstm.projection_dim", ["expected an integer >= 1, found null"]),
    ("lstm.dim", "four", "lstm.dim", ['expected an integer >= 1, found "four" (a string)']),
    ("lstm.n_layers", 0, "lstm.n_layers", ["expected an integer >= 1, found 0 (an integer)"]),
    ("lstm.n_layers", 2.0, "lstm.n_layers", ["found 2.0 (a number)"]),
    ("lstm.n_layers", True, "lstm.n_layers", ["found true (true/false)"]),
    ("lstm.cell_clip", -1, "lstm.cell_clip", ["expected a number > 0, or null, found -1"]),
    ("lstm.use_peepholes", True, "lstm.use_peepholes", ["unknown key", "refused rather than ignored"]),
    ("char_cnn.n_highway", -1, "char_cnn.n_highway", ["expected an integer >= 0"]),
    ("char_cnn.filters", [[1, 4], [0, 8]], "char_cnn.filters[1]", ["found [0, 8] (a list)"]),
    ("char_cnn.filters", [[1, 4], [51, 8]], "char_cnn.filters[1]", ["width <= 50", "found [51, 8]"]),
    ("char_cnn.filters", [], "char_cnn.filters", ["non-empty list", "found [] (a list)"]),
    ("char_cnn.filters", "wide", "char_cnn.filters", ['found "wide" (a string)']),
    ("char_cnn.embedding", 4, "char_cnn.embedding", ["expected an object, found 4"]),
    ("char_cnn.embedding.dim", DELETE, "char_cnn.embedding.dim", ["missing required key"]),
    ("char_cnn.n_characters", 261, "char_cnn.n_characters", ["expected 262 (", "found 261"]),
    ("char_cnn.max_characters_per_token", 40, "char_cnn.max_characters_per_token", ["expected 50"]),
    ("char_cnn.activation", "gelu", "char_cnn.activation", ['expected "relu" or "tanh", found "gelu"']),
    ("lstm", DELETE, "lstm", ["missing required key"]),
    ("bidirectional", False, "bidirectional", ["expected true"]),
    ("dropout", 1.5, "dropout", ["expected a number in [0, 1)", "found 1.5"]),
    ("comment", "hello", "comment", ["unknown key"]),
])
def test_every_options_key_is_checked_naming_file_key_expected_and_found(tmp_path, key, value, where, expected):
    path = tmp_path / "opts.json"
    path.write_text(json.dumps(_with(key, value)))
    with pytest.raises(OptionsError) as caught:
        load_options(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{where}: ") and all(part in message for part in expected), message
    assert isinstance(caught.value, OfficialFormatError) and isinstance(caught.value, ValueError)


def test_options_not_an_object_and_training_settings(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    with pytest.raises(OptionsError, match=r"list.json:\(top level\): expected an object, found \[1, 2\]"):
        load_options(path)
    # bilm-tf's training writes these beside the model; they are allowed (and checked for type)
    trained = {**copy.deepcopy(TINY_OPTIONS), "bidirectional": True, "dropout": 0.1, "all_clip_norm_val": 10.0,
               "n_epochs": 10, "n_train_tokens": 768648884, "batch_size": 128, "n_tokens_vocab": 793471,
               "unroll_steps": 20, "n_negative_samples_batch": 8192}
    path.write_text(json.dumps(trained))
    assert load_options(path) == trained
    minimal = _with("lstm.cell_clip", DELETE, _with("lstm.proj_clip", DELETE, _with("char_cnn.activation", DELETE)))
    path.write_text(json.dumps(minimal))
    assert load_options(path) == minimal
    with pytest.raises(OptionsError, match=r"^options:lstm.dim: "):
        ElmoBiLM.from_options(_with("lstm.dim", "4"))


@pytest.mark.parametrize("key, value, tensor, hint", [
    ("char_cnn.n_highway", 1, "CNN_high_1/W_carry", "char_cnn.n_highway is 1; 4 unused datasets"),
    ("lstm.n_layers", 1, "RNN_0/RNN/MultiRNNCell/Cell1/LSTMCell/B", "lstm.n_layers is 1; 6 unused datasets"),
])
def test_options_of_a_smaller_model_are_refused_naming_the_first_unused_tensor(elmo_fixture_dir, tmp_path, key,
                                                                                 value, tensor, hint):
    options = _with(key, value, json.loads((elmo_fixture_dir / "options.json").read_text()))
    (tmp_path / "options.json").write_text(json.dumps(options))
    weights = elmo_fixture_dir / "lm_weights.hdf5"
    with pytest.raises(WeightsMismatchError) as caught:
        ElmoBiLM.from_official(tmp_path / "options.json", weights)
    message = str(caught.value)
    assert message.startswith(f"{weights}: dataset '{tensor}' is not used by the model "
                              f"{tmp_path / 'options.json'} describes"), message
    assert hint in message


def test_embed_command_refuses_mismatched_options_in_one_line(elmo_fixture_dir, tmp_path, capsys):
    from elmo_eval.cli import main

    options = _with("char_cnn.n_highway", 1, json.loads((elmo_fixture_dir / "options.json").read_text()))
    (tmp_path / "options.json").write_text(json.dumps(options))
    (tmp_path / "in.txt").write_text("a b\n")
    argv = ["embed", "--options", str(tmp_path / "options.json"), "--weights",
            str(elmo_fixture_dir / "lm_weights.hdf5"), "--input", str(tmp_path / "in.txt"),
            "--output", str(tmp_path / "c.h5")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "CNN_high_1/W_carry" in err and "n_highway is 1" in err, err
    assert not (tmp_path / "c.h5").exists()


def test_hand_built_weights_with_an_extra_or_foreign_dataset_are_refused(exported, tmp_path):
    _, options_path, weights_path = exported
    with h5py.File(weights_path, "a") as handle:  # the tiny model has n_highway 1 and 2 layers
        handle.create_dataset("CNN_high_1/W_carry", data=np.zeros((20, 20), dtype=np.float32))
    with pytest.raises(WeightsMismatchError, match=r"'CNN_high_1/W_carry' is not used .*n_highway is 1\)"):
        ElmoBiLM.from_official(options_path, weights_path)
    with h5py.File(weights_path, "a") as handle:
        del handle["CNN_high_1"]
        handle.create_dataset("RNN_1/RNN/MultiRNNCell/Cell2/LSTMCell/B", data=np.zeros(64, dtype=np.float32))
    with pytest.raises(WeightsMismatchError, match=r"Cell2/LSTMCell/B' is not used .*n_layers is 2\)"):
        ElmoBiLM.from_official(options_path, weights_path)
    with h5py.File(weights_path, "a") as handle:
        del handle["RNN_1/RNN/MultiRNNCell/Cell2"]
        handle.create_dataset("softmax/W", data=np.zeros((3, 8), dtype=np.float32))
    with pytest.raises(WeightsMismatchError, match=r"'softmax/W' is not used .*no such tensor"):
        ElmoBiLM.from_official(options_path, weights_path)
    with h5py.File(weights_path, "a") as handle:
        del handle["softmax"]
        del handle["CNN_proj/b_proj"]
        handle.create_dataset("CNN_proj/b_proj", data=np.array([b"x"] * 8))
    with pytest.raises(OfficialFormatError, match=r"'CNN_proj/b_proj' holds \|S1, not numbers"):
        ElmoBiLM.from_official(options_path, weights_path)


def test_wrong_shape_names_both_files(exported, tmp_path):
    _, options_path, weights_path = exported
    with h5py.File(weights_path, "a") as handle:
        del handle["CNN_proj/W_proj"]
        handle.create_dataset("CNN_proj/W_proj", data=np.zeros((20, 4), dtype=np.float32))
    with pytest.raises(WeightsMismatchError) as caught:
        ElmoBiLM.from_official(options_path, weights_path)
    assert str(caught.value) == (f"{weights_path}: dataset 'CNN_proj/W_proj' has shape (20, 4), the model "
                                 f"{options_path} describes expects (20, 8)")

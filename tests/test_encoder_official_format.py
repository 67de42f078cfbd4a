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
    with pytest.raises(OfficialFormatError, match=r"a.json: missing required key lstm.projection_dim"):
        load_options(tmp_path / "a.json")
    no_skip = copy.deepcopy(TINY_OPTIONS)
    no_skip["lstm"]["use_skip_connections"] = False
    (tmp_path / "b.json").write_text(json.dumps(no_skip))
    with pytest.raises(OfficialFormatError, match="use_skip_connections must be true"):
        load_options(tmp_path / "b.json")
    (tmp_path / "c.json").write_text("{\n  bad json")
    with pytest.raises(OfficialFormatError, match=r"c.json: not valid JSON \(line 2"):
        load_options(tmp_path / "c.json")
    with pytest.raises(OfficialFormatError, match="cannot read options file"):
        load_options(tmp_path / "missing.json")

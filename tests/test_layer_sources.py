"""Layer sources: streamed cache = preloaded cache = live biLM (same numbers), float16 storage, and
how the runner chooses between a cache and the biLM on the fly."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from test_encoder_bilm import TINY_OPTIONS
from test_training_framework import HP, SPLITS, ToyTask

from elmo_eval.cache import LayerCache
from elmo_eval.encoders import ElmoBiLM
from elmo_eval.representations.config import standard_representation
from elmo_eval.runner.execute import TaskData
from elmo_eval.runner.layer_mode import (
    LayerPolicy,
    bilm_device,
    choose_layer_mode,
    estimated_cache_bytes,
)
from elmo_eval.training.fit import train_and_evaluate
from elmo_eval.training.layers import CachedLayers, LiveLayers, stack_rows

SENTENCES = sorted({tuple(s) for split in SPLITS.values() for s, _ in split})
SENTENCES = [list(s) for s in SENTENCES]
# rows of a batch: a sentence, a document of three sentences (one empty), an empty row
ROWS = [[SENTENCES[0]], [SENTENCES[1], [], SENTENCES[2]], []]


@pytest.fixture(scope="module")
def bilm():
    return ElmoBiLM.from_options(TINY_OPTIONS, seed=3)


@pytest.fixture(scope="module")
def cache_path(bilm, tmp_path_factory):
    path = tmp_path_factory.mktemp("cache") / "toy.float32.h5"
    LayerCache.build(path, bilm, SENTENCES, dtype="float32", batch_size=16, progress=False).close()
    return path


def _fit(tmp_path, source):
    rep = standard_representation("elmo_mix_l0.001", placement="input")
    hp = {**HP, "trainer": {**HP["trainer"], "max_epochs": 3}}
    return train_and_evaluate(ToyTask(), SPLITS, rep, hp, tmp_path, layer_source=source, seed=5)


def _max_len(rows):
    return max(sum(len(s) for s in row) for row in rows)


def test_row_layers_agree_across_sources(bilm, cache_path):
    """A document row is its sentences one after another; padding is zero; every source agrees."""
    streamed = CachedLayers(LayerCache(cache_path), preload_max_bytes=0)
    preloaded = CachedLayers(LayerCache(cache_path), preload_max_bytes=None)
    assert not streamed.cache.preloaded and preloaded.cache.preloaded
    live = LiveLayers(bilm, batch_size=2, device="cpu")
    got = {name: src.row_layers(ROWS, _max_len(ROWS)) for name, src in
           (("streamed", streamed), ("preloaded", preloaded), ("live", live))}
    n0, n1, n2 = len(SENTENCES[0]), len(SENTENCES[1]), len(SENTENCES[2])
    expected = torch.zeros(3, 3, _max_len(ROWS), 16)
    expected[0, :, :n0] = bilm.embed([SENTENCES[0]])[0][0]
    expected[1, :, :n1] = bilm.embed([SENTENCES[1]])[0][0]
    expected[1, :, n1:n1 + n2] = bilm.embed([SENTENCES[2]])[0][0]
    for name, layers in got.items():
        assert layers.shape == expected.shape and layers.dtype == torch.float32, name
        torch.testing.assert_close(layers, expected, atol=1e-5, rtol=1e-5, msg=name)
    assert torch.equal(got["streamed"], got["preloaded"])
    # a source with only sentence_layers (the older interface) stacks the same way
    torch.testing.assert_close(stack_rows(SimpleNamespace(num_layers=3, dim=16,
                                                          sentence_layers=live.sentence_layers),
                                          ROWS, _max_len(ROWS)), expected, atol=1e-5, rtol=1e-5)


def test_streamed_cache_trains_like_preloaded_cache(cache_path, tmp_path):
    preloaded = _fit(tmp_path / "a", CachedLayers(LayerCache(cache_path), preload_max_bytes=None))
    streamed_source = CachedLayers(LayerCache(cache_path), preload_max_bytes=0)
    streamed = _fit(tmp_path / "b", streamed_source)
    assert not streamed_source.cache.preloaded
    assert streamed["metrics"] == preloaded["metrics"]
    assert streamed["dev_history"] == preloaded["dev_history"]
    assert streamed["layer_weights"] == preloaded["layer_weights"]


def test_on_the_fly_trains_like_float32_cache(bilm, cache_path, tmp_path):
    cached = _fit(tmp_path / "a", CachedLayers(LayerCache(cache_path)))
    live = _fit(tmp_path / "b", LiveLayers(bilm, batch_size=7, device="cpu"))
    assert live["metrics"] == cached["metrics"]
    assert [h["accuracy"] for h in live["dev_history"]] == [h["accuracy"] for h in cached["dev_history"]]
    for placement, entry in cached["layer_weights"].items():
        np.testing.assert_allclose(live["layer_weights"][placement]["weights"], entry["weights"], atol=1e-5)


def test_live_layers_freeze_the_encoder_and_give_no_gradient(tmp_path):
    encoder = ElmoBiLM.from_options(TINY_OPTIONS, seed=1)
    encoder.train()
    live = LiveLayers(encoder, device="cpu")
    layers = live.row_layers([[["a", "b"]]], 2)
    assert not encoder.training and not any(p.requires_grad for p in encoder.parameters())
    assert not layers.requires_grad and layers.device.type == "cpu"


def test_float16_storage_round_trip(bilm, tmp_path):
    path = tmp_path / "toy.float16.h5"
    cache = LayerCache.build(path, bilm, SENTENCES, progress=False)  # float16 is the default
    assert cache.dtype == "float16" and cache.nbytes == sum(map(len, SENTENCES)) * 3 * 16 * 2
    streamed = CachedLayers(cache, preload_max_bytes=0).row_layers(ROWS, _max_len(ROWS))
    reference = LiveLayers(bilm).row_layers(ROWS, _max_len(ROWS))
    torch.testing.assert_close(streamed, reference, atol=2e-3, rtol=2e-3)
    assert not torch.equal(streamed, reference)  # it is float16 storage, rounded
    preloaded = CachedLayers(LayerCache(path), preload_max_bytes=None).row_layers(ROWS, _max_len(ROWS))
    assert torch.equal(streamed, preloaded)


def test_auto_picks_on_the_fly_when_the_estimate_exceeds_the_disk_share(tmp_path):
    path = tmp_path / "layers" / "task.float16.h5"
    auto = LayerPolicy("auto", disk_share=0.5)
    assert choose_layer_mode(auto, path, estimate_bytes=600, free_bytes=1000)[0] == "on-the-fly"
    assert choose_layer_mode(auto, path, estimate_bytes=500, free_bytes=1000)[0] == "cache"
    assert choose_layer_mode(LayerPolicy("auto", disk_share=0.7), path, 600, free_bytes=1000)[0] == "cache"
    # the flag overrides the estimate either way
    assert choose_layer_mode(LayerPolicy("cache"), path, 10**15, free_bytes=1)[0] == "cache"
    assert choose_layer_mode(LayerPolicy("on-the-fly"), path, 1, free_bytes=10**15)[0] == "on-the-fly"
    # an interrupted build already holds part of the space; a finished cache needs none
    path.parent.mkdir()
    path.with_name(path.name + ".partial").write_bytes(b"x" * 200)
    assert choose_layer_mode(auto, path, estimate_bytes=600, free_bytes=1000)[0] == "cache"
    path.write_bytes(b"")
    assert choose_layer_mode(auto, path, estimate_bytes=10**15, free_bytes=1)[0] == "cache"
    # free space is read from the file system when not given
    assert choose_layer_mode(auto, tmp_path / "new" / "x.h5", estimate_bytes=10**18)[0] == "on-the-fly"


def test_estimate_and_policy_checks():
    sentences = [["a", "b", "c"], ["d"]]
    assert estimated_cache_bytes(sentences, 3, 1024, "float16") == 4 * 3 * 1024 * 2 + 2 * 56
    assert estimated_cache_bytes(iter(sentences), 3, 1024, "float32") == 4 * 3 * 1024 * 4 + 2 * 56
    for bad in ({"mode": "disk"}, {"dtype": "int8"}, {"disk_share": 0.0}, {"disk_share": 1.5}):
        with pytest.raises(ValueError):
            LayerPolicy(**bad)
    assert bilm_device(None) == "cpu" and bilm_device({"accelerator": "cpu", "devices": 1}) == "cpu"
    if not torch.cuda.is_available():
        assert bilm_device({"accelerator": "gpu", "devices": [1]}) == "cpu"
    else:
        assert bilm_device({"accelerator": "gpu", "devices": [1]}) == "cuda:1"
        assert bilm_device({"accelerator": "gpu", "devices": 2}) == "cuda"


def _task_data(tmp_path, encoder):
    """A runner TaskData over the toy splits (no spec file, no world)."""
    data = TaskData.__new__(TaskData)
    data.spec = SimpleNamespace(name="toy")
    data.setup = SimpleNamespace(encoder=encoder, encoder_fingerprint="f" * 64)
    data.cache_dir, data.task, data.splits = tmp_path, ToyTask(), SPLITS
    data._layers, data.layer_mode = None, None
    return data


def test_runner_task_data_builds_a_dtype_keyed_cache_or_goes_on_the_fly(bilm, tmp_path):
    cached = _task_data(tmp_path, bilm).layers(False, LayerPolicy("cache"))
    assert isinstance(cached, CachedLayers) and cached.cache.dtype == "float16"
    assert cached.cache.path == tmp_path / "layers" / ("f" * 16) / "toy.float16.h5"
    as32 = _task_data(tmp_path, bilm).layers(False, LayerPolicy("cache", dtype="float32"))
    assert as32.cache.path.name == "toy.float32.h5" and as32.cache.dtype == "float32"
    data = _task_data(tmp_path / "other", bilm)
    live = data.layers(False, LayerPolicy("on-the-fly"), {"accelerator": "cpu"})
    assert isinstance(live, LiveLayers) and data.layer_mode["mode"] == "on-the-fly"
    assert not (tmp_path / "other" / "layers").exists()

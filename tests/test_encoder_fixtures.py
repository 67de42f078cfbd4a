"""The biLM reproduces AllenNLP's outputs on its own test fixtures (../shared/fixtures/elmo)."""
from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from elmo_eval.encoders import ElmoBiLM, batch_to_char_ids

TOKEN_COUNTS = [[50, 51, 27, 3, 37, 11, 43, 29, 24, 20], [16, 11, 26, 13, 43, 13, 24, 13, 53, 5],
                [53, 51, 16, 17, 11, 19, 28, 12, 16, 9]]


def close(actual, expected):
    return np.allclose(actual, expected, atol=1e-5, rtol=1e-5)


@pytest.fixture
def streams(elmo_fixture_dir):
    raw = json.loads((elmo_fixture_dir / "sentences.json").read_text(encoding="utf-8"))
    return [[sentence.split() for sentence in stream] for stream in raw]


def load(elmo_fixture_dir, stateful=False):
    return ElmoBiLM.from_official(elmo_fixture_dir / "options.json", elmo_fixture_dir / "lm_weights.hdf5",
                                  stateful=stateful)


def test_stateless_matches_fresh_state_reference_all_layers(elmo_fixture_dir, streams):
    bilm = load(elmo_fixture_dir)
    assert bilm.num_layers == 3 and bilm.output_dim == 32
    with h5py.File(elmo_fixture_dir / "allennlp_bilm_all_layers.hdf5", "r") as reference:
        for k, stream in enumerate(streams):
            layers, mask = bilm.embed(stream)  # all 10 sentences of a stream in one padded batch
            assert mask.sum(dim=1).tolist() == TOKEN_COUNTS[k]
            for i, sentence in enumerate(stream):
                expected = reference[f"fresh/{k}/{i}"][...]
                assert close(layers[i, :, : len(sentence)].numpy(), expected), (k, i)
                assert not layers[i, :, len(sentence):].any()


def test_stateful_matches_allennlp_batches_of_three(elmo_fixture_dir, streams):
    bilm = load(elmo_fixture_dir, stateful=True)
    reference = h5py.File(elmo_fixture_dir / "allennlp_bilm_all_layers.hdf5", "r")
    lm_files = [h5py.File(elmo_fixture_dir / f"lm_embeddings_{k}.hdf5", "r") for k in range(3)]
    for i in range(10):
        batch = [streams[k][i] for k in range(3)]
        layers, mask = bilm.embed(batch)
        assert mask.sum(dim=1).tolist() == [TOKEN_COUNTS[k][i] for k in range(3)]
        for k in range(3):
            n = len(batch[k])
            assert close(layers[k, :, :n].numpy(), reference[f"stateful/{k}/{i}"][...]), (k, i)
            top = lm_files[k][str(i)][...]
            assert close(layers[k, 2, :n].numpy(), np.concatenate([top[0], top[1]], axis=-1)), (k, i)


def test_stateful_needs_the_carried_state(elmo_fixture_dir, streams):
    """Resetting before each batch must *not* reproduce the stateful reference (guards the test above)."""
    bilm = load(elmo_fixture_dir, stateful=True)
    bilm.embed([streams[k][0] for k in range(3)])
    bilm.reset_states()
    layers, _ = bilm.embed([streams[k][1] for k in range(3)])
    with h5py.File(elmo_fixture_dir / "allennlp_bilm_all_layers.hdf5", "r") as reference:
        n = len(streams[0][1])
        assert not close(layers[0, 2, :n].numpy(), reference["stateful/0/1"][2])
        assert close(layers[0, :, :n].numpy(), reference["fresh/0/1"][...])


def test_stream_alone_with_batch_size_one_equals_batches_of_three(elmo_fixture_dir, streams):
    bilm = load(elmo_fixture_dir, stateful=True)
    with h5py.File(elmo_fixture_dir / "lm_embeddings_1.hdf5", "r") as expected:
        for i, sentence in enumerate(streams[1]):
            layers, _ = bilm.embed([sentence])
            top = expected[str(i)][...]
            assert close(layers[0, 2].numpy(), np.concatenate([top[0], top[1]], axis=-1)), i


def test_token_embeddings_of_vocab(elmo_fixture_dir):
    bilm = load(elmo_fixture_dir)
    words = (elmo_fixture_dir / "vocab_test.txt").read_text(encoding="utf-8").splitlines()
    assert len(words) == 458 and "<S>" in words and "</S>" in words
    # Batched as AllenNLP does (10 rows of 50, last padded) and all at once: the CNN is per token.
    rows = [words[i: i + 50] for i in range(0, len(words), 50)]
    batched = bilm.token_embedding(batch_to_char_ids(rows)).detach()
    mask = batch_to_char_ids(rows).gt(0).any(-1)
    with h5py.File(elmo_fixture_dir / "elmo_token_embeddings.hdf5", "r") as handle:
        expected = handle["embedding"][...]
    assert close(batched[mask].numpy(), expected)
    assert not batched[~mask].any()

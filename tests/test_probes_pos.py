"""The linear POS probe: it learns what a row carries, and it trains on frozen, cached layers only."""
from __future__ import annotations

import torch
from probe_helpers import sentence
from stand_in_encoders import WordHashEncoder
from torch import nn

from elmo_eval.probes.data import ProbeData
from elmo_eval.probes.features import build_features
from elmo_eval.probes.pos import pos_probe

# a word's tag is fixed (so a row that identifies the word can learn it); sentences mix the words
LEXICON = {"dogs": "NNS", "run": "VBP", "the": "DT", "fast": "RB", "big": "JJ", "cat": "NN", "sat": "VBD"}


def _tagged(n: int, offset: int) -> list:
    words = sorted(LEXICON)
    out = []
    for i in range(n):
        chosen = [words[(i * 3 + offset + j * 5) % len(words)] for j in range(4 + i % 3)]
        out.append(sentence(" ".join(chosen), tags=" ".join(LEXICON[w] for w in chosen)))
    return out


def _data() -> ProbeData:
    return ProbeData("hand", "memory", _tagged(40, 0), _tagged(15, 1))


class HashEncoder(WordHashEncoder):
    def fingerprint(self) -> str:
        return "word-hash"


class TrainableEncoder(nn.Module):
    """A user encoder that leaves autograd on: its layers depend on trainable weights.

    Layer 1 is a learned projection of a fixed per-word vector (it identifies the word); layers 0 and 2
    are noise, so only layer 1 can tag.
    """

    num_layers, output_dim = 3, 8

    def __init__(self):
        super().__init__()
        self.words = WordHashEncoder()
        self.projection = nn.Linear(8, 8)

    def embed(self, sentences):
        layers, mask = self.words.embed(sentences)
        layers = layers.clone()
        layers[:, 1] = self.projection(layers[:, 1])   # requires grad unless the caller switched it off
        return layers, mask

    def fingerprint(self) -> str:
        return "trainable-" + str(float(self.projection.weight.sum()))


def test_linear_probe_learns_the_row_that_carries_the_tags(tmp_path):
    data = _data()
    features = build_features(HashEncoder(), None, [s.tokens for s in data.train + data.test],
                              tmp_path / "layers.h5", progress=False)
    result = pos_probe(features, data, min_updates=150)
    rows = result["rows"]
    assert rows["layer 1"]["accuracy"] == 100.0
    assert rows["layer 0"]["accuracy"] < 90.0 and rows["layer 2"]["accuracy"] < 90.0
    assert result["tags"] == len(set(LEXICON.values()))


def test_gradients_never_reach_the_encoder(tmp_path):
    encoder = TrainableEncoder()
    before = {name: p.detach().clone() for name, p in encoder.named_parameters()}
    data = _data()
    features = build_features(encoder, None, [s.tokens for s in data.train + data.test],
                              tmp_path / "layers.h5", progress=False)
    for row in features.batch([s.tokens for s in data.train[:4]]):
        assert not row.requires_grad and row.grad_fn is None
    result = pos_probe(features, data, min_updates=150)
    assert result["rows"]["layer 1"]["accuracy"] == 100.0   # it trained, on the frozen projection's output
    for name, parameter in encoder.named_parameters():
        assert parameter.grad is None, name
        assert torch.equal(parameter, before[name]), name


def test_same_seed_same_accuracies(tmp_path):
    data = _data()
    features = build_features(HashEncoder(), None, [s.tokens for s in data.train + data.test],
                              tmp_path / "layers.h5", progress=False)
    first = pos_probe(features, data, seed=3, epochs=1, min_updates=1)
    again = pos_probe(features, data, seed=3, epochs=1, min_updates=1)
    assert first["rows"] == again["rows"]

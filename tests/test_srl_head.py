"""The SRL head: highway LSTM mechanics, constrained decoding, and training through train_and_evaluate."""
from __future__ import annotations

import random

import pytest
import torch

from elmo_eval.heads.srl_tagger import SrlTagger
from elmo_eval.metrics.srl_eval import score_props_files
from elmo_eval.modules.highway_lstm import AlternatingHighwayLSTM, reverse_padded
from elmo_eval.readers.conll2012 import Sentence, spans_to_bio
from elmo_eval.representations.config import standard_representation
from elmo_eval.tasks.srl import SrlTask
from elmo_eval.training.fit import train_and_evaluate
from elmo_eval.training.layers import LiveLayers


def test_reverse_padded_keeps_padding_and_is_an_involution():
    x = torch.arange(8.0).reshape(2, 4, 1)
    mask = torch.tensor([[True, True, True, False], [True, True, True, True]])
    flipped = reverse_padded(x, mask)
    assert flipped[:, :, 0].tolist() == [[2, 1, 0, 3], [7, 6, 5, 4]]
    assert torch.equal(reverse_padded(flipped, mask), x)


def test_highway_lstm_ignores_padding_and_reads_both_directions():
    torch.manual_seed(0)
    lstm = AlternatingHighwayLSTM(3, 5, num_layers=2, recurrent_dropout=0.5).eval()
    x = torch.randn(1, 4, 3)
    padded = torch.cat([x, torch.full((1, 2, 3), 100.0)], 1)
    out = lstm(x, torch.ones(1, 4, dtype=torch.bool))
    out_padded = lstm(padded, torch.tensor([[True] * 4 + [False] * 2]))
    assert torch.allclose(out, out_padded[:, :4], atol=1e-6)
    assert torch.all(out_padded[:, 4:] == 0)
    # the second (backward) layer carries the last token's information to the first position
    changed = x.clone()
    changed[0, 3] += 1.0
    assert not torch.allclose(lstm(changed, torch.ones(1, 4, dtype=torch.bool))[0, 0], out[0, 0])


def _valid_bio(tags):
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True


def test_constrained_decoding_never_yields_invalid_sequences():
    labels = ["O", "B-ARG0", "I-ARG0", "B-ARG1", "I-ARG1", "B-C-ARG1", "I-C-ARG1", "B-V"]
    head = SrlTagger(4, 0, labels, predicate_dim=2, hidden_dim=4, num_layers=1)
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(64, 9, len(labels), generator=generator) * 5
    logits[..., [2, 4, 6]] += 4.0  # unconstrained argmax would be full of orphan I- tags
    mask = torch.ones(64, 9, dtype=torch.bool)
    mask[::2, 6:] = False
    argmax = [[labels[i] for i in row] for row in logits.argmax(-1).tolist()]
    assert not all(_valid_bio(row) for row in argmax)
    decoded = head.decode(logits, mask)
    assert all(_valid_bio(row) for row in decoded)
    assert [len(row) for row in decoded] == mask.sum(1).tolist()


# --- a synthetic SRL world: ARG0 is everything before the predicate, ARG1 everything after it ---------
WORDS = ["a", "b", "c", "d", "e", "f"]
VERBS = ["eats", "sees", "likes"]


def _sentence(rng: random.Random) -> Sentence:
    words = [rng.choice(WORDS) for _ in range(rng.randint(1, 3))]
    verb_at = len(words)
    words += [rng.choice(VERBS)] + [rng.choice(WORDS) for _ in range(rng.randint(1, 3))]
    spans = [("ARG0", 0, verb_at - 1), ("V", verb_at, verb_at), ("ARG1", verb_at + 1, len(words) - 1)]
    column = ["*"] * len(words)
    for label, start, end in spans:
        column[start] = f"({label}*"
        column[end] += ")"
    n = len(words)
    return Sentence(words=words, pos=[], parse_bits=[], predicate_lemmas=[None] * verb_at + [words[verb_at]]
                    + [None] * (n - verb_at - 1), predicate_framesets=[None] * n, word_senses=[None] * n,
                    speakers=[None] * n, named_entities=[], srl_frames=[(verb_at, spans_to_bio(n, spans))],
                    srl_spans=[spans], srl_columns=[column], coref_spans=[])


def _splits():
    return {name: [_sentence(random.Random(seed * 1000 + i)) for i in range(n)]
            for name, seed, n in (("train", 1, 160), ("dev", 2, 40), ("test", 3, 40))}


class NoiseEncoder:
    """Three layers of per-token noise (deterministic): output ELMo that carries no signal."""

    num_layers, output_dim = 3, 4

    def fingerprint(self):
        return "noise"

    def embed(self, sentences):
        T = max((len(s) for s in sentences), default=0)
        layers = torch.zeros(len(sentences), 3, T, 4)
        mask = torch.zeros(len(sentences), T, dtype=torch.bool)
        for b, s in enumerate(sentences):
            layers[b, :, :len(s)] = torch.randn(3, len(s), 4, generator=torch.Generator().manual_seed(len(s)))
            mask[b, :len(s)] = True
        return layers, mask


HP = {
    "trainer": {"lr": 0.01, "batch_size": 16, "max_epochs": 8, "patience": 8, "grad_clip": 1.0},
    "embedder": {"word_dim": 8, "word_trainable": True, "char_cnn": False},
    "head": {"predicate_dim": 4, "hidden_dim": 16, "num_layers": 2, "recurrent_dropout": 0.0},
}


def test_trains_beats_chance_and_writes_props(tmp_path):
    task = SrlTask()
    result = train_and_evaluate(task, _splits(), standard_representation("baseline"), HP, tmp_path, seed=0)
    assert result["metrics"]["test"]["f1"] > 80  # chance span F1 is near 0
    dev, gold = tmp_path / "predictions" / "dev.props", tmp_path / "predictions" / "dev.gold.props"
    assert dev.exists() and gold.exists()
    # the files score exactly as evaluate() did
    assert score_props_files(gold, dev)["f1"] == pytest.approx(result["metrics"]["dev"]["f1"])


@pytest.mark.parametrize("placement", ["input", "output", "both"])
def test_elmo_placements_train(tmp_path, placement):
    # output: ELMo concatenated to the top LSTM state before the tag projection
    rep = standard_representation("elmo_mix_l0.001", placement=placement, word=True)
    hp = {**HP, "trainer": {**HP["trainer"], "max_epochs": 5}}
    result = train_and_evaluate(SrlTask(), _splits(), rep, hp, tmp_path,
                                layer_source=LiveLayers(NoiseEncoder()), seed=0)
    assert set(result["layer_weights"]) == {"input": {"input"}, "output": {"output"},
                                            "both": {"input", "output"}}[placement]
    assert result["metrics"]["test"]["f1"] > 50

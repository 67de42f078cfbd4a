"""ESIM trained end to end on a synthetic entailment set, at every ELMo placement, and its predictions file."""
from __future__ import annotations

import random

import pytest
import torch
from stand_in_encoders import WordHashEncoder

from elmo_eval.modules.masked_ops import masked_max, masked_mean, masked_softmax
from elmo_eval.readers.snli import SnliPair
from elmo_eval.representations.config import standard_representation
from elmo_eval.tasks.snli import SnliTask
from elmo_eval.training.fit import train_and_evaluate
from elmo_eval.training.layers import LiveLayers

WORDS = [f"w{i}" for i in range(12)]


def synthetic_pairs(n: int, seed: int) -> list[SnliPair]:
    """Hypothesis = two premise words (entailment), plus 'not' (contradiction) or plus an unseen word (neutral).

    Telling entailment from neutral needs the premise-hypothesis alignment.
    """
    rng = random.Random(seed)
    out = []
    for k in range(n):
        premise = rng.sample(WORDS, rng.randint(4, 6))
        label = rng.choice(["entailment", "neutral", "contradiction"])
        hypothesis = rng.sample(premise, 2)
        if label == "contradiction":
            hypothesis.insert(rng.randrange(3), "not")
        elif label == "neutral":
            hypothesis.insert(rng.randrange(3), rng.choice([w for w in WORDS if w not in premise]))
        out.append(SnliPair(f"pair{seed}-{k}", tuple(premise), tuple(hypothesis), label, k + 1))
    return out


SPLITS = {"train": synthetic_pairs(600, 0), "dev": synthetic_pairs(150, 1), "test": synthetic_pairs(150, 2)}
HP = {
    "trainer": {"lr": 0.01, "batch_size": 32, "max_epochs": 4, "patience": 2},
    "embedder": {"word_dim": 16, "word_trainable": True},
    "head": {"hidden": 16, "head_dropout": 0.0},
}
CHANCE = 100 / 3


def test_masked_ops_ignore_padding():
    x = torch.tensor([[[1.0], [3.0], [100.0]]])
    mask = torch.tensor([[True, True, False]])
    assert masked_mean(x, mask).item() == 2.0 and masked_max(x, mask).item() == 3.0
    probs = masked_softmax(torch.tensor([[0.0, 0.0, 50.0]]), mask)
    assert torch.allclose(probs, torch.tensor([[0.5, 0.5, 0.0]]))
    # a fully masked row gives zeros, not NaN
    assert not torch.isnan(masked_softmax(torch.zeros(1, 3), torch.zeros(1, 3, dtype=torch.bool))).any()


def test_baseline_learns_and_writes_predictions(tmp_path):
    result = train_and_evaluate(SnliTask(), SPLITS, standard_representation("baseline"), HP, tmp_path)
    assert result["metrics"]["test"]["accuracy"] > CHANCE + 40
    lines = (tmp_path / "predictions" / "test.tsv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(SPLITS["test"])
    ids, labels = zip(*(line.split("\t") for line in lines))
    assert list(ids) == [p.pair_id for p in SPLITS["test"]]
    assert set(labels) <= {"entailment", "neutral", "contradiction"}
    correct = sum(label == p.label for label, p in zip(labels, SPLITS["test"]))
    assert 100 * correct / len(lines) == pytest.approx(result["metrics"]["test"]["accuracy"])


@pytest.mark.parametrize("placement", ["input", "output", "both"])
def test_elmo_placements_learn(tmp_path, placement):
    rep = standard_representation("elmo_mix_l0.001", placement=placement, word=placement == "output")
    result = train_and_evaluate(SnliTask(), SPLITS, rep, HP, tmp_path, layer_source=LiveLayers(WordHashEncoder()))
    assert result["metrics"]["test"]["accuracy"] > CHANCE + 25
    expected = {"input": {"input"}, "output": {"output"}, "both": {"input", "output"}}[placement]
    assert set(result["layer_weights"]) == expected

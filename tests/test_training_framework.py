"""The task shape end to end on a toy task: collation, placements, penalties, early stopping, determinism."""
from __future__ import annotations

import random

import pytest
import torch
from torch import nn

from elmo_eval.representations.config import standard_representation
from elmo_eval.representations.modules import FixedMean, ScalarMix, SelectLayer
from elmo_eval.tasks.classification import ClassificationTask
from elmo_eval.training.fit import train_and_evaluate
from elmo_eval.training.layers import LiveLayers


class ToyEncoder:
    """Layer 1 tells whether the sentence contains 'not' (a 'contextual' signal); layers 0 and 2 are noise."""

    num_layers, output_dim = 3, 4

    def fingerprint(self):
        return "toy"

    def embed(self, sentences):
        T = max((len(s) for s in sentences), default=0)
        layers = torch.zeros(len(sentences), 3, T, 4)
        mask = torch.zeros(len(sentences), T, dtype=torch.bool)
        for b, s in enumerate(sentences):
            g = torch.Generator().manual_seed(len(s))
            layers[b, :, :len(s)] = torch.randn(3, len(s), 4, generator=g)
            layers[b, 1, :len(s), 0] = 3.0 if "not" in s else -3.0
            mask[b, :len(s)] = True
        return layers, mask


class ToyHead(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.proj = nn.Linear(input_dim + output_dim, 2)

    def forward(self, inputs, outputs, batch):
        x = inputs["tokens"]
        if outputs is not None:
            x = torch.cat([x, outputs["tokens"]], -1)
        mask = batch.fields["tokens"].mask.unsqueeze(-1).float()
        logits = self.proj((x * mask).sum(1) / mask.sum(1).clamp(min=1))
        out = {"logits": logits}
        if "label" in batch.targets:
            out["loss"] = nn.functional.cross_entropy(logits, batch.targets["label"])
        return out


class ToyTask(ClassificationTask):
    name = "toy"
    labels = (0, 1)

    def read(self, path):
        raise NotImplementedError

    def gold(self, inst):
        return inst[1]

    def texts(self, inst):
        return {"tokens": inst[0]}

    def build_head(self, input_dim, output_dim):
        return ToyHead(input_dim, output_dim)

    def write_predictions(self, path, instances, predictions):
        with open(path, "w") as f:
            f.writelines(f"{p}\n" for p in predictions)


def _data(n, seed):
    rng = random.Random(seed)
    words = ["a", "b", "c", "d", "e"]
    out = []
    for _ in range(n):
        sent = [rng.choice(words) for _ in range(rng.randint(2, 6))]
        label = rng.random() < 0.5
        if label:
            sent.insert(rng.randrange(len(sent)), "not")
        out.append((sent, int(label)))
    return out


SPLITS = {"train": _data(120, 0), "dev": _data(40, 1), "test": _data(40, 2)}
HP = {
    "trainer": {"lr": 0.05, "batch_size": 16, "max_epochs": 6, "patience": 3},
    "embedder": {"word_dim": 4, "word_trainable": False},
    "head": {},
}


@pytest.mark.parametrize("placement", ["input", "output", "both"])
def test_elmo_placements_learn_and_report_weights(tmp_path, placement):
    # output-only needs something at the input: the word vectors
    rep = standard_representation("elmo_mix_l0.001", placement=placement, word=placement == "output")
    result = train_and_evaluate(ToyTask(), SPLITS, rep, HP, tmp_path, layer_source=LiveLayers(ToyEncoder()))
    assert result["metrics"]["test"]["accuracy"] > 90
    expected = {"input": {"input"}, "output": {"output"}, "both": {"input", "output"}}[placement]
    assert set(result["layer_weights"]) == expected
    for entry in result["layer_weights"].values():
        assert abs(sum(entry["weights"]) - 1) < 1e-6
    assert (tmp_path / "predictions" / "test.txt").read_text().count("\n") == 40


def test_same_seed_same_numbers(tmp_path):
    rep = standard_representation("baseline")
    a = train_and_evaluate(ToyTask(), SPLITS, rep, HP, tmp_path / "a", seed=3)
    b = train_and_evaluate(ToyTask(), SPLITS, rep, HP, tmp_path / "b", seed=3)
    assert a["metrics"] == b["metrics"] and a["dev_history"] == b["dev_history"]


def test_train_fraction_subsamples(tmp_path):
    rep = standard_representation("baseline")
    result = train_and_evaluate(ToyTask(), SPLITS, rep, HP, tmp_path, train_fraction=0.1)
    assert result["sizes"]["train_examples"] == 12


def test_representations_math():
    layers = torch.randn(2, 3, 5, 4)
    mask = torch.ones(2, 5, dtype=torch.bool)
    mask[1, 3:] = False
    mix = ScalarMix(3, 4, l2_lambda=1.0)
    expected = layers.mean(1) * mask.unsqueeze(-1)
    assert torch.allclose(mix(layers, mask), expected, atol=1e-6)
    assert torch.allclose(FixedMean(3, 4)(layers, mask), expected, atol=1e-6)
    assert torch.allclose(SelectLayer(3, 4, -1)(layers, mask), layers[:, 2] * mask.unsqueeze(-1))
    with torch.no_grad():
        mix.scalar_parameters.copy_(torch.tensor([1.0, 2.0, 0.0]))
    assert float(mix.penalty()) == pytest.approx(5.0)
    assert mix.layer_weights() == pytest.approx(torch.softmax(torch.tensor([1.0, 2.0, 0.0]), 0).tolist())
    with pytest.raises(ValueError, match="expects layers"):
        mix(torch.randn(2, 2, 5, 4), mask)


def test_layer_norm_ignores_padding():
    layers = torch.randn(1, 3, 6, 4)
    mask = torch.tensor([[True] * 4 + [False] * 2])
    padded = layers.clone()
    padded[:, :, 4:] = 1000.0
    mix = ScalarMix(3, 4, do_layer_norm=True)
    assert torch.allclose(mix(layers, mask), mix(padded, mask), atol=1e-5)


def test_min_epochs_holds_off_early_stopping(tmp_path):
    rep = standard_representation("baseline")
    trainer = {**HP["trainer"], "max_epochs": 8, "patience": 1, "lr": 0.0}  # lr 0: the dev score never improves
    stopped = train_and_evaluate(ToyTask(), SPLITS, rep, {**HP, "trainer": trainer}, tmp_path / "a")
    held = train_and_evaluate(ToyTask(), SPLITS, rep, {**HP, "trainer": {**trainer, "min_epochs": 5}}, tmp_path / "b")
    assert len(stopped["dev_history"]) == 2
    assert len(held["dev_history"]) >= 5


def test_a_subset_can_train_with_the_full_sets_updates(tmp_path):
    """At a small fraction an epoch is one or two updates: patience stops the run before it has learned
    anything. ``subset_updates = "full"`` draws the subset again until an epoch has the full set's updates."""
    rep = standard_representation("elmo_top")
    trainer = {"lr": 0.05, "batch_size": 16, "max_epochs": 4, "patience": 2}
    one_pass = train_and_evaluate(ToyTask(), SPLITS, rep, {**HP, "trainer": trainer}, tmp_path / "a",
                                  layer_source=LiveLayers(ToyEncoder()), train_fraction=0.1)
    full = train_and_evaluate(ToyTask(), SPLITS, rep, {**HP, "trainer": {**trainer, "subset_updates": "full"}},
                              tmp_path / "b", layer_source=LiveLayers(ToyEncoder()), train_fraction=0.1)
    assert one_pass["sizes"]["train_batches_per_epoch"] == 1  # 12 examples, batch 16: four updates in all
    assert full["sizes"]["train_batches_per_epoch"] == 8  # as an epoch over the 120 examples
    assert full["sizes"]["train_examples"] == 12  # the same subset, drawn again
    assert full["metrics"]["test"]["accuracy"] > one_pass["metrics"]["test"]["accuracy"] + 15
    assert full["metrics"]["test"]["accuracy"] > 80
    # the full set trains as before: the option changes only runs on a fraction
    whole = train_and_evaluate(ToyTask(), SPLITS, rep, {**HP, "trainer": {**trainer, "subset_updates": "full"}},
                               tmp_path / "c", layer_source=LiveLayers(ToyEncoder()))
    plain = train_and_evaluate(ToyTask(), SPLITS, rep, {**HP, "trainer": trainer}, tmp_path / "d",
                               layer_source=LiveLayers(ToyEncoder()))
    assert whole["metrics"] == plain["metrics"]


def test_subset_updates_is_recorded_only_when_set():
    from elmo_eval.specs import Hyperparameters, SpecError

    base = {"trainer": {"lr": 0.1, "batch_size": 4, "max_epochs": 1, "patience": 1},
            **{k: HP[k] for k in ("embedder", "head")}}
    assert "subset_updates" not in Hyperparameters.from_sections(ToyTask, base).to_dict()["trainer"]
    full = {**base, "trainer": {**base["trainer"], "subset_updates": "full"}}
    assert Hyperparameters.from_sections(ToyTask, full).to_dict()["trainer"]["subset_updates"] == "full"
    with pytest.raises(SpecError, match="subset_updates must be 'subset' or 'full'"):
        Hyperparameters.from_sections(ToyTask, {**base, "trainer": {**base["trainer"], "subset_updates": "all"}})

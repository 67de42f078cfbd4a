"""POS tagging with a linear classifier on each frozen row (paper Table 6).

One ``nn.Linear(dim_r, n_tags)`` per row (word vectors, layer 0, layer 1, ...)
on the row's features standardised with their training mean and standard deviation
(an affine change the classifier could make itself; it only makes every row
train at the same pace), all trained in the same pass over the training sentences: each batch's cached
features are read once and every row's classifier takes its own step on them
(their parameters and Adam states are separate, so this is the same as training
them one after the other).  The features are stored numbers with no autograd
history, so nothing upstream of them (the encoder) can receive a gradient.
Test accuracy counts every token; a tag never seen in training counts as an error.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

# at least min_updates steps: a small training set gets more epochs
DEFAULTS = {"epochs": 10, "lr": 1e-2, "batch_sentences": 16, "seed": 0, "min_updates": 400}


class Standardise(nn.Module):
    """``(x - mean) / std`` with statistics fixed from the training features (a zero std is taken as 1)."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", torch.where(std > 1e-6, std, torch.ones_like(std)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def feature_statistics(features, sentences, batch_sentences: int = 64) -> list[Standardise]:
    """Per row, the mean and standard deviation of every dimension over the tokens of ``sentences``."""
    sums = [torch.zeros(d, dtype=torch.float64) for d in features.dims]
    squares = [torch.zeros(d, dtype=torch.float64) for d in features.dims]
    count = 0
    for start in range(0, len(sentences), batch_sentences):
        rows = features.batch([s.tokens for s in sentences[start: start + batch_sentences]])
        count += len(rows[0])
        for total, square, x in zip(sums, squares, rows):
            total += x.sum(0, dtype=torch.float64)
            square += (x.double() ** 2).sum(0)
    out = []
    for total, square in zip(sums, squares):
        mean = total / max(1, count)
        std = (square / max(1, count) - mean ** 2).clamp_min(0).sqrt()
        out.append(Standardise(mean.float(), std.float()))
    return out


def _tag_ids(sentences, index: dict[str, int]) -> torch.Tensor:
    return torch.tensor([index.get(tag, -1) for s in sentences for tag in s.pos], dtype=torch.long)


def train_pos_classifiers(features, train, epochs: int = DEFAULTS["epochs"], lr: float = DEFAULTS["lr"],
                          batch_sentences: int = DEFAULTS["batch_sentences"],
                          seed: int = DEFAULTS["seed"],
                          min_updates: int = DEFAULTS["min_updates"]) -> tuple[list[nn.Module], list[str]]:
    """Train one linear classifier per row; returns (classifiers in row order, tag names).

    Runs ``epochs`` epochs, or more where that is fewer than ``min_updates`` updates.
    """
    tags = sorted({tag for s in train for tag in s.pos})
    index = {tag: i for i, tag in enumerate(tags)}
    torch.manual_seed(seed)
    scalers = feature_statistics(features, train)
    linears = [nn.Linear(dim, len(tags)) for dim in features.dims]
    classifiers = [nn.Sequential(scaler, linear) for scaler, linear in zip(scalers, linears)]
    optimisers = [torch.optim.Adam(linear.parameters(), lr=lr) for linear in linears]
    order_rng = np.random.default_rng(seed)
    loss_fn = nn.CrossEntropyLoss()
    steps_per_epoch = -(-len(train) // batch_sentences)
    for _ in range(max(epochs, -(-min_updates // max(1, steps_per_epoch)))):
        order = order_rng.permutation(len(train))
        for start in range(0, len(order), batch_sentences):
            chosen = [train[i] for i in order[start: start + batch_sentences]]
            gold = _tag_ids(chosen, index)
            for classifier, optimiser, inputs in zip(classifiers, optimisers,
                                                     features.batch([s.tokens for s in chosen])):
                optimiser.zero_grad()
                loss = loss_fn(classifier(inputs.detach()), gold)
                loss.backward()
                optimiser.step()
    return classifiers, tags


@torch.no_grad()
def pos_accuracy(features, classifiers, tags, sentences, batch_sentences: int = 64) -> list[float]:
    """Per row, percent of tokens of ``sentences`` whose predicted tag is the gold tag."""
    index = {tag: i for i, tag in enumerate(tags)}
    correct = [0] * len(classifiers)
    total = 0
    for start in range(0, len(sentences), batch_sentences):
        chosen = sentences[start: start + batch_sentences]
        gold = _tag_ids(chosen, index)
        total += len(gold)
        for row, (classifier, inputs) in enumerate(zip(classifiers, features.batch([s.tokens for s in chosen]))):
            correct[row] += int((classifier(inputs).argmax(dim=1) == gold).sum())
    return [100.0 * c / max(1, total) for c in correct]


def pos_probe(features, data, **options) -> dict:
    """Per row: train and test accuracy of its linear classifier."""
    settings = {**DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
    classifiers, tags = train_pos_classifiers(features, data.train, **settings)
    train_accuracy = pos_accuracy(features, classifiers, tags, data.train)
    test_accuracy = pos_accuracy(features, classifiers, tags, data.test)
    test_tokens = sum(len(s.tokens) for s in data.test)
    unseen = sum(tag not in set(tags) for s in data.test for tag in s.pos)
    return {
        "rows": {row: {"accuracy": test, "train_accuracy": train}
                 for row, test, train in zip(features.rows, test_accuracy, train_accuracy)},
        "tags": len(tags), "test_tokens": test_tokens, "test_tokens_with_unseen_tag": unseen,
        "settings": settings,
    }

"""Hand-made probe data and features for the probe tests: known vectors, so the expected answers are known."""
from __future__ import annotations

import torch

from elmo_eval.probes.data import ProbeData
from elmo_eval.readers.probe_columns import TaggedSentence

CONTEXT_VECTORS = {"river": [1.0, 0.0], "money": [0.0, 1.0], "loan": [0.1, 1.0], "shore": [1.0, 0.1]}


def sentence(words: str, targets: dict[int, tuple[str, tuple[str, ...]]] | None = None,
             tags: str | None = None) -> TaggedSentence:
    """``targets``: token index -> (lemma, gold keys); ``tags``: POS per token (default: NN)."""
    tokens = words.split()
    targets = targets or {}
    return TaggedSentence(tokens, tags.split() if tags else ["NN"] * len(tokens),
                          [targets[i][0] if i in targets else None for i in range(len(tokens))],
                          [targets[i][1] if i in targets else () for i in range(len(tokens))])


class HandFeatures:
    """Two rows: ``word vectors`` (the same vector for every occurrence of a word) and ``layer 1``
    (a word's vector is that of its right neighbour in CONTEXT_VECTORS, i.e. its context)."""

    rows = ["word vectors", "layer 1"]
    dims = [2, 2]
    vectors = None

    def batch(self, sentences):
        static, contextual = [], []
        for tokens in sentences:
            for i, _ in enumerate(tokens):
                static.append([1.0, 1.0])
                right = tokens[i + 1] if i + 1 < len(tokens) else ""
                contextual.append(CONTEXT_VECTORS.get(right, [0.5, 0.5]))
        return [torch.tensor(static), torch.tensor(contextual)]


def bank_data(inventory=None) -> ProbeData:
    """'bank' by the river (sense b%river, 1 time) and for money (b%money, 2 times) in training."""
    train = [sentence("the bank river", {1: ("bank", ("b%river",))}),
             sentence("a bank money", {1: ("bank", ("b%money",))}),
             sentence("my bank money", {1: ("bank", ("b%money",))})]
    test = [sentence("his bank shore", {1: ("bank", ("b%river",))}),          # context says river
            sentence("her bank loan", {1: ("bank", ("b%money", "b%other"))}),  # two gold keys
            sentence("some pitch shore", {1: ("pitch", ("p%field",))})]       # lemma unseen in training
    return ProbeData("hand", "memory", train, test, inventory or {})

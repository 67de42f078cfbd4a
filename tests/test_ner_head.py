"""The BiLSTM-CRF NER task end to end on a synthetic sample: learning, placements, predictions file."""
import random

import pytest
import torch

from elmo_eval.readers.conll2003 import NerSentence
from elmo_eval.representations.config import standard_representation
from elmo_eval.tasks.ner import NerTask
from elmo_eval.training.fit import train_and_evaluate
from elmo_eval.training.layers import LiveLayers

NAMES = {"PER": [["john"], ["mary", "smith"]], "LOC": [["paris"], ["new", "york"]], "ORG": [["acme", "corp"]]}
FILLER = ["the", "went", "to", "met", "said", "a", "today"]
TYPE_OF = {w: kind for kind, names in NAMES.items() for name in names for w in name}
TYPES = sorted(NAMES)


def _sentences(n, seed):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        tokens, tags = [], []
        for _ in range(rng.randint(2, 5)):
            if rng.random() < 0.4:
                kind = rng.choice(TYPES)
                name = rng.choice(NAMES[kind])
                # IOB1: B- only when the previous token is an entity of the same type
                first = f"B-{kind}" if tags and tags[-1].endswith(kind) else f"I-{kind}"
                tokens += name
                tags += [first] + [f"I-{kind}"] * (len(name) - 1)
            else:
                tokens.append(rng.choice(FILLER))
                tags.append("O")
        out.append(NerSentence(tokens, ["NN"] * len(tokens), ["I-NP"] * len(tokens), tags, i // 4, 1))
    return out


class TypeEncoder:
    """Layer 1 holds a one-hot of each token's entity type; layers 0 and 2 are noise."""

    num_layers, output_dim = 3, 4

    def embed(self, sentences):
        width = max((len(s) for s in sentences), default=0)
        layers = torch.zeros(len(sentences), 3, width, 4)
        mask = torch.zeros(len(sentences), width, dtype=torch.bool)
        for b, s in enumerate(sentences):
            layers[b, :, :len(s)] = torch.randn(3, len(s), 4, generator=torch.Generator().manual_seed(len(s)))
            for t, tok in enumerate(s):
                layers[b, 1, t] = 0.0
                if tok in TYPE_OF:
                    layers[b, 1, t, TYPES.index(TYPE_OF[tok])] = 3.0
            mask[b, :len(s)] = True
        return layers, mask


SPLITS = {"train": _sentences(120, 0), "dev": _sentences(30, 1), "test": _sentences(30, 2)}
HP = {
    "trainer": {"lr": 0.02, "batch_size": 16, "max_epochs": 8, "patience": 3},
    "embedder": {"word_dim": 8, "word_trainable": True, "char_cnn": False},
    "head": {"hidden_dim": 12, "num_layers": 2, "encoder_dropout": 0.0},
}


def test_baseline_learns_and_writes_conlleval_columns(tmp_path):
    task = NerTask()
    result = train_and_evaluate(task, SPLITS, standard_representation("baseline"), HP, tmp_path)
    assert result["metrics"]["test"]["f1"] > 85
    assert task.labels[0] == "O" and "S-PER" in task.labels and "E-LOC" in task.labels
    lines = (tmp_path / "predictions" / "test.conll").read_text().split("\n")
    assert lines[0] == "-DOCSTART- O O" and lines[1] == ""
    first = SPLITS["test"][0]
    rows = [line.split(" ") for line in lines[2:2 + len(first.tokens)]]
    assert [r[0] for r in rows] == first.tokens and [r[1] for r in rows] == first.tags
    assert all(r[2] == "O" or r[2][:2] in ("B-", "I-") for r in rows)  # predictions back in IOB1
    assert lines[2 + len(first.tokens)] == ""
    # the file's predictions score what evaluate reported
    assert sum(1 for line in lines if line.startswith("-DOCSTART-")) == len({s.document for s in SPLITS["test"]})


@pytest.mark.parametrize("placement", ["input", "output"])
def test_elmo_placements_learn(tmp_path, placement):
    rep = standard_representation("elmo_mix_l0.001", placement=placement, word=placement == "output")
    hp = {**HP, "embedder": {"word_dim": 2, "word_trainable": False}} if placement == "output" else HP
    result = train_and_evaluate(NerTask(scheme="BIO"), SPLITS, rep, hp, tmp_path,
                                layer_source=LiveLayers(TypeEncoder()))
    assert result["metrics"]["test"]["f1"] > 80
    assert set(result["layer_weights"]) == {placement}


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="BIOES"):
        NerTask(scheme="IOBES")

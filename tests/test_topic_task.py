"""AG News reader and tokenizer, classification metrics, the three article configurations' heads."""
import random

import pytest

from elmo_eval.metrics.accuracy import accuracy
from elmo_eval.metrics.classification import classification_scores
from elmo_eval.readers.agnews import read_agnews, split_dev, tokenize
from elmo_eval.readers.errors import DataFormatError
from elmo_eval.representations.config import RepresentationConfig, standard_representation
from elmo_eval.tasks.topic import TopicTask
from elmo_eval.training.fit import train_and_evaluate
from elmo_eval.training.layers import LiveLayers

SAMPLE = ('"3","Wall St. Bears Claw Back Into the Black (Reuters)","Reuters - Short-sellers, Wall Street\'s '
          'dwindling\\band of ultra-cynics, are seeing green again."\n'
          '"2","Phelps wins","ATHENS, Greece -- Michael Phelps won\n his 5th gold."\n')


def test_tokenizer_is_simple_and_deterministic():
    assert tokenize("Oil's up 5% (Reuters)") == ["Oil", "'", "s", "up", "5", "%", "(", "Reuters", ")"]
    assert tokenize("dwindling\\band") == ["dwindling", "band"]


def test_reads_rows_with_quotes_and_multiline_fields(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text(SAMPLE)
    rows = read_agnews(path)
    assert [r.label for r in rows] == [3, 2] and rows[1].line_no == 2
    assert rows[0].tokens[:6] == ["Wall", "St", ".", "Bears", "Claw", "Back"]
    assert rows[1].tokens[-3:] == ["5th", "gold", "."]
    path.write_text("class,title,description\n" + SAMPLE)
    assert len(read_agnews(path)) == 2


@pytest.mark.parametrize("bad, message", [('"5","a","b"', "class '5'"), ('"1","only title"', "expected 3 fields")])
def test_malformed_rows_name_file_and_line(tmp_path, bad, message):
    path = tmp_path / "bad.csv"
    path.write_text('"1","fine","row"\n' + bad + "\n")
    with pytest.raises(DataFormatError, match=f"bad.csv:2: {message}"):
        read_agnews(path)


def test_split_dev_is_seeded_and_disjoint():
    train, dev = split_dev(list(range(100)), 0.05, seed=0)
    assert len(dev) == 5 and len(train) == 95 and not set(train) & set(dev)
    assert split_dev(list(range(100)), 0.05, seed=0) == (train, dev)


def test_classification_scores_by_hand():
    gold, pred = [1, 1, 2, 3, 4, 4], [1, 2, 2, 3, 4, 1]
    scores = classification_scores(gold, pred, labels=[1, 2, 3, 4])
    assert scores["accuracy"] == pytest.approx(400 / 6)
    # precision per class: 1/2, 1/2, 1, 1 ; recall: 1/2, 1, 1, 1/2
    assert scores["precision"] == pytest.approx(75.0)
    assert scores["recall"] == pytest.approx(75.0)
    f1s = [0.5, 2 / 3, 1.0, 2 / 3]
    assert scores["f1"] == pytest.approx(100 * sum(f1s) / 4)
    assert classification_scores([1, 1], [1, 1], labels=[1, 2])["precision"] == pytest.approx(50.0)
    with pytest.raises(ValueError, match="as many predictions as gold labels"):
        accuracy([1, 2], [1])


TOPIC_WORDS = {1: ["war", "election"], 2: ["match", "goal"], 3: ["stocks", "profit"], 4: ["software", "chip"]}
FILLER = ["the", "new", "report", "says", "on", "today"]


def _csv(n, seed):
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        label = rng.randint(1, 4)
        words = [rng.choice(FILLER) for _ in range(rng.randint(2, 5))]
        words.insert(rng.randrange(len(words) + 1), rng.choice(TOPIC_WORDS[label]))
        rows.append(f'"{label}","{" ".join(words[:2])}","{" ".join(words[2:])}"')
    return "\n".join(rows) + "\n"


class TopicEncoder:
    """Layer 1 carries a one-hot of the token's topic (dim 0-3); layers 0 and 2 are small noise."""

    num_layers, output_dim = 3, 6

    def embed(self, sentences):
        import torch
        width = max((len(s) for s in sentences), default=0)
        layers = torch.zeros(len(sentences), 3, width, 6)
        mask = torch.zeros(len(sentences), width, dtype=torch.bool)
        lookup = {w: k - 1 for k, ws in TOPIC_WORDS.items() for w in ws}
        for b, s in enumerate(sentences):
            layers[b, :, :len(s)] = 0.1 * torch.randn(3, len(s), 6, generator=torch.Generator().manual_seed(len(s)))
            for t, tok in enumerate(s):
                if tok in lookup:
                    layers[b, 1, t, lookup[tok]] = 3.0
            mask[b, :len(s)] = True
        return layers, mask


@pytest.fixture
def splits(tmp_path):
    out = {}
    for name, n, seed in (("train", 160, 0), ("dev", 40, 1), ("test", 40, 2)):
        (tmp_path / f"{name}.csv").write_text(_csv(n, seed))
        out[name] = read_agnews(tmp_path / f"{name}.csv")
    return out


HP = {
    "trainer": {"lr": 0.01, "batch_size": 16, "max_epochs": 10, "patience": 4},
    "embedder": {"word_dim": 8, "word_trainable": True},
    "head": {"hidden_dim": 16},
}
CONFIGS = {  # the article's three configurations (tasks/topic.toml variants), tiny
    "article_1": (RepresentationConfig("article_1", elmo="scalar_mix", word=True, char_cnn=False), {"kind": "lstm"}),
    "article_2": (RepresentationConfig("article_2", elmo="scalar_mix", word=False, char_cnn=False), {"kind": "lstm"}),
    "article_3": (RepresentationConfig("article_3", elmo="mean", word=False, char_cnn=False),
                  {"kind": "mean_dense"}),
}


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_article_configurations_learn(tmp_path, splits, config):
    rep, extra = CONFIGS[config]
    result = train_and_evaluate(TopicTask(), splits, rep, {**HP, "head": {**HP["head"], **extra}}, tmp_path / "run",
                                layer_source=LiveLayers(TopicEncoder()))
    assert result["metrics"]["test"]["accuracy"] > 70  # chance 25
    assert set(result["metrics"]["test"]) == {"accuracy", "precision", "recall", "f1"}


def test_baseline_and_output_elmo_write_predictions(tmp_path, splits):
    rep = standard_representation("elmo_mix_l0.001", placement="output")
    result = train_and_evaluate(TopicTask(), splits, rep, HP, tmp_path / "run", layer_source=LiveLayers(TopicEncoder()))
    assert result["metrics"]["test"]["accuracy"] > 70 and set(result["layer_weights"]) == {"output"}
    lines = (tmp_path / "run" / "predictions" / "test.txt").read_text().splitlines()
    assert len(lines) == 40
    index, gold, predicted = lines[5].split("\t")
    assert index == "5" and int(gold) == splits["test"][5].label and predicted in {"1", "2", "3", "4"}


def test_unknown_head_kind_is_refused():
    with pytest.raises(ValueError, match="mean_dense"):
        TopicTask().build_head(4, 0, kind="cnn")

"""SST reader (trees, subtrees, SST-2), BCN head training and the predictions file."""
import random

import pytest

from elmo_eval.readers.errors import DataFormatError
from elmo_eval.readers.sst import parse_tree, read_sst
from elmo_eval.representations.config import standard_representation
from elmo_eval.tasks.sst import SstTask
from elmo_eval.training.fit import train_and_evaluate

SAMPLE = "(3 (2 The) (3 (2 film) (4 shines)))\n\n(1 (2 It) (0 (2 was) (0 awful)))\n(2 (2 Fine) (2 .))\n"


def test_reads_trees_subtrees_and_binary(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text(SAMPLE)
    sentences = read_sst(path)
    assert [s.tokens for s in sentences] == [["The", "film", "shines"], ["It", "was", "awful"], ["Fine", "."]]
    assert [s.label for s in sentences] == [3, 1, 2] and sentences[1].line_no == 3
    task = SstTask()
    train = task.training_instances(sentences)
    assert len(train) == 5 + 5 + 3
    assert (train[2].tokens, train[2].label) == (["film", "shines"], 3)
    assert [i.label for i in task.eval_instances(sentences)] == [3, 1, 2]
    binary = SstTask(binary=True)
    assert [(i.sentence_index, i.label) for i in binary.eval_instances(sentences)] == [(0, 1), (1, 0)]
    assert sorted({i.label for i in binary.training_instances(sentences)}) == [0, 1]
    assert len(binary.training_instances(sentences)) == 6  # neutral phrases dropped
    assert len(SstTask(use_subtrees=False).training_instances(sentences)) == 3


@pytest.mark.parametrize("line, message", [
    ("(3 (2 The) (3 film)", "not closed"),
    ("(3 (2 The)) (2 x))", "after the end"),
    ("((2 The) (3 film))", "missing label"),
    ("(7 (2 The) (3 film))", "'7' is not an integer 0-4"),
    ("(x (2 The))", "'x' is not"),
    ("(3)", "missing label|neither"),
])
def test_malformed_trees_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.txt"
    path.write_text("(2 (2 ok) (2 .))\n" + line + "\n")
    with pytest.raises(DataFormatError, match=f"bad.txt:2: .*({message})"):
        read_sst(path)


def test_parse_tree_nested():
    tree = parse_tree("(4 (3 (2 a) (4 b)) (1 c))")
    assert [n.label for n in tree.subtrees()] == [4, 3, 2, 4, 1] and tree.tokens == ["a", "b", "c"]


def test_reads_the_real_format_sample(formats_dir):
    sentences = read_sst(formats_dir / "sst.txt")
    assert [s.label for s in sentences] == [4, 0, 2]
    assert sentences[0].tokens == ["The", "actors", "are", "fantastic", "."]


def _trees(n, seed):
    """Sentences whose label is set by a sentiment word, flipped by 'not'."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        word, value = rng.choice([("great", 4), ("good", 3), ("bad", 1), ("awful", 0), ("okay", 2)])
        negate = rng.random() < 0.3 and value != 2
        label = 4 - value if negate else value
        inner = f"({label} (2 not) ({value} {word}))" if negate else f"({value} {word})"
        lines.append(f"({label} (2 {rng.choice(['it', 'this', 'the film'])}) {inner})".replace("the film", "film"))
    return lines


class WordEncoder:
    """Layer 1 holds each token's hashed identity as a one-hot; layers 0 and 2 are zero."""

    num_layers, output_dim = 3, 8

    def embed(self, sentences):
        import torch
        width = max((len(s) for s in sentences), default=0)
        layers = torch.zeros(len(sentences), 3, width, 8)
        mask = torch.zeros(len(sentences), width, dtype=torch.bool)
        for b, s in enumerate(sentences):
            for t, tok in enumerate(s):
                layers[b, 1, t, sum(map(ord, tok)) % 8] = 1.0
            mask[b, :len(s)] = True
        return layers, mask


def _splits(tmp_path):
    splits = {}
    for name, n, seed in (("train", 120, 0), ("dev", 40, 1), ("test", 40, 2)):
        path = tmp_path / f"{name}.txt"
        path.write_text("\n".join(_trees(n, seed)) + "\n")
        splits[name] = read_sst(path)
    return splits


HP = {
    "trainer": {"lr": 0.01, "batch_size": 32, "max_epochs": 8, "patience": 3},
    "embedder": {"word_dim": 8, "word_trainable": True},
    "head": {"pre_encode_dim": 8, "encoder_hidden": 8, "integrator_hidden": 8, "maxout_dims": [16, 8],
             "maxout_pool_size": 2, "maxout_dropouts": [0.0, 0.0, 0.0], "pre_encode_dropout": 0.0},
}


def test_bcn_learns_and_writes_predictions(tmp_path):
    splits = _splits(tmp_path)
    task = SstTask()
    result = train_and_evaluate(task, splits, standard_representation("baseline"), HP, tmp_path / "run")
    assert result["sizes"]["train_instances"] > 120  # phrases, not just sentences
    assert result["metrics"]["test"]["accuracy"] > 60  # chance is 20, majority ~25
    lines = (tmp_path / "run" / "predictions" / "test.txt").read_text().splitlines()
    assert len(lines) == 40
    index, gold, predicted = lines[3].split("\t")
    assert index == "3" and int(gold) == splits["test"][3].label and 0 <= int(predicted) <= 4


def test_bcn_with_elmo_at_input_and_output(tmp_path):
    from elmo_eval.training.layers import LiveLayers
    rep = standard_representation("elmo_mix_l0.001", placement="both", word=False)
    result = train_and_evaluate(SstTask(), _splits(tmp_path), rep, HP, tmp_path / "run",
                                layer_source=LiveLayers(WordEncoder()))
    assert set(result["layer_weights"]) == {"input", "output"}
    assert result["metrics"]["test"]["accuracy"] > 60

"""The generated world's NER, SST and AG News files read back with this project's readers."""
import pytest

from elmo_eval.specs import load_spec
from elmo_eval.world.generate import generate_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("world")
    generate_world(root, seed=0, size="small")
    return root


@pytest.mark.parametrize("name", ["ner", "sst", "topic"])
def test_world_splits_read_back(world, name):
    spec = load_spec(name)
    task = spec.build_task()
    paths = spec.split_paths(world, world=True)
    assert set(paths) == {"train", "dev", "test"}
    splits = {split: task.read(path) for split, path in paths.items()}
    assert all(len(examples) > 50 for examples in splits.values())
    train = task.training_instances(splits["train"])
    task.fit_labels(train)
    assert all(task.texts(i)["tokens"] for i in train[:50])
    targets = task.targets(task.eval_instances(splits["dev"])[:8])
    assert targets and all(len(t) == 8 for t in targets.values())
    if name == "ner":
        assert task.labels[0] == "O" and all(t[:2] in ("B-", "I-", "E-", "S-") for t in task.labels[1:])

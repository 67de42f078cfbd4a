"""The generated world's SQuAD and SNLI files read back through the specs, readers and tasks.

One module-scoped world serves both (generating it is the slow part).
"""
import pytest

from elmo_eval.specs import load_spec
from elmo_eval.world.generate import generate_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("world")
    generate_world(root, seed=0, size="small")
    return root


def test_world_squad_reads_back(world):
    spec = load_spec("squad")
    task = spec.build_task()
    splits = {name: task.read(path) for name, path in spec.split_paths(world, world=True).items()}
    assert set(splits) == {"train", "dev", "test"} and all(len(v) > 50 for v in splits.values())
    for report in task.read_reports.values():
        assert report.answers_unmappable == 0 and report.answers_text_mismatch == 0
    train = task.training_instances(splits["train"])
    assert len(train) == len(splits["train"])       # small-world passages are under the length limit
    for q in train[:100]:
        assert q.answer_text(*q.span) == q.answers[0]
    # questions of one paragraph share one passage token sequence (one layer-cache entry)
    assert len({q.passage_tokens for q in train}) < len(train)
    texts = task.texts(train[0])
    assert set(texts) == {"passage", "question"} and texts["passage"] and texts["question"]
    targets = task.targets(splits["dev"][:4])
    assert targets["span_start"].shape == targets["span_end"].shape == (4,)


def test_world_snli_reads_back(world):
    spec = load_spec("snli")
    task = spec.build_task()
    splits = {name: task.read(path) for name, path in spec.split_paths(world, world=True).items()}
    assert set(splits) == {"train", "dev", "test"} and all(len(v) > 50 for v in splits.values())
    assert {p.label for p in splits["train"]} == {"entailment", "neutral", "contradiction"}
    texts = task.texts(splits["train"][0])
    assert set(texts) == {"premise", "hypothesis"} and texts["premise"] and texts["hypothesis"]
    assert task.targets(splits["dev"][:5])["label"].shape == (5,)

"""Every task spec loads, names a task, carries the paper's numbers, and both profiles build a head."""
from __future__ import annotations

import pytest

from elmo_eval.specs import SpecError, available_specs, load_spec
from elmo_eval.tasks.base import TASK_REGISTRY, build_task

SPECS = available_specs()


def test_every_registered_task_has_a_spec():
    assert set(SPECS) == set(TASK_REGISTRY)


@pytest.mark.parametrize("name", SPECS)
def test_spec_is_complete(name):
    spec = load_spec(name)
    assert spec.name == name
    assert set(spec.profiles) >= {"paper", "tiny"}
    assert {"train", "dev", "test"} <= set(spec.data["world"])
    assert spec.setup.get("elmo_placement", "input") in ("input", "output", "both")
    task = build_task(spec)
    assert spec.metric == task.main_metric
    if name != "topic":  # the topic task is the source article's, not the paper's
        assert {"baseline", "elmo", "previous_sota"} <= set(spec.paper["table1"])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from elmo_eval.world import generate_world

    out = tmp_path_factory.mktemp("world") / "tiny"
    generate_world(out, seed=0, size="tiny")
    return out


@pytest.mark.parametrize("name", SPECS)
@pytest.mark.parametrize("profile", ["tiny", "paper"])
def test_profiles_build_heads_on_world_labels(name, profile, world):
    """The spec's world paths read with the task's reader; labels fitted; paper and tiny heads build."""
    spec = load_spec(name)
    task = build_task(spec)
    train = task.read(spec.split_paths(world, world=True)["train"])
    task.fit_labels(task.training_instances(train))
    hp = spec.hp(profile)
    for output_dim in (0, 32):
        head = task.build_head(64, output_dim, hp)
        assert sum(p.numel() for p in head.parameters()) > 0


def test_missing_profile_and_spec_are_clear_errors():
    with pytest.raises(SpecError, match="no profile 'huge'"):
        load_spec("ner").hp("huge")
    with pytest.raises(SpecError, match="no task spec"):
        load_spec("no-such-task")

"""Every task spec loads and is checked when it loads: unknown keys, extends, variants, options, discovery."""
from __future__ import annotations

import re

import pytest

from elmo_eval.specs import SpecError, available_specs, load_spec

SPECS = available_specs()


@pytest.mark.parametrize("name", SPECS)
def test_spec_is_complete(name):
    spec = load_spec(name)
    assert spec.name == name
    assert set(spec.profiles) >= {"paper", "tiny"}
    assert spec.has_world_data and {"train", "dev", "test"} <= set(spec.data["world"])
    assert spec.setup.get("elmo_placement", "input") in ("input", "output", "both")
    task = spec.build_task()
    assert spec.metric == task.main_metric
    if name != "topic":  # the topic task is the source article's, not the paper's
        assert {"baseline", "elmo", "previous_sota"} <= set(spec.paper["table1"])
    for profile in spec.profiles:
        hp = spec.hp(profile)
        assert set(hp) - {"data"} == {"trainer", "embedder", "head"} and hp["trainer"]["lr"] > 0
        spec.build_task(**hp.get("data", {}))  # a profile's data options are the Task's own keywords
        for variant in spec.variants:
            assert set(spec.variant_hp(variant, profile)) == set(hp)


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
    task = spec.build_task()
    train = task.read(spec.split_paths(world, world=True)["train"])
    task.fit_labels(task.training_instances(train))
    head = spec.hyperparameters(profile).head
    for output_dim in (0, 32):
        built = task.build_head(64, output_dim, **head)
        assert sum(p.numel() for p in built.parameters()) > 0


def test_missing_profile_and_spec_are_clear_errors():
    with pytest.raises(SpecError, match="no profile 'huge'"):
        load_spec("ner").hp("huge")
    with pytest.raises(SpecError, match="no task spec"):
        load_spec("no-such-task")


# --- a small spec written per test ------------------------------------------------------------------

SPEC = """
name = "mini"
task = "elmo_eval.tasks.snli:SnliTask"
metric = "accuracy"

[data]
train = "train.jsonl"
dev = "dev.jsonl"
{data_extra}

[profiles.big.trainer]
lr = 0.001
batch_size = 32
max_epochs = 10
patience = 3
plateau_patience = 2

[profiles.big.embedder]
word_dim = 300
word_trainable = false
char_cnn = {{ char_dim = 16, num_filters = 100, width = 5 }}

[profiles.big.head]
hidden = 300
head_dropout = 0.5

[profiles.small]
extends = "big"
[profiles.small.trainer]
lr = 0.01
plateau_patience = false
[profiles.small.embedder]
char_cnn = false
[profiles.small.head]
hidden = 16
{extra}
"""


def write(tmp_path, extra: str = "", data_extra: str = ""):
    path = tmp_path / "mini.toml"
    path.write_text(SPEC.format(extra=extra, data_extra=data_extra))
    return path


def test_extends_overrides_only_the_keys_it_gives(tmp_path):
    spec = load_spec(write(tmp_path))
    big, small = spec.hyperparameters("big"), spec.hyperparameters("small")
    assert (small.trainer.lr, small.trainer.batch_size, small.trainer.patience) == (0.01, 32, 3)
    assert big.trainer.plateau_patience == 2 and small.trainer.plateau_patience is None  # false: off
    assert big.embedder.char_cnn.num_filters == 100 and small.embedder.char_cnn is None
    assert small.embedder.word_dim == 300 and small.head["hidden"] == 16 and small.head["head_dropout"] == 0.5
    assert small.head["activation"] == "relu"  # build_head's default, recorded
    assert small.trainer.eval_batch == 32
    assert not spec.has_world_data
    with pytest.raises(SpecError, match=r"no \[data.world\]"):
        spec.split_paths(tmp_path, world=True)


@pytest.mark.parametrize("extra, table, key, closest", [
    ('[profiles.tiny.head]\nhiden = 3', r"\[profiles.tiny\] \[head\]", "hiden", "hidden"),
    ('[profiles.x.trainer]\nlearning_rate = 3', r"\[profiles.x\] \[trainer\]", "learning_rate", None),
    ('[profiles.x.trainer]\npatiense = 3', r"\[profiles.x\] \[trainer\]", "patiense", "patience"),
    ('[profiles.x.embedder]\nword_trainabel = true', r"\[profiles.x\] \[embedder\]", "word_trainabel",
     "word_trainable"),
    ('[profiles.x]\nextends = "big"\nlr = 0.1', r"\[profiles.x\]", "lr", None),
    ('[variants.v]\nhead = { hidden_dm = 4 }', r"\[variants.v\] on \[profiles.big\] \[head\]", "hidden_dm",
     "hidden"),
    ('[variants.v]\nhp = { hidden = 4 }', r"\[variants.v\].*go in the \[trainer\], \[embedder\] or \[head\]", "hp",
     None),
    ('[variants.v]\nrepresentation = { elmo = "top", placment = "both" }', r"\[variants.v\] representation",
     "placment", "placement"),
])
def test_unknown_key_names_file_table_key_and_closest(tmp_path, extra, table, key, closest):
    if "[profiles.tiny" in extra:  # a profile of its own, complete apart from the misspelling
        extra = '[profiles.tiny]\nextends = "big"\n' + extra
    elif extra.startswith("[profiles.x.") :
        extra = '[profiles.x]\nextends = "big"\n' + extra
    with pytest.raises(SpecError) as err:
        load_spec(write(tmp_path, extra))
    message = str(err.value)
    assert str(tmp_path / "mini.toml") in message
    assert f"unknown key {key!r}" in message
    assert re.search(table, message), message
    if closest:
        assert f"did you mean {closest!r}" in message


def test_hyperparameter_written_outside_a_section_says_where_it_belongs(tmp_path):
    with pytest.raises(SpecError, match=r"'lr' belongs in the \[trainer\] section"):
        load_spec(write(tmp_path, '[profiles.x]\nextends = "big"\nlr = 0.1'))


@pytest.mark.parametrize("extra, match", [
    ('[profiles.x]\nextends = "bog"', r"extends unknown profile 'bog' \(did you mean 'big'\?\)"),
    ('[profiles.x]\nextends = "y"\n[profiles.y]\nextends = "x"', "cycle"),
    ('[profiles.x]\nextends = "big"\n[profiles.x.trainer]\nbatch_size = "many"', "batch_size: expected an integer"),
    ('[profiles.x]\nextends = "big"\n[profiles.x.trainer]\noptimizer = "adamw"', "optimizer must be one of"),
    ('[profiles.x.head]\nhidden = 3', r"\[profiles.x\] \[trainer\]: missing 'lr', 'batch_size'"),
])
def test_bad_profiles_are_clear_errors(tmp_path, extra, match):
    with pytest.raises(SpecError, match=match):
        load_spec(write(tmp_path, extra))


def test_options_task_class_and_data_keys_are_checked(tmp_path):
    with pytest.raises(SpecError, match=r"\[data.options\]: unknown key 'schme'"):
        load_spec(write(tmp_path, data_extra="[data.options]\nschme = 1"))
    with pytest.raises(SpecError, match=r"\[data\]: unknown key 'format'"):
        load_spec(write(tmp_path, data_extra='format = "snli"'))
    path = write(tmp_path)
    path.write_text(path.read_text().replace("tasks.snli:SnliTask", "tasks.snli:NoSuchTask"))
    with pytest.raises(SpecError, match="is not a Task class"):
        load_spec(path)
    path.write_text(path.read_text().replace("tasks.snli:NoSuchTask", "tasks.snli:SnliTask").replace(
        'metric = "accuracy"', 'metric = "f1"'))
    with pytest.raises(SpecError, match="selects on 'accuracy'"):
        load_spec(path)


def test_variant_overrides_apply_per_section(tmp_path):
    spec = load_spec(write(tmp_path, '[variants.v]\nrepresentation = { elmo = "top" }\n'
                                     'embedder = { word_trainable = true }\nhead = { hidden = 8 }'))
    rep, hp = spec.variant_representation("v"), spec.variant_hp("v", "small")
    assert rep == {"elmo": "top"}
    assert hp["embedder"]["word_trainable"] is True and hp["head"]["hidden"] == 8 and hp["trainer"]["lr"] == 0.01
    assert spec.hp("small")["embedder"]["word_trainable"] is False


def test_training_rejects_unknown_hyperparameters_too():
    from elmo_eval.specs import Hyperparameters
    from elmo_eval.tasks.snli import SnliTask

    sections = {"trainer": {"lr": 0.1, "batch_size": 2, "max_epochs": 1, "patience": 1},
                "embedder": {"word_dim": 4, "word_trainable": True}, "head": {"hiddden": 4}}
    with pytest.raises(SpecError, match=r"\[head\]: unknown key 'hiddden' \(did you mean 'hidden'\?\)"):
        Hyperparameters.from_sections(SnliTask(), sections)


def test_variant_representation_fields_are_those_of_representation_config():
    """specs.py names them itself (it imports nothing of the package): they must stay in step."""
    import dataclasses

    from elmo_eval.representations.config import RepresentationConfig
    from elmo_eval.specs import REPRESENTATION_FIELDS

    assert set(REPRESENTATION_FIELDS) == {f.name for f in dataclasses.fields(RepresentationConfig)} - {"name"}

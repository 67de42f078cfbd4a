"""Declarative task specs: ``tasks/<name>.toml``.

Schema (every key below is read somewhere; see ``tasks/ner.toml`` for a full example)::

    name = "ner"                                   # registry name
    task = "elmo_eval.tasks.ner:NerTask"           # the Task class
    title = "NER (CoNLL-2003)"
    metric = "f1"                                  # key of Task.evaluate used for selection and reports
    metric_label = "F1"

    [data]                                         # real data, relative to the asset's directory
    format = "conll2003"
    asset = "conll2003"                            # name in the asset catalogue / registry
    train = "eng.train"; dev = "eng.testa"; test = "eng.testb"
    [data.world]                                   # the same splits in the generated world
    train = "ner/train.txt"; dev = "ner/dev.txt"; test = "ner/test.txt"

    [setup]                                        # the paper's setup for this task
    elmo_placement = "input"                       # where +ELMo goes in Table 1
    l2_lambda = 0.1                                # lambda of the +ELMo scalar mix in Table 1
    figure1 = false                                # part of the sample-efficiency figure by default
    table2 = false; table3 = false

    [profiles.paper]   ... hyperparameters of the head and trainer (paper sizes)
    [profiles.tiny]    ... a CPU-sized profile (tests, embedded default)

    [variants.<name>]                              # optional extra named configurations
    representation = { elmo = "scalar_mix", word = true, ... }   # RepresentationConfig fields
    hp = { ... }                                   # overrides of the profile

    [paper.table1]  baseline, elmo, elmo_std, previous_sota, previous_sota_name, split
    [paper.table2]  baseline, last_only, all_lambda_1, all_lambda_0001     (dev)
    [paper.table3]  input, both, output                                    (dev)
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:  # imported where used: loading a spec must not import torch (fast command line)
    from elmo_eval.tasks.base import Task
    from elmo_eval.training.config import RepresentationConfig


def find_spec_dir() -> Path:
    """Where ``load_spec(name)`` looks: ``$ELMO_EVAL_TASKS`` if set; in a source checkout (editable
    install, ``PYTHONPATH``) the repository's ``tasks/``, where users read and edit the specs; in an
    installed wheel the copy of ``tasks/*.toml`` shipped as package data (``elmo_eval/task_specs/``,
    see setup.py)."""
    override = os.environ.get("ELMO_EVAL_TASKS")
    if override:
        return Path(override)
    package = Path(__file__).resolve().parent
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "tasks").is_dir():
        return checkout / "tasks"
    return package / "task_specs"


SPEC_DIR = find_spec_dir()


class SpecError(ValueError):
    """A task spec that is missing a key or has a wrong value (names the file)."""


@dataclass
class TaskSpec:
    name: str
    task: str
    title: str
    metric: str
    metric_label: str
    data: dict
    setup: dict
    profiles: dict[str, dict]
    paper: dict
    variants: dict[str, dict] = field(default_factory=dict)
    path: Path | None = None

    def hp(self, profile: str) -> dict:
        if profile not in self.profiles:
            raise SpecError(f"{self.path}: no profile {profile!r} (has {sorted(self.profiles)})")
        return dict(self.profiles[profile])

    def build_task(self) -> Task:
        from elmo_eval.tasks.base import load_task_class

        return load_task_class(self.task)(self.data.get("options", {}))

    def variant(self, name: str, profile: str) -> tuple[RepresentationConfig, dict]:
        from elmo_eval.training.config import RepresentationConfig

        entry = self.variants[name]
        rep = RepresentationConfig(name=name, **entry.get("representation", {}))
        return rep, {**self.hp(profile), **entry.get("hp", {})}

    def split_paths(self, root: str | Path, world: bool) -> dict[str, Path]:
        table = self.data.get("world", {}) if world else self.data
        return {s: Path(root) / table[s] for s in ("train", "dev", "test") if s in table}


def load_spec(name_or_path: str | Path) -> TaskSpec:
    """Load ``tasks/<name>.toml`` (or a path to a spec file)."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SPEC_DIR / f"{name_or_path}.toml"
    if not path.exists():
        raise SpecError(f"no task spec at {path}")
    with open(path, "rb") as handle:
        try:
            raw = tomllib.load(handle)
        except tomllib.TOMLDecodeError as err:
            raise SpecError(f"{path}: {err}") from None
    missing = [k for k in ("name", "task", "metric", "data", "profiles") if k not in raw]
    if missing:
        raise SpecError(f"{path}: missing keys {missing}")
    return TaskSpec(name=raw["name"], task=raw["task"], title=raw.get("title", raw["name"]),
                    metric=raw["metric"], metric_label=raw.get("metric_label", raw["metric"]),
                    data=raw["data"], setup=raw.get("setup", {}), profiles=raw["profiles"],
                    paper=raw.get("paper", {}), variants=raw.get("variants", {}), path=path)


def available_specs() -> list[str]:
    return sorted(p.stem for p in SPEC_DIR.glob("*.toml"))

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
    tables = ["table1", "ablations"]               # the comparisons it joins (elmo_eval.runner.comparisons)

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

import hashlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SPEC_DIR = Path(os.environ.get("ELMO_EVAL_TASKS", Path(__file__).resolve().parents[1] / "tasks"))


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

    def variant_representation(self, name: str) -> dict:
        """The ``RepresentationConfig`` fields of variant ``name`` (its ``representation`` table)."""
        return dict(self.variants[name].get("representation", {}))

    def variant_hp(self, name: str, profile: str) -> dict:
        """The hyperparameters of variant ``name``: the profile's, with the variant's overrides."""
        return {**self.hp(profile), **self.variants[name].get("hp", {})}

    def snapshot(self) -> dict:
        """What a result file records of the spec it ran with, so that the report needs no spec files:
        names, metric, the paper's setup and numbers, where the spec came from and its sha256."""
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest() if self.path else None
        return {"name": self.name, "task": self.task, "title": self.title, "metric": self.metric,
                "metric_label": self.metric_label, "setup": self.setup, "paper": self.paper,
                "file": self.path.name if self.path else None, "sha256": digest}

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

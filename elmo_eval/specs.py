"""Declarative task specs: ``tasks/<name>.toml``, typed and checked when loaded.

Schema (see ``tasks/ner.toml`` for a full example)::

    name = "ner"                                   # the task's name (run folders, reports)
    task = "elmo_eval.tasks.ner:NerTask"           # module:Class of the Task; nothing else registers it
    title = "NER (CoNLL-2003)"
    metric = "f1"                                  # the Task's main_metric (selection and reports)
    metric_label = "F1"

    [data]                                         # real data, relative to the asset's directory
    asset = "ner"                                  # name in the asset catalogue / registry
    train = "eng.train"; dev = "eng.testa"; test = "eng.testb"
    dev_from_train = 0.05                          # optional: carve dev from train (no dev file)
    [data.options]                                 # keyword arguments of the Task class
    scheme = "BIOES"
    [data.world]                                   # optional: the same splits in the generated world
    train = "ner/train.txt"; dev = "ner/dev.txt"; test = "ner/test.txt"

    [setup]                                        # the paper's setup for this task (read by the runner)
    elmo_placement = "input"                       # where +ELMo goes in Table 1
    l2_lambda = 0.1                                # lambda of the +ELMo scalar mix in Table 1
    tables = ["table1", "ablations"]               # the comparisons it joins (elmo_eval.runner.comparisons)
    rerun_degenerate = 1                           # optional: retrain a degenerate run with the next seed

    [profiles.paper.trainer]                       # TrainerConfig: optimiser, batches, epochs, stopping
    lr = 0.001; optimizer = "adam"; batch_size = 64; max_epochs = 75; patience = 25
    [profiles.paper.embedder]                      # EmbedderConfig: word vectors, characters, dropouts
    word_dim = 50; word_trainable = true; char_cnn = { char_dim = 16, num_filters = 128, width = 3 }
    [profiles.paper.head]                          # keyword-only arguments of Task.build_head
    hidden_dim = 200

    [profiles.tiny]                                # a CPU-sized profile (tests, embedded default)
    extends = "paper"                              # start from another profile ...
    [profiles.tiny.trainer]                        # ... and give only what differs, key by key
    lr = 0.005
    [profiles.tiny.data]                           # optional: task data options over [data.options]
    use_subtrees = false                           # (keywords of the Task class; part of the run's digest)

    [variants.<name>]                              # optional extra named configurations
    representation = { elmo = "scalar_mix", ... }  # RepresentationConfig fields (not ``name``)
    embedder = { word_trainable = true }           # overrides of the profile, per section
    head = { ... }; trainer = { ... }

    [paper.*]  ...                                 # the paper's numbers (read by the report)

Every key is checked when the spec loads: an unknown key (a misspelling) is an error naming the
file, the table and the closest valid key, never a silently applied default. TOML has no null:
``false`` switches an optional setting off (``char_cnn = false``, ``plateau_patience = false``).
An overriding profile or variant replaces a key's whole value (a ``char_cnn`` table included).
"""
from __future__ import annotations

import dataclasses
import difflib
import hashlib
import importlib
import inspect
import os
import sys
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elmo_eval.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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

OPTIMIZERS = ("adam", "adadelta", "sgd")
# The fields a variant's ``representation`` table may set: RepresentationConfig's but its name (kept
# here, not imported, so that reading a spec imports nothing of the package; a test keeps them equal).
REPRESENTATION_FIELDS = ("elmo", "l2_lambda", "layer_norm", "placement", "word", "char_cnn")


class SpecError(UsageError, ValueError):
    """A task spec that is missing a key or has a wrong or unknown one (names the file and the table)."""


# --- typed sections ------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class CharCnnConfig:
    """The baseline's trainable character CNN (``char_cnn = { ... }`` of ``[embedder]``)."""

    char_dim: int
    num_filters: int
    width: int


@dataclass(frozen=True, kw_only=True)
class TrainerConfig:
    """``[trainer]``: optimisation and model selection.

    optimizer: adam (``adam_betas``, ``weight_decay``) | adadelta (``rho``) | sgd (``momentum``).
    eval_batch_size: None = ``batch_size``. plateau_patience: halve the learning rate after this many
    dev evaluations without improvement (None: constant rate). min_epochs: early stopping never ends
    a run before this epoch. grad_clip: gradient norm clipping (None: off).
    subset_updates: what an epoch of a run on a fraction of the training set is: ``"subset"`` (one
    pass over the subset, the default) or ``"full"`` (the subset drawn again, reshuffled, until the
    epoch has as many updates as one over the full training set). At 1% of a small training set an
    epoch is one update, so a run stopped by patience after a few epochs has made a handful of
    updates and predicts one class; ``"full"`` gives every fraction the same update budget.
    """

    lr: float
    batch_size: int
    max_epochs: int
    patience: int
    optimizer: str = "adam"
    eval_batch_size: int | None = None
    min_epochs: int | None = None
    grad_clip: float | None = None
    plateau_patience: int | None = None
    adam_betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    rho: float = 0.95
    momentum: float = 0.9
    subset_updates: str = "subset"

    def __post_init__(self):
        if self.subset_updates not in ("subset", "full"):
            raise ValueError(f"subset_updates must be 'subset' or 'full', got {self.subset_updates!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")

    @property
    def eval_batch(self) -> int:
        return self.batch_size if self.eval_batch_size is None else self.eval_batch_size


@dataclass(frozen=True, kw_only=True)
class EmbedderConfig:
    """``[embedder]``: what a head's input is made of besides ELMo.

    word_dim: size of the word vectors when no pretrained ones are given. char_cnn: the character
    CNN (None: none, unless the representation asks for one). dropout: on the concatenated input;
    elmo_dropout: on the ELMo representation(s).
    """

    word_dim: int
    word_trainable: bool
    char_cnn: CharCnnConfig | None = None
    dropout: float = 0.0
    elmo_dropout: float = 0.0


SECTIONS = ("trainer", "embedder", "head", "data")
# [trainer] keys added after results were committed: left out of a run's recorded hyperparameters (and so
# of its digest) at their default, so finished runs that trained the same way are still found
RECORDED_WHEN_SET = {"trainer": {"subset_updates": "subset"}, "head": {"mention_loss_weight": 0.0}}
_SECTION_TYPES = {"trainer": TrainerConfig, "embedder": EmbedderConfig}


@dataclass(frozen=True)
class Hyperparameters:
    """One run's typed hyperparameters: ``head`` holds the keyword arguments of ``Task.build_head``,
    complete (the defaults of its signature filled in); ``data`` the task's data options this profile
    sets over the spec's ``[data.options]`` (keywords of the Task class, e.g. SST's ``use_subtrees``),
    only those given: a profile that sets none records none."""

    trainer: TrainerConfig
    embedder: EmbedderConfig
    head: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_sections(cls, task: Any, sections: Mapping[str, Mapping], where: str = "hyperparameters"
                      ) -> Hyperparameters:
        """Check ``{"trainer": {...}, "embedder": {...}, "head": {...}}`` against the typed sections and
        ``task``'s ``build_head`` (a Task class or instance); ``where`` names the source in errors."""
        _check_keys(sections, SECTIONS, where)
        trainer = build_config(TrainerConfig, sections.get("trainer", {}), f"{where} [trainer]")
        embedder = build_config(EmbedderConfig, sections.get("embedder", {}), f"{where} [embedder]")
        head = check_keywords(task.build_head, sections.get("head", {}), f"{where} [head]")
        data = dict(sections.get("data", {}))
        if data:  # checked against the Task's own keywords; defaults are not filled in (see the docstring)
            task_class = task if isinstance(task, type) else type(task)
            complete = check_keywords(task_class.__init__, data, f"{where} [data]")
            data = {key: complete[key] for key in data}
        return cls(trainer, embedder, head, data)

    def to_dict(self) -> dict:
        """JSON-ready nested dict of every value (the run's recorded hyperparameters); ``data`` only
        where the profile sets task data options, so a profile without them records what it did before."""
        out = {"trainer": dataclasses.asdict(self.trainer), "embedder": dataclasses.asdict(self.embedder),
               "head": dict(self.head)}
        for section, keys in RECORDED_WHEN_SET.items():  # added later: recorded only when a spec sets them,
            for key, default in keys.items():            # so runs finished before keep their digests
                if key in out[section] and out[section][key] == default:
                    del out[section][key]
        if self.data:
            out["data"] = dict(self.data)
        return _jsonable(out)


def _jsonable(value):
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


# --- checking keys and values --------------------------------------------------------------------

def _closest(key: str, valid: Sequence[str]) -> str:
    match = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.5)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _check_keys(values: Mapping, valid: Sequence[str], where: str, hint: Callable[[str], str] | None = None) -> None:
    if not isinstance(values, Mapping):
        raise SpecError(f"{where}: expected a table, got {values!r}")
    for key in values:
        if key not in valid:
            extra = hint(key) if hint else ""
            raise SpecError(f"{where}: unknown key {key!r}{_closest(key, valid)}{extra}; "
                            f"valid keys: {', '.join(sorted(valid))}")


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """``value`` checked against the type ``hint`` (int accepted as float, a list as a tuple, ``false``
    as None for an optional value, a table as a nested config)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if type(None) in args and (value is None or (value is False and bool not in args)):
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, option, where)
            except SpecError as err:
                errors.append(str(err))
        raise SpecError(errors[0] if len(errors) == 1 else f"{where}: {value!r} is none of {hint}")
    if origin is typing.Literal:
        if value not in args:
            raise SpecError(f"{where}: expected one of {list(args)}, got {value!r}")
        return value
    if dataclasses.is_dataclass(hint):
        return build_config(hint, value, where)
    if hint is bool:
        if not isinstance(value, bool):
            raise SpecError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(f"{where}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise SpecError(f"{where}: expected a string, got {value!r}")
        return value
    if origin in (tuple, list, Sequence, typing.Sequence) or hint in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise SpecError(f"{where}: expected a list, got {value!r}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise SpecError(f"{where}: expected {len(args)} values, got {value!r}")
            items = [_coerce(v, a, where) for v, a in zip(value, args)]
        else:
            items = [_coerce(v, args[0], where) for v in value] if args else list(value)
        return list(items) if origin is list else tuple(items)
    return value  # a type this checker does not know: accepted as written


def _type_hints(target) -> dict[str, Any]:
    try:
        return typing.get_type_hints(target)
    except Exception:  # an annotation that does not resolve: values are accepted unchecked
        return {}


def build_config(cls: type, values: Mapping, where: str):
    """A config dataclass from a table: unknown keys, missing keys and wrong types are SpecErrors."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    _check_keys(values, list(fields), where)
    missing = [name for name, f in fields.items() if name not in values
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise SpecError(f"{where}: missing {', '.join(repr(m) for m in missing)}")
    hints = _type_hints(cls)
    converted = {k: _coerce(v, hints.get(k, Any), f"{where} {k}") for k, v in values.items()}
    try:
        return cls(**converted)
    except ValueError as err:
        raise SpecError(f"{where}: {err}") from None


def check_keywords(function: Callable, values: Mapping, where: str) -> dict:
    """``values`` as the keyword-only arguments of ``function`` (those after ``*``): every key must be
    one of them, every one without a default must be given. Returns the complete keyword arguments
    (defaults filled in), type-checked against the annotations."""
    params = [] if function is object.__init__ else list(inspect.signature(function).parameters.values())
    if any(p.kind is p.VAR_KEYWORD for p in params):
        raise SpecError(f"{where}: {function.__qualname__} takes **kwargs, so its keys cannot be checked; "
                        "declare each as a keyword-only parameter")
    named = {p.name: p for p in params if p.kind is p.KEYWORD_ONLY}
    _check_keys(values, list(named), where)
    missing = [n for n, p in named.items() if p.default is p.empty and n not in values]
    if missing:
        raise SpecError(f"{where}: missing {', '.join(repr(m) for m in missing)}")
    hints = _type_hints(function)
    out = {}
    for name, param in named.items():
        if name in values:
            out[name] = _coerce(values[name], hints.get(name, Any), f"{where} {name}")
        else:
            out[name] = param.default
    return out


# --- the spec --------------------------------------------------------------------------------------

TOP_LEVEL = ("name", "task", "title", "metric", "metric_label", "data", "setup", "profiles", "paper", "variants")
DATA_KEYS = ("asset", "train", "dev", "test", "dev_from_train", "options", "world")
WORLD_KEYS = ("train", "dev", "test")
PROFILE_KEYS = ("extends", *SECTIONS)
VARIANT_KEYS = ("representation", *SECTIONS)


@dataclass(frozen=True)
class Variant:
    """An extra named configuration: a representation and per-section overrides of a profile."""

    representation: Mapping[str, Any]
    overrides: Mapping[str, Mapping[str, Any]]


@dataclass
class TaskSpec:
    name: str
    task: str
    title: str
    metric: str
    metric_label: str
    data: dict
    setup: dict
    profiles: dict[str, Hyperparameters]
    paper: dict
    variants: dict[str, Variant] = field(default_factory=dict)
    path: Path | None = None
    task_class: type | None = None

    @property
    def has_world_data(self) -> bool:
        """Whether the generated world has this task's splits (``[data.world]``)."""
        return "world" in self.data

    def hyperparameters(self, profile: str, variant: str | None = None) -> Hyperparameters:
        if profile not in self.profiles:
            raise SpecError(f"{self.path}: no profile {profile!r} (has {sorted(self.profiles)})")
        if variant is None:
            return self.profiles[profile]
        return _apply(self.task_class, self.profiles[profile], self.variants[variant].overrides,
                      f"{self.path}: [variants.{variant}] on [profiles.{profile}]")

    def hp(self, profile: str) -> dict:
        """The profile's hyperparameters as a JSON-ready nested dict (recorded with each run)."""
        return self.hyperparameters(profile).to_dict()

    def build_task(self, **options):
        """The task object, with the spec's ``data.options`` (``options`` override them: a data
        location may say which format its files are in)."""
        return self.task_class(**{**self.data.get("options", {}), **options})

    def variant_representation(self, name: str) -> dict:
        """The ``RepresentationConfig`` fields of variant ``name`` (its ``representation`` table)."""
        return dict(self.variants[name].representation)

    def variant_hp(self, name: str, profile: str) -> dict:
        """The hyperparameters of variant ``name`` as a JSON-ready nested dict: the profile's, with the
        variant's overrides."""
        return self.hyperparameters(profile, name).to_dict()

    def snapshot(self) -> dict:
        """What a result file records of the spec it ran with, so that the report needs no spec files:
        names, metric, the paper's setup and numbers, where the spec came from and its sha256."""
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest() if self.path else None
        return {"name": self.name, "task": self.task, "title": self.title, "metric": self.metric,
                "metric_label": self.metric_label, "setup": self.setup, "paper": self.paper,
                "file": self.path.name if self.path else None, "sha256": digest}

    def split_paths(self, root: str | Path, world: bool) -> dict[str, Path]:
        if world and not self.has_world_data:
            raise SpecError(f"{self.path}: no [data.world]: the generated world has no data for {self.name!r}")
        table = self.data["world"] if world else self.data
        return {s: Path(root) / table[s] for s in ("train", "dev", "test") if s in table}


def _apply(task_class, base: Hyperparameters, overrides: Mapping[str, Mapping], where: str) -> Hyperparameters:
    current = base.to_dict()
    merged = {s: {**current.get(s, {}), **overrides.get(s, {})} for s in SECTIONS}
    return Hyperparameters.from_sections(task_class, merged, where)


def load_task_class(reference: str, where: str = "task") -> type:
    """``module:Class`` -> the Task class (imported; no registry)."""
    module_name, _, class_name = reference.partition(":")
    if not module_name or not class_name:
        raise SpecError(f"{where}: expected 'module:Class', got {reference!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise SpecError(f"{where}: cannot import {module_name!r} ({err})") from None
    found = getattr(module, class_name, None)
    if not isinstance(found, type) or not callable(getattr(found, "build_head", None)):
        raise SpecError(f"{where}: {reference!r} is not a Task class")
    return found


def _section_hint(key: str) -> str:
    """For a hyperparameter written straight under a profile: the section that has it."""
    for section, cls in _SECTION_TYPES.items():
        if key in {f.name for f in dataclasses.fields(cls)}:
            return f"; {key!r} belongs in the [{section}] section"
    return "; hyperparameters go in the [trainer], [embedder] or [head] section"


def _resolve_profiles(raw: Mapping, task_class: type, path: Path) -> dict[str, Hyperparameters]:
    if not isinstance(raw, Mapping) or not raw:
        raise SpecError(f"{path}: [profiles] must hold at least one profile table")
    for name, table in raw.items():
        _check_keys(table, PROFILE_KEYS, f"{path}: [profiles.{name}]", hint=_section_hint)
        for section in SECTIONS:
            if section in table and not isinstance(table[section], Mapping):
                raise SpecError(f"{path}: [profiles.{name}] {section} must be a table")

    def sections(name: str, chain: tuple[str, ...]) -> dict[str, dict]:
        if name in chain:
            raise SpecError(f"{path}: [profiles.{chain[-1]}] extends form a cycle: {' -> '.join((*chain, name))}")
        table = raw[name]
        parent = table.get("extends")
        if parent is None:
            return {s: dict(table.get(s, {})) for s in SECTIONS}
        if parent not in raw:
            raise SpecError(f"{path}: [profiles.{name}] extends unknown profile {parent!r}"
                            f"{_closest(str(parent), list(raw))}; profiles: {', '.join(sorted(raw))}")
        base = sections(parent, (*chain, name))
        return {s: {**base[s], **table.get(s, {})} for s in SECTIONS}

    return {name: Hyperparameters.from_sections(task_class, sections(name, ()), f"{path}: [profiles.{name}]")
            for name in raw}


def _resolve_variants(raw: Mapping, profiles: dict[str, Hyperparameters], task_class: type,
                      path: Path) -> dict[str, Variant]:
    variants = {}
    for name, entry in raw.items():
        where = f"{path}: [variants.{name}]"
        _check_keys(entry, VARIANT_KEYS, where, hint=_section_hint)
        representation = entry.get("representation", {})
        _check_keys(representation, REPRESENTATION_FIELDS, f"{where} representation")
        if representation.get("placement", "input") not in ("input", "output", "both"):
            raise SpecError(f"{where} representation: placement must be input, output or both, "
                            f"got {representation['placement']!r}")
        overrides = {s: dict(entry[s]) for s in SECTIONS if s in entry}
        for profile, hp in profiles.items():  # every profile must take the overrides
            _apply(task_class, hp, overrides, f"{where} on [profiles.{profile}]")
        variants[name] = Variant(dict(representation), overrides)
    return variants


def load_spec(name_or_path: str | Path) -> TaskSpec:
    """Load and check ``tasks/<name>.toml`` (or a path to a spec file); imports the spec's Task class."""
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
    _check_keys(raw, TOP_LEVEL, f"{path}: top level")
    missing = [k for k in ("name", "task", "metric", "data", "profiles") if k not in raw]
    if missing:
        raise SpecError(f"{path}: missing keys {missing}")
    data = raw["data"]
    _check_keys(data, DATA_KEYS, f"{path}: [data]")
    if "world" in data:
        _check_keys(data["world"], WORLD_KEYS, f"{path}: [data.world]")
        if "train" not in data["world"]:
            raise SpecError(f"{path}: [data.world] missing 'train'")
    task_class = load_task_class(raw["task"], f"{path}: task")
    check_keywords(task_class.__init__, data.get("options", {}), f"{path}: [data.options]")
    main_metric = getattr(task_class, "main_metric", None)
    if raw["metric"] != main_metric:
        raise SpecError(f"{path}: metric = {raw['metric']!r}, but {raw['task']} selects on {main_metric!r}")
    profiles = _resolve_profiles(raw["profiles"], task_class, path)
    variants = _resolve_variants(raw.get("variants", {}), profiles, task_class, path)
    return TaskSpec(name=raw["name"], task=raw["task"], title=raw.get("title", raw["name"]),
                    metric=raw["metric"], metric_label=raw.get("metric_label", raw["metric"]),
                    data=data, setup=raw.get("setup", {}), profiles=profiles,
                    paper=raw.get("paper", {}), variants=variants, path=path, task_class=task_class)


def available_specs() -> list[str]:
    return sorted(p.stem for p in SPEC_DIR.glob("*.toml"))

"""The experiment matrix: task x representation x placement x training fraction x seed.

Each table or figure selects a slice; identical runs requested by several
slices are planned once (a run is identified by what it trains, not by the
table that asked for it).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from elmo_eval.specs import TaskSpec
from elmo_eval.training.config import RepresentationConfig, standard_representation

FIGURE1_TASKS_DEFAULT = ("srl", "snli")


@dataclass(frozen=True)
class PlannedRun:
    """One training run. ``tables`` lists the report slices that use it."""

    task: str
    rep: RepresentationConfig
    fraction: float
    seed: int
    hp_profile: str
    variant: str | None = None
    tables: tuple[str, ...] = field(default=(), compare=False)

    @property
    def run_id(self) -> str:
        """Readable and unique: representation, placement, lambda, fraction, seed (+ a digest of the config)."""
        key = json.dumps({"rep": self.rep.to_dict(), "variant": self.variant, "hp": self.hp_profile},
                         sort_keys=True)
        digest = hashlib.sha1(key.encode()).hexdigest()[:6]
        frac = f"-f{self.fraction:g}" if self.fraction < 1 else ""
        return f"{self.rep.name}-{self.rep.placement}{frac}-s{self.seed}-{digest}"

    def describe(self) -> dict:
        return {"task": self.task, "run_id": self.run_id, "representation": self.rep.to_dict(),
                "variant": self.variant, "fraction": self.fraction, "seed": self.seed,
                "hp_profile": self.hp_profile, "tables": list(self.tables)}


def paper_placement(spec: TaskSpec | None) -> str:
    """Where the paper puts ELMo for this task in Table 1 (and Table 2)."""
    return spec.setup.get("elmo_placement", "input") if spec is not None else "input"


def paper_lambda(spec: TaskSpec | None) -> float:
    return float(spec.setup.get("l2_lambda", 0.001)) if spec is not None else 0.001


def mix_name(l2_lambda: float) -> str:
    """Report name of a scalar mix with this lambda (matches the standard representations' names)."""
    return "elmo_mix_l1" if l2_lambda == 1.0 else f"elmo_mix_l{l2_lambda:g}"


def _elmo_rep(spec: TaskSpec, placement: str | None = None) -> RepresentationConfig:
    """The task's +ELMo row of Table 1: scalar mix at the paper's placement with the paper's lambda."""
    lam = paper_lambda(spec)
    return RepresentationConfig(name=mix_name(lam), elmo="scalar_mix", l2_lambda=lam,
                                placement=placement or paper_placement(spec))


def build_plan(specs: list[TaskSpec], tables: list[str], seeds: list[int], hp_profile: str,
               fractions: list[float] = (1.0,), figure1_tasks: tuple[str, ...] = FIGURE1_TASKS_DEFAULT,
               has_elmo: bool = True) -> list[PlannedRun]:
    """All runs the requested tables need, deduplicated, in a stable order.

    tables: any of table1, table2, table3, figure1, ablations, topic, variants (figure2
    reads the layer weights of every ELMo run, so it needs no runs of its own).
    ``has_elmo=False`` (a word-only encoder) keeps only baseline runs.
    """
    wanted: dict[PlannedRun, set[str]] = {}

    def add(spec, rep, table, fraction=1.0, variant=None):
        if rep.elmo is not None and not has_elmo:
            return
        for seed in seeds:
            run = PlannedRun(spec.name, rep, fraction, seed, hp_profile, variant)
            wanted.setdefault(run, set()).add(table)

    for spec in specs:
        placement = paper_placement(spec)
        base = standard_representation("baseline", placement)
        # The topic task's variants are the source article's configurations (their own table);
        # other tasks' variants are extra named configurations, run when "variants" is asked for.
        variant_table = "topic" if spec.name == "topic" else "variants"
        if spec.variants and variant_table in tables:
            for name in spec.variants:
                rep, _ = spec.variant(name, hp_profile)
                add(spec, rep, variant_table, variant=name)
        if "table1" in tables:
            add(spec, base, "table1")
            add(spec, _elmo_rep(spec), "table1")
        if "table2" in tables:
            add(spec, base, "table2")
            for name in ("elmo_top", "elmo_mix_l1", "elmo_mix_l0.001"):
                add(spec, standard_representation(name, placement), "table2")
        if "table3" in tables:
            for where in ("input", "both", "output"):
                add(spec, _elmo_rep(spec, where), "table3")
        if "ablations" in tables:
            for name in ("elmo_mean", "elmo_layer0"):
                add(spec, standard_representation(name, placement), "ablations")
        if "figure1" in tables and spec.name in figure1_tasks:
            for fraction in fractions:
                add(spec, base, "figure1", fraction)
                add(spec, _elmo_rep(spec), "figure1", fraction)
    runs = [PlannedRun(r.task, r.rep, r.fraction, r.seed, r.hp_profile, r.variant, tuple(sorted(t)))
            for r, t in wanted.items()]
    return sorted(runs, key=lambda r: ([s.name for s in specs].index(r.task), r.seed, r.run_id))


def shard(runs: list[PlannedRun], spec: str | None) -> list[PlannedRun]:
    """``I/N``: every N-th run starting at I (0-based), for cluster arrays."""
    if not spec:
        return runs
    try:
        index, count = (int(x) for x in spec.split("/"))
    except ValueError:
        raise ValueError(f"--shard expects I/N with 0 <= I < N, got {spec!r}") from None
    if not 0 <= index < count:
        raise ValueError(f"--shard expects I/N with 0 <= I < N, got {spec!r}")
    return runs[index::count]

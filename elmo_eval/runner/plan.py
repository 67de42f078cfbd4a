"""The experiment matrix: task x representation x placement x training fraction x seed.

Each comparison of :mod:`elmo_eval.runner.comparisons` that a task joins selects a slice;
identical runs requested by several comparisons are planned once (a run is identified by
what it trains, not by the table that asked for it).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from elmo_eval.representations.config import RepresentationConfig
from elmo_eval.runner.comparisons import BOOK, comparison, joins
from elmo_eval.specs import SpecError, TaskSpec


@dataclass(frozen=True)
class PlannedRun:
    """One training run. ``tables`` lists the comparisons that use it."""

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

    @property
    def reads_encoder(self) -> bool:
        """Whether the run uses the encoder's layers (a baseline does not: it is shared by all encoders)."""
        return self.rep.elmo is not None

    def describe(self) -> dict:
        return {"task": self.task, "run_id": self.run_id, "representation": self.rep.to_dict(),
                "variant": self.variant, "fraction": self.fraction, "seed": self.seed,
                "hp_profile": self.hp_profile, "tables": list(self.tables)}


def check_tables(spec: TaskSpec) -> None:
    """A spec may only join comparisons the book has (a misspelt name would silently drop a table)."""
    unknown = [name for name in spec.setup.get("tables", ()) if name not in BOOK]
    if unknown:
        raise SpecError(f"{spec.path}: setup.tables names {unknown}, which are not comparisons; "
                        f"known: {', '.join(BOOK)}")
    per_encoder = [name for name in spec.setup.get("tables", ()) if BOOK[name].kind == "probe"]
    if per_encoder:
        raise SpecError(f"{spec.path}: setup.tables names {per_encoder}: the probes run once per encoder, "
                        "not per task; no task joins them")


def build_plan(specs: list[TaskSpec], tables: list[str], seeds: list[int], hp_profile: str,
               fractions: list[float] = (1.0,)) -> list[PlannedRun]:
    """All runs the requested comparisons need, deduplicated, in a stable order.

    tables: names of comparisons in the book (figure 2 reads the layer weights of every
    ELMo run, so it needs no runs of its own; the probes, kind ``probe``, train no task and run
    per encoder in :func:`elmo_eval.runner.api.reproduce`). A task takes part in a comparison
    only when its spec lists it in ``setup.tables``.
    """
    wanted: dict[PlannedRun, set[str]] = {}

    def add(spec, rep, table, fraction=1.0, variant=None):
        for seed in seeds:
            run = PlannedRun(spec.name, rep, fraction, seed, hp_profile, variant)
            wanted.setdefault(run, set()).add(table)

    chosen = [c for c in map(comparison, tables) if c.kind != "probe"]
    for spec in specs:
        check_tables(spec)
        for comp in chosen:
            if not joins(spec.setup, comp.name):
                continue
            if comp.kind == "variants":
                for name in spec.variants:
                    add(spec, RepresentationConfig(name=name, **spec.variant_representation(name)), comp.name,
                        variant=name)
                continue
            for arm in comp.arms:
                for fraction in (fractions if comp.kind == "curve" else (1.0,)):
                    add(spec, arm.resolve(spec.setup), comp.name, fraction)
    runs = [PlannedRun(r.task, r.rep, r.fraction, r.seed, r.hp_profile, r.variant, tuple(sorted(t)))
            for r, t in wanted.items()]
    order = [s.name for s in specs]
    return sorted(runs, key=lambda r: (order.index(r.task), r.seed, r.run_id))


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

"""Where a reproduction spends its time: each stage says one line when it starts, and a table at the end.

A reproduction is a chain of stages (world generation, corpus vectors, biLM pretraining, one layer
cache per task, one training run after another, the probes, the report). Long ones print progress of
their own; this module adds what the log lacked: which stage is running, and afterwards how long each
took. The clock is ambient (a context variable) so the stages deep in the runner need no extra argument:

    with StageClock() as clock:
        with stage("world generation"):
            ...
    print(clock.table())

``stage()`` outside a clock does nothing (the library functions stay usable on their own).
"""
from __future__ import annotations

import contextvars
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

TIMINGS_FILE = "timings.md"

_CURRENT: contextvars.ContextVar[StageClock | None] = contextvars.ContextVar("elmo_eval_stage_clock", default=None)


@dataclass
class Stage:
    name: str
    seconds: float
    computed: bool  # False: found done (a reused run, a cached world) and only checked
    work: bool = True  # False: bookkeeping that every call does (the report), not a result computed
    parallel: bool = False  # True: ran beside others (``--jobs``), inside a stage that holds its wall time


@dataclass
class StageClock:
    """Times named stages; ``announce``: print ``stage: NAME`` to stderr when one starts."""

    announce: bool = True
    stages: list[Stage] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    _token: contextvars.Token | None = None

    def __enter__(self) -> StageClock:
        self.started = time.time()
        self._token = _CURRENT.set(self)
        return self

    def __exit__(self, *exc) -> None:
        _CURRENT.reset(self._token)

    @property
    def computed(self) -> bool:
        """Whether any stage computed something (rather than finding it done); the report, rebuilt by
        every call, does not count."""
        return any(s.computed and s.work for s in self.stages)

    def table(self) -> str:
        """Markdown: one row per stage (reused ones summed into one row), seconds and share of the total."""
        total = max(time.time() - self.started, 1e-9)
        rows: list[tuple[str, float]] = [(s.name, s.seconds) for s in self.stages if s.computed and not s.parallel]
        reused = [s for s in self.stages if not s.computed]
        if reused:
            rows.append((f"found done and reused ({len(reused)} stages)", sum(s.seconds for s in reused)))
        rows.append(("other (planning, reading data, loading the encoder)", total - sum(r[1] for r in rows)))
        lines = ["| Stage | Seconds | Share |", "|---|---:|---:|"]
        lines += [f"| {name} | {seconds:.1f} | {100 * seconds / total:.0f}% |" for name, seconds in rows]
        lines.append(f"| **total** | **{total:.1f}** | 100% |")
        side_by_side = [s for s in self.stages if s.computed and s.parallel]
        if side_by_side:  # they overlap: their sum is CPU time, not wall time, so they stay out of the total
            lines += ["", f"Runs trained side by side (each its own wall time; {len(side_by_side)} runs, "
                      f"{sum(s.seconds for s in side_by_side):.1f} s in all):", "",
                      "| Run | Seconds |", "|---|---:|"]
            lines += [f"| {s.name} | {s.seconds:.1f} |" for s in side_by_side]
        return "\n".join(lines)

    def write(self, path: Path, title: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {title}\n\n{self.table()}\n", encoding="utf-8")
        return path


def current_clock() -> StageClock | None:
    """The clock of the reproduction running in this context, if any."""
    return _CURRENT.get()


@contextmanager
def stage(name: str, computed: bool = True, announce: bool = True, work: bool = True):
    """Time the enclosed block as stage ``name`` of the current clock (a no-op without one).

    Yields a dict: set ``["computed"] = False`` inside the block when it found its work done already.
    ``announce=False`` for a stage that says its own start line (a training run's ``[i/N] ...``);
    ``work=False`` for a stage every call runs (the report): timed, but not a reason to write the table.
    """
    clock = _CURRENT.get()
    state = {"computed": computed}
    if clock is None:
        yield state
        return
    if clock.announce and announce:
        print(f"stage: {name}", file=sys.stderr, flush=True)
    started = time.time()
    try:
        yield state
    finally:
        clock.stages.append(Stage(name, time.time() - started, bool(state["computed"]), work))


def record(name: str, seconds: float, computed: bool = True, parallel: bool = False) -> None:
    """Add a stage timed elsewhere (e.g. a run skipped as done, which announces itself its own way;
    ``parallel``: a run a worker process trained beside others)."""
    clock = _CURRENT.get()
    if clock is not None:
        clock.stages.append(Stage(name, seconds, computed, parallel=parallel))

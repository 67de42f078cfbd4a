"""Finished runs, grouped for the report: by encoder, task and configuration, seeds pooled.

Everything here comes from result files alone: each carries a snapshot of the spec it
ran with (``record["spec"]``: setup, paper numbers, metric label), the data it read
(``data_source``) and the word vectors of its baseline side (``vectors_fingerprint``).
Baseline runs read no encoder; they are matched to an encoder's runs by task, data,
word vectors and hyperparameter profile, so one baseline serves every encoder.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from elmo_eval.runner.comparisons import Arm

FLOOR_TOLERANCE = 1e-9
FLAG = "†"  # marks a cell with a diverged or degenerate run, in every table it enters


def score(record: dict, split: str) -> float | None:
    metrics = record["metrics"].get(split)
    return None if metrics is None else metrics.get(record["metric"])


def reads_encoder(record: dict) -> bool:
    return record["representation"].get("elmo") is not None


def data_key(record: dict) -> str | None:
    return (record.get("data_source") or {}).get("fingerprint")


def degenerate(record: dict) -> str | None:
    """Why a run counts as diverged or degenerate, or None: the runner's own finding (a constant
    prediction on the evaluation set) or a dev metric that never left its floor (0)."""
    if record.get("degenerate"):
        return str(record["degenerate"])
    return floor_reason(record.get("dev_history", []), record["metric"])


def floor_reason(dev_history: list[dict], metric: str) -> str | None:
    """The dev metric never left its floor (0) in any epoch: a head stuck where it started."""
    history = [h.get(metric) for h in dev_history if h.get(metric) is not None]
    if history and max(history) <= FLOOR_TOLERANCE:
        return "dev metric at its floor (0) in every epoch"
    return None


def test_split(runs: Iterable[dict]) -> str:
    runs = list(runs)
    return "test" if runs and all("test" in r["metrics"] for r in runs) else "dev"


class ResultSet:
    """Finished runs grouped by configuration; ``encoders`` are those whose runs read an encoder."""

    def __init__(self, records: list[dict]):
        self.records = records
        self.groups: dict[tuple, list[dict]] = defaultdict(list)
        for r in records:
            rep = r["representation"]
            key = (r["encoder"], r["task"], rep["name"], rep["placement"], r["fraction"], r.get("variant"))
            self.groups[key].append(r)
        for runs in self.groups.values():
            runs.sort(key=lambda r: r["seed"])
        self.encoders = list(dict.fromkeys(r["encoder"] for r in records if reads_encoder(r)))
        self.tasks = list(dict.fromkeys(r["task"] for r in records))

    def spec(self, task: str, encoder: str | None = None) -> dict:
        """The spec snapshot of a task's runs (an encoder's own where given)."""
        own = [r for r in self.records if r["task"] == task and (encoder is None or r["encoder"] == encoder)]
        for record in reversed(own or [r for r in self.records if r["task"] == task]):
            if record.get("spec"):
                return record["spec"]
        return {"name": task, "setup": {}, "paper": {}, "metric_label": own[0]["metric_label"] if own else ""}

    def encoder_runs(self, encoder: str, task: str, rep_name: str, placement: str, fraction: float = 1.0,
                     variant: str | None = None) -> list[dict]:
        return self.groups.get((encoder, task, rep_name, placement, fraction, variant), [])

    def baseline_runs(self, like: list[dict], task: str, rep_name: str, placement: str,
                      fraction: float = 1.0) -> list[dict]:
        """Baseline runs comparable to ``like`` (an encoder's runs): same task, data, word vectors and
        hyperparameter profile; any encoder folder (the baseline never reads an encoder)."""
        wanted = {(data_key(r), r.get("vectors_fingerprint"), r.get("hp_profile")) for r in like}
        found = [r for (enc, t, name, where, frac, var), runs in self.groups.items()
                 if t == task and name == rep_name and where == placement and frac == fraction and var is None
                 for r in runs if not reads_encoder(r)
                 and (not wanted or (data_key(r), r.get("vectors_fingerprint"), r.get("hp_profile")) in wanted)]
        by_seed = {}
        for r in found:  # the same baseline may sit in several folders (older results): one per seed
            by_seed.setdefault(r["seed"], r)
        return [by_seed[s] for s in sorted(by_seed)]

    def arm_runs(self, encoder: str, task: str, arm: Arm, fraction: float = 1.0) -> list[dict]:
        """The runs behind one arm of a comparison for an encoder's row of a task."""
        rep = arm.resolve(self.spec(task, encoder).get("setup", {}))
        if arm.is_baseline:
            like = [r for (enc, t, *_), runs in self.groups.items() if enc == encoder and t == task for r in runs]
            return self.baseline_runs(like, task, rep.name, rep.placement, fraction)
        return self.encoder_runs(encoder, task, rep.name, rep.placement, fraction)

    def variant_runs(self, encoder: str, task: str, variant: str) -> list[dict]:
        runs = [r for (enc, t, *_, var), group in self.groups.items() if t == task and var == variant
                for r in group if enc == encoder or not reads_encoder(r)]
        return sorted(runs, key=lambda r: r["seed"])


def scores(runs: Iterable[dict], split: str) -> list[float]:
    return [s for s in (score(r, split) for r in runs) if s is not None]

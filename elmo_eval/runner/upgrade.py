"""Convert a results folder written before result files carried their own setup (one-off).

Older runs stored test predictions as a Python pickle, absolute data paths, and no snapshot of
their spec. ``elmo-eval upgrade-results DIR --trust-pickles`` rewrites each such run in place:

- ``spec``: a snapshot of the named task's current spec (setup, paper numbers, metric), marked
  ``"snapshot_at": "upgrade"`` since the spec it ran with was not recorded;
- ``data_source``: the generated world named by the old data paths (``world-<size>-seed<n>``; its
  generator version from ``--world-version``) or ``real`` with the file names only;
- ``statistics.json``: the per-instance test statistics, computed from the pickled predictions
  with the task's current scorer, after which the pickle is deleted;
- machine paths in ``encoder_description`` reduced to folder names, ``data`` dropped.

Unpickling runs code, so it happens only with ``--trust-pickles``: use it on folders you wrote
yourself (a clone of this repository's committed results), never on one you were handed.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from elmo_eval.errors import UsageError
from elmo_eval.io import atomic_write_json
from elmo_eval.runner.results import STATISTICS_FILE, CorruptResultError, result_files, write_statistics

OLD_PREDICTIONS = "test_predictions.pkl"


def _data_source(paths: dict[str, str], world_version: str | None) -> dict:
    names = {split: Path(p).name for split, p in sorted(paths.items())}
    world = next((m for p in paths.values() for m in [re.search(r"world-(\w+)-seed(\d+)", p)] if m), None)
    if world:
        return {"kind": "world", "version": world_version, "size": world.group(1), "seed": int(world.group(2)),
                "fingerprint": f"world-{world_version}-{world.group(1)}-seed{world.group(2)}"}
    return {"kind": "real", "files": names, "fingerprint": None}


def upgrade_run(result_file: Path, world_version: str | None, trust_pickles: bool) -> bool:
    """Upgrade one run in place; False when it already is in the current format."""
    import pickle

    from elmo_eval.specs import load_spec

    try:
        record = json.loads(result_file.read_text(encoding="utf-8"))
    except ValueError as error:  # cut off, not JSON, not UTF-8: nothing to convert
        raise CorruptResultError(result_file, None, f"incomplete or corrupt result file ({error}); train that "
                                                    "run again with `elmo-eval reproduce`") from None
    if not isinstance(record, dict):
        raise CorruptResultError(result_file, None, "not a result file (not a JSON object)")
    if "spec" in record:
        return False
    spec = load_spec(record["task"])
    folder = result_file.parent
    pickled = folder / OLD_PREDICTIONS
    if pickled.exists():
        if not trust_pickles:
            raise UsageError(f"{pickled}: converting it means unpickling it; pass --trust-pickles only for "
                             "results you wrote yourself")
        with open(pickled, "rb") as handle:
            stored = pickle.load(handle)  # noqa: S301 - explicitly trusted by the user (see module docstring)
        task = spec.build_task()
        stats = task.score_statistics(stored["instances"], stored["predictions"])
        write_statistics(folder / STATISTICS_FILE, task.statistics_aggregate, {"test": stats})
        record["statistics"] = {"file": STATISTICS_FILE, "aggregate": task.statistics_aggregate}
    record["spec"] = {**spec.snapshot(), "snapshot_at": "upgrade"}
    record["data_source"] = _data_source(record.pop("data", {}), world_version)
    description = record.get("encoder_description") or {}
    for key, value in list(description.items()):
        if isinstance(value, str) and value.startswith("/"):
            description[key] = Path(value).name
    record.setdefault("vectors_fingerprint", None)
    record.setdefault("encoder_fingerprint", None)
    atomic_write_json(result_file, record, default=str)
    pickled.unlink(missing_ok=True)
    return True


def upgrade_results(results_dir: str | Path, world_version: str | None = None, trust_pickles: bool = False) -> int:
    """Upgrade every run under ``results_dir/runs``; returns how many were converted."""
    root = Path(results_dir) / "runs"
    if not root.is_dir():
        raise UsageError(f"{results_dir}: no runs/ folder")
    return sum(upgrade_run(path, world_version, trust_pickles) for path in result_files(root))

"""Result files: one JSON per run, written atomically, read back by the report."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import warnings
from pathlib import Path

from elmo_eval.io import atomic_write_bytes

RESULT_FILE = "result.json"
STATISTICS_FILE = "statistics.json"
PROBES_FOLDER = "probes"  # runs/<encoder>/probes/: the probe results of the ``probes`` comparison
PROBE_RESULT_KIND = "elmo_eval.probes"  # = elmo_eval.probes.run.RESULT_KIND (not imported: it loads torch)


def write_statistics(path: Path, aggregate: str, statistics: dict) -> None:
    """Per-instance score statistics of each evaluated split (``{split: [n, k] array}``) and the name
    of the aggregate that turns their sums into the metric: all the report needs for significance
    tests and intervals, as plain JSON (data only, never code)."""
    payload = {"aggregate": aggregate, "splits": {k: v.tolist() for k, v in statistics.items()}}
    atomic_write_bytes(path, (json.dumps(payload, separators=(",", ":")) + "\n").encode())


def read_statistics(path: Path):
    """``(aggregate name, {split: [n, k] float array})`` from :func:`write_statistics`'s file."""
    import numpy as np

    with open(path, encoding="utf-8") as handle:
        payload = json.load(handle)
    return payload["aggregate"], {k: np.asarray(v, dtype=float).reshape(len(v), -1)
                                  for k, v in payload["splits"].items()}


def result_files(root: str | Path) -> list[Path]:
    """Every ``result.json`` under ``root``, found without following symbolic links (a results folder
    handed to you may link anywhere; only what is really inside it is read)."""
    root = Path(root)
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        if RESULT_FILE in files and not (Path(folder) / RESULT_FILE).is_symlink():
            found.append(Path(folder) / RESULT_FILE)
    return sorted(found)


def probe_result_files(root: str | Path) -> list[Path]:
    """Every probe result (``<encoder>/probes/probes-*.json``, written by the ``probes`` comparison) under
    ``root``, found as :func:`result_files` finds runs: no symbolic link followed or read."""
    found = []
    for folder, dirs, files in os.walk(Path(root), followlinks=False):
        dirs.sort()
        if Path(folder).name != PROBES_FOLDER:
            continue
        for name in sorted(files):
            path = Path(folder) / name
            if name.startswith("probes-") and name.endswith(".json") and not path.is_symlink():
                found.append(path)
    return sorted(found)


def load_probe_results(root: str | Path) -> list[dict]:
    """Every probe result under ``root`` (plain JSON, ``kind`` elmo_eval.probes), with ``_file`` set to
    its path; a file that is not one is named in a warning and skipped."""
    out = []
    for path in probe_result_files(root):
        try:
            with open(path, encoding="utf-8") as handle:
                record = json.load(handle)
            if not isinstance(record, dict) or record.get("kind") != PROBE_RESULT_KIND \
                    or not isinstance(record.get("encoder"), dict) \
                    or not isinstance(record["encoder"].get("id"), str) or not record["encoder"]["id"]:
                raise ValueError(f"not a probe result (kind {PROBE_RESULT_KIND!r} with an encoder id)")
        except (OSError, ValueError) as err:
            warnings.warn(f"{path}: not a readable probe result ({err}); skipped", stacklevel=2)
            continue
        record["_file"] = str(path)
        out.append(record)
    return out


def load_results(root: str | Path) -> list[dict]:
    """Every finished run under ``root``, with ``_dir`` set to its folder. A result file that is not
    JSON is named in a warning and skipped: one bad file does not hide the others."""
    out = []
    for path in result_files(root):
        try:
            with open(path, encoding="utf-8") as handle:
                record = json.load(handle)
        except (OSError, ValueError) as err:
            warnings.warn(f"{path}: not a readable result file ({err}); skipped", stacklevel=2)
            continue
        record["_dir"] = str(path.parent)
        out.append(record)
    return out


def versions() -> dict:
    import numpy
    import pytorch_lightning
    import torch

    import elmo_eval

    commit = None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                                cwd=Path(__file__).resolve().parent).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    return {"elmo_eval": elmo_eval.__version__, "git_commit": commit, "python": platform.python_version(),
            "torch": torch.__version__, "pytorch_lightning": pytorch_lightning.__version__,
            "numpy": numpy.__version__, "platform": platform.platform()}

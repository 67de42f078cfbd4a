"""Result files: one JSON per run, written atomically, read back by the report."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import warnings
from pathlib import Path

from elmo_eval.errors import InputFileError
from elmo_eval.io import atomic_write_bytes

RESULT_FILE = "result.json"
STATISTICS_FILE = "statistics.json"
PROBES_FOLDER = "probes"  # runs/<encoder>/probes/: the probe results of the ``probes`` comparison
PROBE_RESULT_KIND = "elmo_eval.probes"  # = elmo_eval.probes.run.RESULT_KIND (not imported: it loads torch)


class CorruptResultError(InputFileError):
    """A run's result file that is cut off, not JSON, or lacks a key every result file has."""


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
            # ``*.text.json``: the same result with the data's text, kept local (elmo_eval.probes.run)
            if name.startswith("probes-") and name.endswith(".json") and not name.endswith(".text.json") \
                    and not path.is_symlink():
                found.append(path)
    return sorted(found)


# What the report reads from every result file: a file without these is incomplete or not a result.
REQUIRED_KEYS = {"task": str, "encoder": str, "seed": int, "fraction": (int, float), "metric": str,
                 "metrics": dict, "representation": dict}


def _skip(skipped: list[tuple[Path, str]] | None, path: Path, why: str) -> None:
    if skipped is None:
        warnings.warn(f"{path}: {why}; skipped", stacklevel=3)
    else:
        skipped.append((path, why))


def read_result(path: Path) -> dict:
    """One run's result file as a dict; :class:`CorruptResultError` naming the file when it is cut off
    (a copy or disk that failed midway), not JSON, or lacks what every result file holds."""
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
    except UnicodeDecodeError as error:
        raise CorruptResultError(path, None, f"incomplete or corrupt result file (not UTF-8 text: {error})") from None
    except json.JSONDecodeError as error:
        raise CorruptResultError(path, None, f"incomplete or corrupt result file (not JSON: {error})") from None
    if not isinstance(record, dict):
        raise CorruptResultError(path, None, f"not a result file (a JSON {type(record).__name__}, not an object)")
    for key, kind in REQUIRED_KEYS.items():
        if not isinstance(record.get(key), kind) or isinstance(record.get(key), bool):
            found = "missing" if key not in record else f"a {type(record[key]).__name__}"
            raise CorruptResultError(path, key, f"incomplete or corrupt result file ({key!r} is {found})")
    representation = record["representation"]
    if not all(isinstance(representation.get(k), str) for k in ("name", "placement")):
        raise CorruptResultError(path, "representation", "incomplete or corrupt result file (no name or placement)")
    return record


def load_probe_results(root: str | Path, skipped: list[tuple[Path, str]] | None = None) -> list[dict]:
    """Every probe result under ``root`` (plain JSON, ``kind`` elmo_eval.probes), with ``_file`` set to
    its path; a file that is not one is skipped, and named in ``skipped`` (a warning without it)."""
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
            _skip(skipped, path, f"not a readable probe result ({err})")
            continue
        record["_file"] = str(path)
        out.append(record)
    return out


def load_results(root: str | Path, skipped: list[tuple[Path, str]] | None = None) -> list[dict]:
    """Every finished run under ``root``, with ``_dir`` set to its folder. A result file that cannot be
    read (:func:`read_result`: cut off, not JSON, incomplete) is skipped, so one bad file does not hide
    the others, and named with the reason in ``skipped`` (a warning without it)."""
    out = []
    for path in result_files(root):
        try:
            record = read_result(path)
        except OSError as err:
            _skip(skipped, path, f"not a readable result file ({err.strerror or err})")
            continue
        except CorruptResultError as err:
            _skip(skipped, path, err.message)
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

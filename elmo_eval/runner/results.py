"""Result files: one JSON per run, written atomically, read back by the report."""
from __future__ import annotations

import json
import pickle
import platform
import subprocess
from pathlib import Path

from elmo_eval.io import atomic_write_bytes

RESULT_FILE = "result.json"
PREDICTIONS_FILE = "test_predictions.pkl"


def write_predictions_pickle(path: Path, instances, predictions) -> None:
    atomic_write_bytes(path, pickle.dumps({"instances": list(instances), "predictions": list(predictions)},
                                          protocol=pickle.HIGHEST_PROTOCOL))


def read_predictions_pickle(path: Path) -> tuple[list, list]:
    with open(path, "rb") as handle:
        data = pickle.load(handle)  # our own files, written by write_predictions_pickle
    return data["instances"], data["predictions"]


def load_results(root: str | Path) -> list[dict]:
    """Every finished run under ``root`` (``**/result.json``), with ``_dir`` set to its folder."""
    out = []
    for path in sorted(Path(root).glob(f"**/{RESULT_FILE}")):
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
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

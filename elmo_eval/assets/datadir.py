"""The data directory: where assets are installed, their manifests, and the registry of user-supplied data.

Layout of ``<data_dir>``::

    <asset name>/                 an installed asset (exists only once complete)
    <asset name>/.manifest.json   written before the directory is moved into place
    .downloads/<asset name>/      partial downloads (``*.part``), kept so a rerun resumes
    .staging/                     assets being unpacked and checked
    registry.json                 licensed datasets the user registered with ``data check``
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from elmo_eval.io import atomic_write_json

DATA_DIR_ENV = "ELMO_EVAL_DATA"
MANIFEST_NAME = ".manifest.json"
REGISTRY_NAME = "registry.json"


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The data directory: the argument, else ``$ELMO_EVAL_DATA``, else ``~/.cache/elmo-eval``."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return Path.home() / ".cache" / "elmo-eval"


def installed_dir(data_dir: Path, asset_name: str) -> Path:
    return data_dir / asset_name


def downloads_dir(data_dir: Path, asset_name: str) -> Path:
    return data_dir / ".downloads" / asset_name


def staging_root(data_dir: Path) -> Path:
    return data_dir / ".staging"


def read_manifest(asset_dir: Path) -> dict[str, Any] | None:
    """The manifest of an installed asset, or None if it is absent or unreadable (= not installed)."""
    try:
        return json.loads((asset_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load_registry(data_dir: Path) -> dict[str, Any]:
    """``{task: entry}`` of the datasets registered by ``data check``; empty if none."""
    path = data_dir / REGISTRY_NAME
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ValueError(f"{path}: the registry is not valid JSON ({error}); fix or delete it and rerun "
                         "`elmo-eval data check`") from error


def register_dataset(data_dir: Path, task: str, entry: dict[str, Any]) -> Path:
    """Record (or replace) the user-supplied dataset for ``task``; returns the registry path."""
    registry = load_registry(data_dir)
    registry[task] = entry
    path = data_dir / REGISTRY_NAME
    atomic_write_json(path, registry)
    return path


def registered_path(task: str, data_dir: str | Path | None = None) -> Path | None:
    """Where the user's copy of a licensed dataset is, if it was registered and still exists."""
    entry = load_registry(resolve_data_dir(data_dir)).get(task)
    if entry is None:
        return None
    path = Path(entry["path"])
    return path if path.exists() else None

"""Where a task's real data is: ``--data TASK=PATH``, a fetched asset, or a registered licensed copy.

A task's data is either a root folder (the spec's ``[data]`` paths are relative to it) or an
explicit ``{split: path}`` mapping (what ``elmo-eval data check`` registered for licensed data).
"""
from __future__ import annotations

from pathlib import Path

from elmo_eval.specs import TaskSpec

DataLocation = Path | dict[str, Path]


def resolve_real_data(specs: list[TaskSpec], given: dict[str, str], data_dir: str | None = None
                      ) -> dict[str, DataLocation]:
    """Locations of every task that has real data; tasks with none are left out."""
    from elmo_eval.assets.datadir import load_registry, resolve_data_dir
    from elmo_eval.assets.status import asset_path

    found: dict[str, DataLocation] = {name: Path(path) for name, path in given.items()}
    registry = load_registry(resolve_data_dir(data_dir))
    for spec in specs:
        asset = spec.data.get("asset")
        if spec.name in found or not asset:
            continue
        entry = registry.get(asset)
        if entry and entry.get("splits"):
            found[spec.name] = {split: Path(p) for split, p in entry["splits"].items()}
            continue
        try:
            path = asset_path(asset, data_dir)
        except Exception:  # an asset name the catalogue does not know: no real data for this task
            path = None
        if path is not None:
            found[spec.name] = path
    return found


def split_paths(spec: TaskSpec, location: DataLocation) -> dict[str, Path]:
    """The task's split files for a data location."""
    if isinstance(location, dict):
        return {split: Path(p) for split, p in location.items() if split in ("train", "dev", "test")}
    return spec.split_paths(location, world=False)

"""Where a task's real data is: ``--data TASK=PATH``, a fetched asset, or a registered licensed copy.

A task's data is either a root folder (the spec's ``[data]`` paths are relative to it) or an
explicit ``{split: path}`` mapping (what ``elmo-eval data check`` registered). A root folder given with
``--data TASK=DIR`` is read in the spec's own layout when that exists, else its splits are found under
the same names ``elmo-eval data check`` accepts (``valid.txt``, ``eng.testa``, ``conll-2012-test``, ...).
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
    for spec in specs:  # a folder in another format than the spec's default (CoNLL-2005 for SRL): say which
        if spec.name in found and "format" in spec.data.get("options", {}):
            found[spec.name] = _with_format(spec, found[spec.name])
    registry = load_registry(resolve_data_dir(data_dir))
    for spec in specs:
        asset = spec.data.get("asset")
        if spec.name in found or not asset:
            continue
        check_task = _check_task_name(spec)
        entry = registry.get(asset) or (registry.get(check_task) if check_task else None)
        if entry and entry.get("splits"):
            found[spec.name] = {split: Path(p) for split, p in entry["splits"].items()}
            if entry.get("format") and "format" in spec.data.get("options", {}):
                found[spec.name]["options"] = {"format": entry["format"]}
            continue
        try:
            path = asset_path(asset, data_dir)
        except Exception:  # an asset name the catalogue does not know: no real data for this task
            path = None
        if path is not None:
            found[spec.name] = path
    return found


def _with_format(spec: TaskSpec, folder: Path) -> DataLocation:
    """A ``--data`` folder of a task whose reader takes a ``format`` option: its splits as ``data check``
    finds them, with the format it recognised (as a registered copy carries it); the folder unchanged
    when it has the spec's own layout or no recognisable split (the reader's error then names it)."""
    layout = spec.split_paths(folder, world=False)
    located = _located(spec, folder, layout)
    if located is None or not all(split in located.splits for split in layout):
        return folder
    location: dict = {split: located.splits[split] for split in layout}
    location["options"] = {"format": located.fmt.name}
    return location


def _check_task_name(spec: TaskSpec) -> str | None:
    """The ``data check`` task that reads this spec's data (by spec name, then by its asset's name)."""
    from elmo_eval.assets.check import canonical_task

    for name in (spec.name, spec.data.get("asset")):
        try:
            return canonical_task(name) if name else None
        except KeyError:
            continue
    return None


def split_paths(spec: TaskSpec, location: DataLocation) -> dict[str, Path]:
    """The task's split files for a data location.

    A folder: the spec's own layout if its files are there, else the splits ``data check`` finds
    there (a folder in which neither is found keeps the spec's layout, so the caller's "missing
    data files" error names the files it expected).
    """
    if isinstance(location, dict):
        return {split: Path(p) for split, p in location.items() if split in ("train", "dev", "test")}
    layout = spec.split_paths(location, world=False)
    located = _located(spec, Path(location), layout)
    if located is None:
        return layout
    # the splits the spec reads (topic: no dev, carved from train), from where data check finds them
    return {split: located.splits.get(split, path) for split, path in layout.items()}


def _located(spec: TaskSpec, folder: Path, layout: dict[str, Path]):
    """Where ``data check`` finds the task's splits under ``folder`` (a ``Located``), or None when the
    folder has the spec's own ``layout``, does not exist, or holds no split data check can name."""
    if all(path.exists() for path in layout.values()):
        return None
    check_task = _check_task_name(spec)
    if check_task is None or not folder.exists():
        return None
    from elmo_eval.assets.check import CHECK_TASKS, NoUsableSplit, locate_splits

    try:
        return locate_splits(CHECK_TASKS[check_task], folder)
    except (NoUsableSplit, FileNotFoundError):
        return None

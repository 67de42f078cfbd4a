"""Is an asset installed, verified, and where: what ``data list`` prints and what the runner asks."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .archive import missing_layout
from .catalogue import Asset, UnknownAssetError, default_catalogue, get_asset
from .check import LICENSED_TASKS, canonical_task
from .datadir import installed_dir, load_registry, read_manifest, resolve_data_dir


@dataclass(frozen=True)
class AssetStatus:
    """``state``: absent | incomplete | damaged | mismatch | installed.

    ``verification`` (installed assets): ``verified`` when every file matched a published
    SHA-256, ``recorded`` when some file had none published and only its computed digest
    was recorded.  ``usable`` is what :func:`asset_path` needs: installed and not contradicted.
    """

    name: str
    path: Path
    state: str
    verification: str
    detail: str = ""

    @property
    def usable(self) -> bool:
        return self.state == "installed"


def asset_status(asset: Asset, data_dir: Path) -> AssetStatus:
    final = installed_dir(data_dir, asset.name)
    manifest = read_manifest(final)
    if manifest is None:
        state = "incomplete" if final.exists() else "absent"
        detail = "directory without manifest; rerun fetch" if final.exists() else ""
        return AssetStatus(asset.name, final, state, "-", detail)
    missing = missing_layout(final, asset.layout)
    if missing:
        return AssetStatus(asset.name, final, "damaged", "-", f"missing {', '.join(missing)}; fetch --force")
    records = {record["filename"]: record for record in manifest.get("files", [])}
    all_published = True
    for remote in asset.files:
        record = records.get(remote.filename)
        if record is None:
            return AssetStatus(asset.name, final, "mismatch", "-",
                               f"installed from another catalogue entry (no {remote.filename}); fetch --force")
        if remote.sha256 is not None and record.get("sha256") != remote.sha256.lower():
            return AssetStatus(asset.name, final, "mismatch", "-",
                               f"{remote.filename}: recorded SHA-256 {record.get('sha256')} but the catalogue "
                               f"expects {remote.sha256.lower()}; fetch --force")
        all_published &= remote.sha256 is not None
    verification = "verified" if all_published else "recorded"
    return AssetStatus(asset.name, final, "installed", verification)


def asset_path(name: str, data_dir: str | Path | None = None,
               catalogue: dict[str, Asset] | None = None) -> Path | None:
    """Directory of an installed, verified asset, or the registered path of a licensed dataset; else None.

    ``name`` is a catalogue asset (``elmo-original``, ``squad-1.1``, ...) or a licensed task
    registered with ``elmo-eval data check`` (``ner``, ``srl``, ``coref``).
    """
    root = resolve_data_dir(data_dir)
    try:
        asset = get_asset(name, catalogue)
    except UnknownAssetError as unknown_asset:
        try:
            task = canonical_task(name)
        except KeyError:
            raise UnknownAssetError(f"{unknown_asset}; nor is it a licensed task "
                                    f"({', '.join(LICENSED_TASKS)})") from None
        entry = load_registry(root).get(task)
        if entry is None or not Path(entry["path"]).exists():
            return None
        return Path(entry["path"])
    status = asset_status(asset, root)
    return status.path if status.usable else None


def all_statuses(data_dir: Path, catalogue: dict[str, Asset] | None = None) -> list[AssetStatus]:
    catalogue = default_catalogue() if catalogue is None else catalogue
    return [asset_status(asset, data_dir) for asset in catalogue.values()]

"""Real data and official weights: fetch public assets, verify them, and register licensed data.

Public API (what the runner uses)::

    asset_path(name, data_dir=None) -> Path | None   # installed + verified asset, or registered licensed data
    fetch(name, data_dir=None, progress=True) -> Path
"""
import importlib

# name -> submodule; imported on first use, so that ``elmo-eval --help`` (which imports
# ``assets.cli``, hence this package) does not pay for the downloader's http and tqdm.
_EXPORTS = {
    "Asset": "catalogue", "RemoteFile": "catalogue", "UnknownAssetError": "catalogue",
    "default_catalogue": "catalogue", "get_asset": "catalogue",
    "DataFormatError": "check", "check_dataset": "check",
    "registered_path": "datadir", "resolve_data_dir": "datadir",
    "ChecksumError": "download", "DownloadError": "download", "HTTPStatusError": "download",
    "RetryPolicy": "download", "UnverifiedDownloadError": "download", "fetch": "download",
    "asset_path": "status",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Asset",
    "ChecksumError",
    "DataFormatError",
    "DownloadError",
    "HTTPStatusError",
    "RemoteFile",
    "RetryPolicy",
    "UnknownAssetError",
    "UnverifiedDownloadError",
    "asset_path",
    "check_dataset",
    "default_catalogue",
    "fetch",
    "get_asset",
    "registered_path",
    "resolve_data_dir",
]

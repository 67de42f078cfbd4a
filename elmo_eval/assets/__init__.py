"""Real data and official weights: fetch public assets, verify them, and register licensed data.

Public API (what the runner uses)::

    asset_path(name, data_dir=None) -> Path | None   # installed + verified asset, or registered licensed data
    fetch(name, data_dir=None, progress=True) -> Path
"""
from elmo_eval.readers.errors import DataFormatError

from .catalogue import Asset, RemoteFile, UnknownAssetError, default_catalogue, get_asset
from .check import check_dataset
from .datadir import registered_path, resolve_data_dir
from .download import ChecksumError, DownloadError, HTTPStatusError, RetryPolicy, fetch
from .status import asset_path

__all__ = [
    "Asset",
    "ChecksumError",
    "DataFormatError",
    "DownloadError",
    "HTTPStatusError",
    "RemoteFile",
    "RetryPolicy",
    "UnknownAssetError",
    "asset_path",
    "check_dataset",
    "default_catalogue",
    "fetch",
    "get_asset",
    "registered_path",
    "resolve_data_dir",
]

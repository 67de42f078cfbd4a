"""Download catalogue assets: resumable, verified, and installed atomically.

The life of one asset (see :func:`fetch`):

1. each file streams into ``<data_dir>/.downloads/<asset>/<file>.part``; a rerun after an
   interruption resumes it with an HTTP ``Range`` request (206), or restarts it cleanly
   when the server ignores the range (200);
2. the finished file's size and SHA-256 are checked against the catalogue (a mismatch
   deletes it); the digest is recorded either way;
3. archives are unpacked, plain files moved, into a fresh staging directory, whose layout
   is checked against the catalogue;
4. the manifest is written into the staging directory and the directory is renamed to
   ``<data_dir>/<asset>`` in one step, so an asset directory either is complete or
   does not exist.
"""
from __future__ import annotations

import http.client
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

from elmo_eval.errors import UsageError
from elmo_eval.io import atomic_write_json, sha256_of

from .archive import ArchiveError, describe_tree, missing_layout, unpack_archive
from .catalogue import Asset, RemoteFile, get_asset
from .datadir import (
    MANIFEST_NAME,
    downloads_dir,
    installed_dir,
    resolve_data_dir,
    staging_root,
)
from .status import asset_status

# Statuses worth retrying: the server or a proxy is momentarily unwell, not the request.
TRANSIENT_HTTP_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
CHUNK_BYTES = 1 << 20
USER_AGENT = "elmo-eval/0.1 (research reproduction downloader; Python urllib)"


class DownloadError(UsageError, RuntimeError):
    """A download that failed for good (after retries, or on a non-transient error)."""


class HTTPStatusError(DownloadError):
    """The server answered with an error status that retrying will not fix (e.g. 404)."""

    def __init__(self, message: str, url: str, status: int):
        super().__init__(message)
        self.url = url
        self.status = status


class ChecksumError(DownloadError):
    """A downloaded file whose size or SHA-256 differs from the catalogue's; the file was deleted."""


class _TruncatedTransfer(OSError):
    """The connection ended before the announced number of bytes arrived (a transient failure)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff: the n-th retry waits ``backoff_s * factor**(n-1)``."""

    attempts: int = 5
    backoff_s: float = 1.0
    backoff_factor: float = 2.0
    max_backoff_s: float = 30.0
    timeout_s: float = 60.0

    def delay(self, retry_index: int) -> float:
        return min(self.max_backoff_s, self.backoff_s * self.backoff_factor ** retry_index)


def _content_range_start(header: str | None) -> int | None:
    """The first byte offset of a ``Content-Range: bytes START-END/TOTAL`` header."""
    match = re.match(r"\s*bytes\s+(\d+)-", header or "")
    return int(match.group(1)) if match else None


def _transfer_once(url: str, partial: Path, progress: bool, timeout_s: float, label: str) -> None:
    """One HTTP request that appends to (206) or rewrites (200) ``partial``; raises on any failure."""
    offset = partial.stat().st_size if partial.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout_s)
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset:
            # Our partial file is no prefix the server can continue (the remote file changed): start over.
            partial.unlink()
            raise _TruncatedTransfer(f"server refused to resume at byte {offset} (HTTP 416); restarting") from error
        raise
    with response:
        resumed = offset > 0 and response.status == 206
        if resumed and _content_range_start(response.headers.get("Content-Range")) != offset:
            partial.unlink()
            raise _TruncatedTransfer(f"server resumed at the wrong offset "
                                     f"({response.headers.get('Content-Range')!r}, wanted {offset}); restarting")
        start = offset if resumed else 0  # 200 to a range request: the server sends everything again
        length_header = response.headers.get("Content-Length")
        announced = int(length_header) if length_header is not None else None
        total = start + announced if announced is not None else None
        with partial.open("ab" if resumed else "wb") as stream, \
                tqdm(total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024,
                     desc=label, disable=not progress, leave=False) as bar:
            while True:
                block = response.read(CHUNK_BYTES)
                if not block:
                    break
                stream.write(block)
                bar.update(len(block))
    received = partial.stat().st_size
    if total is not None and received < total:
        raise _TruncatedTransfer(f"connection closed after {received} of {total} bytes")


def _verify(partial: Path, remote: RemoteFile, asset_name: str) -> str:
    """Check size and SHA-256 against the catalogue; delete the file and raise on a mismatch."""
    size = partial.stat().st_size
    if remote.size is not None and size != remote.size:
        partial.unlink()
        raise ChecksumError(f"asset {asset_name!r}: {remote.url} has {size} bytes, the catalogue expects "
                            f"{remote.size}; the download was deleted, rerun to fetch it again")
    digest = sha256_of(partial)
    if remote.sha256 is not None and digest != remote.sha256.lower():
        partial.unlink()
        raise ChecksumError(f"asset {asset_name!r}: SHA-256 mismatch for {remote.url}: expected "
                            f"{remote.sha256.lower()}, got {digest}; the download was deleted")
    return digest


def download_file(remote: RemoteFile, partial: Path, destination: Path, *, asset_name: str,
                  progress: bool = True, retry: RetryPolicy | None = None) -> str:
    """Download ``remote`` via ``partial`` (kept between runs for resuming), verify it, move it to ``destination``.

    Returns the file's SHA-256.  Transient failures (network errors, truncated transfers,
    HTTP 408/429/5xx) are retried ``retry.attempts`` times in all with backoff; other HTTP
    errors fail at once with :class:`HTTPStatusError`.
    """
    retry = retry or RetryPolicy()
    partial.parent.mkdir(parents=True, exist_ok=True)
    if remote.size is not None and partial.exists() and partial.stat().st_size > remote.size:
        partial.unlink()  # longer than the real file: not a prefix of it
    failures = 0
    while True:
        already_whole = remote.size is not None and partial.exists() and partial.stat().st_size == remote.size
        if already_whole:
            break
        try:
            _transfer_once(remote.url, partial, progress, retry.timeout_s, label=remote.filename)
            break
        except urllib.error.HTTPError as error:
            if error.code not in TRANSIENT_HTTP_STATUSES:
                hint = " (not found: the file may have moved; check the URL in the catalogue)" \
                    if error.code == 404 else ""
                raise HTTPStatusError(f"asset {asset_name!r}: {remote.url} answered HTTP {error.code} "
                                      f"{error.reason}{hint}", remote.url, error.code) from error
            last_error = f"HTTP {error.code} {error.reason}"
        except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, resets, truncation
            last_error = f"{type(error).__name__}: {error}"
        failures += 1
        if failures >= retry.attempts:
            kept = f"; the partial download is kept at {partial} and a rerun resumes it" \
                if partial.exists() else ""
            raise DownloadError(f"asset {asset_name!r}: giving up on {remote.url} after {failures} attempts; "
                                f"last error: {last_error}{kept}")
        time.sleep(retry.delay(failures - 1))
    digest = _verify(partial, remote, asset_name)
    destination.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, destination)
    return digest


def _verification_note(remote: RemoteFile) -> str:
    if remote.sha256 is not None:
        return "published-sha256"
    if remote.size is not None:
        return "published-size"
    return "recorded"


def _install(asset: Asset, root: Path, progress: bool, retry: RetryPolicy | None) -> Path:
    partials = downloads_dir(root, asset.name)
    staging_root(root).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=staging_root(root), prefix=f"{asset.name}."))
    archives = staging / ".archives"  # removed before the move; never part of the installed asset
    try:
        records = []
        for remote in asset.files:
            destination = (archives if remote.unpack else staging) / remote.filename
            digest = download_file(remote, partials / f"{remote.filename}.part", destination,
                                   asset_name=asset.name, progress=progress, retry=retry)
            records.append({"url": remote.url, "filename": remote.filename, "size": destination.stat().st_size,
                            "sha256": digest, "verification": _verification_note(remote),
                            "unpacked": remote.unpack})
            if remote.unpack:
                unpack_archive(destination, staging)
                destination.unlink()
        shutil.rmtree(archives, ignore_errors=True)
        missing = missing_layout(staging, asset.layout)
        if missing:
            raise ArchiveError(f"asset {asset.name!r}: unexpected layout after unpacking: missing "
                               f"{', '.join(missing)}; found {describe_tree(staging)}. Nothing was installed")
        atomic_write_json(staging / MANIFEST_NAME, {
            "asset": asset.name,
            "installed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "files": records,
            "layout": list(asset.layout),
            "licence": asset.licence,
        })
        final = installed_dir(root, asset.name)
        if final.exists():  # an earlier install being replaced (--force) or one whose files were damaged
            shutil.rmtree(final)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(partials, ignore_errors=True)
    return final


def fetch(name: str, data_dir: str | Path | None = None, progress: bool = True, *,
          catalogue: dict[str, Asset] | None = None, retry: RetryPolicy | None = None,
          force: bool = False) -> Path:
    """Download, verify and install a catalogue asset; returns its directory.

    An asset that is already installed and verified is returned without any network
    access unless ``force``.  ``catalogue`` and ``retry`` exist for mirrors and tests.
    """
    asset = get_asset(name, catalogue)
    root = resolve_data_dir(data_dir)
    status = asset_status(asset, root)
    if status.usable and not force:
        return status.path
    if force:
        shutil.rmtree(downloads_dir(root, asset.name), ignore_errors=True)
    return _install(asset, root, progress, retry)

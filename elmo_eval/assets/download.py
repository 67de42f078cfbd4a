"""Download catalogue assets: resumable, verified, and installed atomically.

The life of one asset (see :func:`fetch`):

1. each file streams into ``<data_dir>/.downloads/<asset>/<file>.part``; a rerun after an
   interruption resumes it with an HTTP ``Range`` request (206), or restarts it cleanly
   when the server ignores the range (200);
2. the transfer must be known to be complete: its length is checked against the
   server's ``Content-Length`` (or ``Content-Range`` total, or the catalogue's size), or
   the server ended a chunked transfer properly. A transfer of unknown length (no
   ``Content-Length``, not chunked: the server just closed the connection) could have
   been cut short anywhere, so for a file with no published size or digest it is
   refused (:class:`UnverifiedDownloadError`; the bytes are kept, and a rerun with the
   file's SHA-256, ``fetch --sha256 FILE=HEX``, verifies and installs them);
3. the finished file's size and SHA-256 are checked against the catalogue (a mismatch
   deletes it); the digest is recorded either way;
4. archives are unpacked, plain files moved, into a fresh staging directory, whose layout
   is checked against the catalogue;
5. the manifest is written into the staging directory and the directory is renamed to
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
from .catalogue import Asset, RemoteFile, get_asset, with_digests
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


class UnverifiedDownloadError(DownloadError):
    """A transfer whose completeness cannot be checked (no length from the server, none published)."""


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


def _content_range_total(header: str | None) -> int | None:
    """The whole file's size from ``Content-Range: bytes START-END/TOTAL`` or ``bytes */TOTAL``."""
    match = re.match(r"\s*bytes\s+(?:\d+-\d+|\*)/(\d+)", header or "")
    return int(match.group(1)) if match else None


def _transfer_once(url: str, partial: Path, progress: bool, timeout_s: float, label: str,
                   expected_size: int | None = None) -> bool:
    """One HTTP request that appends to (206) or rewrites (200) ``partial``; raises on any failure.

    Returns whether the file is known to be complete: its length matched the length the server
    announced (``Content-Length``, a ``Content-Range`` total) or ``expected_size``, or the server
    ended a chunked transfer properly (a chunked transfer cut short raises). False means the server
    sent no length and closed the connection: a transfer cut short looks exactly the same.
    """
    offset = partial.stat().st_size if partial.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout_s)
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset:
            if _content_range_total(error.headers.get("Content-Range")) == offset:
                return True  # the partial file is the whole file (a kill after its last byte)
            # Our partial file is no prefix the server can continue (the remote file changed): start over.
            partial.unlink()
            raise _TruncatedTransfer(f"server refused to resume at byte {offset} (HTTP 416); restarting") from error
        raise
    with response:
        resumed = offset > 0 and response.status == 206
        content_range = response.headers.get("Content-Range")
        if resumed and _content_range_start(content_range) != offset:
            partial.unlink()
            raise _TruncatedTransfer(f"server resumed at the wrong offset "
                                     f"({content_range!r}, wanted {offset}); restarting")
        start = offset if resumed else 0  # 200 to a range request: the server sends everything again
        length_header = response.headers.get("Content-Length")
        total = start + int(length_header) if length_header is not None else None
        if total is None and resumed:
            total = _content_range_total(content_range)
        total = expected_size if total is None else total
        chunked = "chunked" in (response.headers.get("Transfer-Encoding") or "").lower()
        with partial.open("ab" if resumed else "wb") as stream, \
                tqdm(total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024,
                     desc=label, disable=not progress, leave=False) as bar:
            got = 0
            while True:
                try:
                    block = response.read(CHUNK_BYTES)
                except http.client.IncompleteRead as cut:  # a chunked transfer ended before its last chunk
                    stream.write(cut.partial)  # what did arrive is a prefix: the rerun resumes after it
                    raise _TruncatedTransfer(f"chunked transfer cut after {start + got + len(cut.partial)} "
                                             "bytes") from cut
                if not block:
                    break
                stream.write(block)
                got += len(block)
                bar.update(len(block))
    received = partial.stat().st_size
    if total is not None and received < total:
        raise _TruncatedTransfer(f"connection closed after {received} of {total} bytes")
    return total is not None or chunked


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


def _whole_already(remote: RemoteFile, partial: Path) -> bool:
    """Whether ``partial`` is already the complete file, by the catalogue's size or digest."""
    if not partial.exists():
        return False
    if remote.size is not None:
        return partial.stat().st_size == remote.size
    return remote.sha256 is not None and sha256_of(partial) == remote.sha256.lower()


def download_file(remote: RemoteFile, partial: Path, destination: Path, *, asset_name: str,
                  progress: bool = True, retry: RetryPolicy | None = None) -> str:
    """Download ``remote`` via ``partial`` (kept between runs for resuming), verify it, move it to ``destination``.

    Returns the file's SHA-256.  Transient failures (network errors, truncated transfers,
    HTTP 408/429/5xx) are retried ``retry.attempts`` times in all with backoff; other HTTP
    errors fail at once with :class:`HTTPStatusError`.  A transfer whose completeness cannot be
    known (see :func:`_transfer_once`) of a file with neither size nor SHA-256 in the catalogue
    raises :class:`UnverifiedDownloadError` and keeps the bytes in ``partial``.
    """
    retry = retry or RetryPolicy()
    partial.parent.mkdir(parents=True, exist_ok=True)
    if remote.size is not None and partial.exists() and partial.stat().st_size > remote.size:
        partial.unlink()  # longer than the real file: not a prefix of it
    failures = 0
    complete = _whole_already(remote, partial)
    while not complete:
        try:
            complete = _transfer_once(remote.url, partial, progress, retry.timeout_s, label=remote.filename,
                                      expected_size=remote.size)
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
    if not complete and remote.size is None and remote.sha256 is None:
        raise UnverifiedDownloadError(
            f"asset {asset_name!r}: {remote.url} sent {partial.stat().st_size} bytes with no length (no "
            f"Content-Length, not chunked) and the catalogue has no size or SHA-256 for it, so the transfer "
            f"could not be verified as complete: it may have been cut short. Nothing was installed; the bytes "
            f"are kept at {partial}. Rerun with the file's published digest (elmo-eval fetch {asset_name} "
            f"--sha256 {remote.filename}=HEX) to verify and install them, or rerun later to download again")
    digest = _verify(partial, remote, asset_name)
    destination.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, destination)
    return digest


def _verification_note(remote: RemoteFile, given: frozenset[str]) -> str:
    if remote.filename in given:
        return "given-sha256"
    if remote.sha256 is not None:
        return "published-sha256"
    if remote.size is not None:
        return "published-size"
    return "recorded"


def _install(asset: Asset, root: Path, progress: bool, retry: RetryPolicy | None,
             given: frozenset[str] = frozenset()) -> Path:
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
                            "sha256": digest, "verification": _verification_note(remote, given),
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
          force: bool = False, digests: dict[str, str] | None = None) -> Path:
    """Download, verify and install a catalogue asset; returns its directory.

    An asset that is already installed and verified is returned without any network
    access unless ``force``.  ``catalogue`` and ``retry`` exist for mirrors and tests.
    ``digests`` (``{filename: sha256 hex}``) pins digests the catalogue lacks, e.g. ones the
    user has from the publisher (:func:`~.catalogue.with_digests`); an installed file whose
    recorded digest differs is downloaded again.
    """
    asset = get_asset(name, catalogue)
    if digests:
        asset = with_digests(asset, digests)
    root = resolve_data_dir(data_dir)
    status = asset_status(asset, root)
    if status.usable and not force:
        return status.path
    if force:
        shutil.rmtree(downloads_dir(root, asset.name), ignore_errors=True)
    return _install(asset, root, progress, retry, frozenset(digests or ()))

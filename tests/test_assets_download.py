"""The downloader against a local HTTP server (no internet): resume, checksums, retries, archives, listing."""
from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from elmo_eval.assets import (
    ChecksumError,
    DownloadError,
    HTTPStatusError,
    RetryPolicy,
    UnverifiedDownloadError,
    asset_path,
    fetch,
    resolve_data_dir,
)
from elmo_eval.assets.archive import ArchiveError
from elmo_eval.assets.catalogue import (
    Asset,
    CatalogueError,
    RemoteFile,
    catalogue_from_json,
    catalogue_to_json,
    get_asset,
)
from elmo_eval.assets.cli import format_asset_table
from elmo_eval.assets.datadir import MANIFEST_NAME, read_manifest
from elmo_eval.assets.status import asset_status
from elmo_eval.cli import main

FAST_RETRY = RetryPolicy(attempts=3, backoff_s=0.001, max_backoff_s=0.01, timeout_s=5.0)


class AssetServer(ThreadingHTTPServer):
    """Serves ``files`` on 127.0.0.1 with Range support; can truncate once, fail, or ignore ranges per path."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), AssetRequestHandler)
        self.files: dict[str, bytes] = {}
        self.truncate_once: set[str] = set()
        self.ignore_range: set[str] = set()
        self.no_length: set[str] = set()  # no Content-Length: the body ends when the connection closes
        self.chunked: set[str] = set()  # Transfer-Encoding: chunked (a cut ends without the last chunk)
        self.cut_at: dict[str, int] = {}  # the next transfer stops after this many bytes of the body
        self.status_for: dict[str, int] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_port}{path}"

    def requests_for(self, path: str) -> list[str | None]:
        with self.lock:
            return [range_header for requested, range_header in self.requests if requested == path]


class AssetRequestHandler(BaseHTTPRequestHandler):
    server: AssetServer

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        server = self.server
        range_header = self.headers.get("Range")
        with server.lock:
            server.requests.append((self.path, range_header))
        if self.path in server.status_for:
            self.send_error(server.status_for[self.path])
            return
        body = server.files.get(self.path)
        if self.path in server.chunked:
            self.protocol_version = "HTTP/1.1"
        if body is None:
            self.send_error(404)
            return
        start = 0
        if range_header and self.path not in server.ignore_range:
            start = int(re.fullmatch(r"bytes=(\d+)-", range_header).group(1))
            if start >= len(body):  # as real servers do: nothing left to send
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        payload = body[start:]
        if self.path in server.chunked:
            self._send_chunked(payload)
            return
        if self.path not in server.no_length:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.path in server.truncate_once:
            server.truncate_once.discard(self.path)
            payload = payload[: len(payload) // 2]  # announce everything, send half, hang up
        if self.path in server.cut_at:
            payload = payload[: server.cut_at.pop(self.path)]
        self.wfile.write(payload)

    def _send_chunked(self, payload: bytes) -> None:
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        cut = self.server.cut_at.pop(self.path, None)
        sent = payload if cut is None else payload[:cut]
        for begin in range(0, len(sent), 65536):
            block = sent[begin: begin + 65536]
            self.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
        if cut is None:
            self.wfile.write(b"0\r\n\r\n")  # the last chunk: the body is complete
        self.close_connection = True


@pytest.fixture
def server():
    httpd = AssetServer()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _payload(size: int, seed: int) -> bytes:
    """Deterministic pseudo-random bytes (not compressible, so truncation is visible)."""
    blocks = b"".join(hashlib.sha256(f"{seed}-{i}".encode()).digest() for i in range(size // 32 + 1))
    return blocks[:size]


def _plain_asset(server: AssetServer, name: str = "toy-model", publish_digest: bool = True) -> tuple[Asset, dict]:
    contents = {"options.json": b'{"lstm": {"dim": 8}}', "weights.hdf5": _payload(300_000, seed=1)}
    files = []
    for filename, body in contents.items():
        server.files[f"/{name}/{filename}"] = body
        files.append(RemoteFile(server.url(f"/{name}/{filename}"), filename,
                                size=len(body) if publish_digest else None,
                                sha256=hashlib.sha256(body).hexdigest() if publish_digest else None))
    asset = Asset(name=name, description="toy", files=tuple(files), licence="test", tasks=("ner",),
                  layout=tuple(contents), aliases=(f"{name}-alias",))
    return asset, contents


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, body in members.items():
            bundle.writestr(name, body)
    return buffer.getvalue()


def _tar_gz_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as bundle:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            bundle.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def _archive_asset(server: AssetServer, kind: str, members: dict[str, bytes], layout: tuple[str, ...]) -> Asset:
    body = _zip_bytes(members) if kind == "zip" else _tar_gz_bytes(members)
    filename = f"corpus.{kind}"
    server.files[f"/{filename}"] = body
    remote = RemoteFile(server.url(f"/{filename}"), filename, size=len(body),
                        sha256=hashlib.sha256(body).hexdigest(), unpack=True)
    return Asset(name=f"corpus-{kind.replace('.', '-')}", description="toy corpus", files=(remote,),
                 licence="test", tasks=("snli",), layout=layout)


def _nothing_installed(data_dir: Path, asset: Asset) -> bool:
    staging = data_dir / ".staging"
    return not (data_dir / asset.name).exists() and (not staging.exists() or not any(staging.iterdir()))


def test_fetch_installs_verifies_and_then_needs_no_network(server, tmp_path):
    asset, contents = _plain_asset(server)
    catalogue = {asset.name: asset}
    installed = fetch(asset.name, tmp_path, progress=False, catalogue=catalogue, retry=FAST_RETRY)
    assert installed == tmp_path / asset.name
    for filename, body in contents.items():
        assert (installed / filename).read_bytes() == body
    manifest = read_manifest(installed)
    assert {record["sha256"] for record in manifest["files"]} == {hashlib.sha256(b).hexdigest()
                                                                   for b in contents.values()}
    assert asset_status(asset, tmp_path).verification == "verified"
    assert asset_path(f"{asset.name}-alias", tmp_path, catalogue=catalogue) == installed
    assert not (tmp_path / ".downloads" / asset.name).exists()

    requests_before = len(server.requests)
    assert fetch(asset.name, tmp_path, progress=False, catalogue=catalogue) == installed
    assert len(server.requests) == requests_before


def test_fetch_without_published_digest_records_the_computed_one(server, tmp_path):
    asset, contents = _plain_asset(server, publish_digest=False)
    installed = fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: asset}, retry=FAST_RETRY)
    records = {record["filename"]: record for record in read_manifest(installed)["files"]}
    assert records["weights.hdf5"]["sha256"] == hashlib.sha256(contents["weights.hdf5"]).hexdigest()
    assert records["weights.hdf5"]["verification"] == "recorded"
    assert asset_status(asset, tmp_path).verification == "recorded"


def test_wrong_checksum_deletes_the_file_and_names_asset_and_digests(server, tmp_path):
    asset, contents = _plain_asset(server)
    wrong = "0" * 64
    weights = asset.files[1]
    bad_asset = Asset(**{**asset.__dict__, "files": (asset.files[0], RemoteFile(weights.url, weights.filename,
                                                                                 size=weights.size, sha256=wrong))})
    with pytest.raises(ChecksumError) as caught:
        fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: bad_asset}, retry=FAST_RETRY)
    message = str(caught.value)
    assert asset.name in message and wrong in message
    assert hashlib.sha256(contents["weights.hdf5"]).hexdigest() in message
    assert not list((tmp_path / ".downloads").rglob("*.part"))
    assert _nothing_installed(tmp_path, asset)
    assert asset_path(asset.name, tmp_path, catalogue={asset.name: bad_asset}) is None


def test_truncated_transfer_resumes_with_a_range_request(server, tmp_path):
    asset, contents = _plain_asset(server)
    server.truncate_once.add(f"/{asset.name}/weights.hdf5")
    installed = fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: asset}, retry=FAST_RETRY)
    assert (installed / "weights.hdf5").read_bytes() == contents["weights.hdf5"]
    ranges = server.requests_for(f"/{asset.name}/weights.hdf5")
    assert ranges == [None, f"bytes={len(contents['weights.hdf5']) // 2}-"]


def test_server_ignoring_range_restarts_cleanly(server, tmp_path):
    asset, contents = _plain_asset(server)
    path = f"/{asset.name}/weights.hdf5"
    server.truncate_once.add(path)
    server.ignore_range.add(path)  # answers 200 with the whole file to the resume request
    installed = fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: asset}, retry=FAST_RETRY)
    assert (installed / "weights.hdf5").read_bytes() == contents["weights.hdf5"]
    assert len(server.requests_for(path)) == 2


def test_partial_file_from_an_earlier_run_is_resumed(server, tmp_path):
    asset, contents = _plain_asset(server)
    partial = tmp_path / ".downloads" / asset.name / "weights.hdf5.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(contents["weights.hdf5"][:1000])
    installed = fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: asset}, retry=FAST_RETRY)
    assert (installed / "weights.hdf5").read_bytes() == contents["weights.hdf5"]
    assert server.requests_for(f"/{asset.name}/weights.hdf5") == ["bytes=1000-"]


def test_server_error_is_retried_a_bounded_number_of_times(server, tmp_path):
    asset, _ = _plain_asset(server)
    server.status_for[f"/{asset.name}/options.json"] = 500
    with pytest.raises(DownloadError) as caught:
        fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: asset}, retry=FAST_RETRY)
    message = str(caught.value)
    assert "HTTP 500" in message and asset.files[0].url in message and "3 attempts" in message
    assert len(server.requests_for(f"/{asset.name}/options.json")) == FAST_RETRY.attempts
    assert _nothing_installed(tmp_path, asset)


def test_missing_file_fails_at_once_naming_url_and_status(server, tmp_path):
    asset, _ = _plain_asset(server)
    del server.files[f"/{asset.name}/weights.hdf5"]
    with pytest.raises(HTTPStatusError) as caught:
        fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: asset}, retry=FAST_RETRY)
    assert caught.value.status == 404
    assert "404" in str(caught.value) and asset.files[1].url in str(caught.value)
    assert len(server.requests_for(f"/{asset.name}/weights.hdf5")) == 1
    assert _nothing_installed(tmp_path, asset)


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_archive_is_unpacked_and_not_kept(server, tmp_path, kind):
    members = {"corpus/train.jsonl": b'{"a": 1}\n', "corpus/dev.jsonl": b'{"a": 2}\n'}
    asset = _archive_asset(server, kind, members, layout=tuple(members))
    installed = fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: asset}, retry=FAST_RETRY)
    assert (installed / "corpus" / "dev.jsonl").read_bytes() == b'{"a": 2}\n'
    assert sorted(p.name for p in installed.iterdir()) == [MANIFEST_NAME, "corpus"]


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_archive_with_unexpected_layout_installs_nothing(server, tmp_path, kind):
    asset = _archive_asset(server, kind, {"other/train.jsonl": b"{}\n"},
                           layout=("corpus/train.jsonl", "corpus/dev.jsonl"))
    with pytest.raises(ArchiveError) as caught:
        fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: asset}, retry=FAST_RETRY)
    assert "corpus/dev.jsonl" in str(caught.value) and "other/train.jsonl" in str(caught.value)
    assert _nothing_installed(tmp_path, asset)
    assert asset_path(asset.name, tmp_path, catalogue={asset.name: asset}) is None


def test_archive_escaping_its_directory_is_refused(server, tmp_path):
    asset = _archive_asset(server, "zip", {"../escaped.txt": b"x"}, layout=("escaped.txt",))
    with pytest.raises(ArchiveError, match="outside the target"):
        fetch(asset.name, tmp_path / "data", progress=False, catalogue={asset.name: asset}, retry=FAST_RETRY)
    assert not (tmp_path / "escaped.txt").exists()


def test_damaged_install_is_not_usable(server, tmp_path):
    asset, _ = _plain_asset(server)
    catalogue = {asset.name: asset}
    installed = fetch(asset.name, tmp_path, progress=False, catalogue=catalogue, retry=FAST_RETRY)
    (installed / "weights.hdf5").unlink()
    assert asset_status(asset, tmp_path).state == "damaged"
    assert asset_path(asset.name, tmp_path, catalogue=catalogue) is None
    assert fetch(asset.name, tmp_path, progress=False, catalogue=catalogue, retry=FAST_RETRY) == installed
    assert (installed / "weights.hdf5").exists()


def test_data_list_shows_state_verification_and_where(server, tmp_path):
    installed_asset, _ = _plain_asset(server, name="toy-model")
    absent_asset, _ = _plain_asset(server, name="toy-absent", publish_digest=False)
    catalogue = {installed_asset.name: installed_asset, absent_asset.name: absent_asset}
    installed = fetch(installed_asset.name, tmp_path, progress=False, catalogue=catalogue, retry=FAST_RETRY)
    table = format_asset_table(tmp_path, catalogue)
    lines = {line.split()[0]: line for line in table.splitlines() if line.strip()}
    assert lines["toy-model"].split()[1:3] == ["installed", "verified"] and str(installed) in lines["toy-model"]
    assert lines["toy-absent"].split()[1] == "absent" and "elmo-eval fetch toy-absent" in lines["toy-absent"]
    assert lines["ner"].split()[1] == "absent" and "data check ner" in lines["ner"]


def test_cli_fetch_and_list_with_a_catalogue_file(server, tmp_path, monkeypatch, capsys):
    asset, contents = _plain_asset(server)
    catalogue_file = tmp_path / "catalogue.json"
    catalogue_file.write_text(catalogue_to_json({asset.name: asset}))
    assert catalogue_from_json(catalogue_file) == {asset.name: asset}
    monkeypatch.setenv("ELMO_EVAL_CATALOGUE", str(catalogue_file))
    data_dir = tmp_path / "data"
    assert main(["fetch", asset.name, "--data-dir", str(data_dir), "--no-progress"]) == 0
    assert (data_dir / asset.name / "options.json").read_bytes() == contents["options.json"]
    assert main(["fetch", "no-such-asset", "--data-dir", str(data_dir)]) == 2  # a usage error
    assert "unknown asset 'no-such-asset'" in capsys.readouterr().err
    assert main(["data", "list", "--data-dir", str(data_dir)]) == 0
    assert re.search(rf"^{asset.name}\s+installed\s+verified", capsys.readouterr().out, re.MULTILINE)


def test_default_catalogue_lists_the_official_assets():
    assert get_asset("2x4096_512_2048cnn_2xhighway").name == "elmo-original"
    weights = get_asset("elmo-original-5.5b").files[1]
    assert weights.url == ("https://allennlp.s3.amazonaws.com/models/elmo/2x4096_512_2048cnn_2xhighway_5.5B/"
                           "elmo_2x4096_512_2048cnn_2xhighway_5.5B_weights.hdf5")
    for name in ("squad-1.1", "snli-1.0", "sst", "ag-news", "glove-840b-300d", "glove-6b", "elmo-small",
                 "elmo-medium"):
        asset = get_asset(name)
        assert asset.layout and asset.licence and asset.tasks
        for remote in asset.files:
            assert remote.url.startswith("https://")
            assert remote.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", remote.sha256)
            assert remote.sha256 is not None or "digest" in asset.note  # every null digest is explained


def test_data_dir_resolution_order(tmp_path, monkeypatch):
    monkeypatch.setenv("ELMO_EVAL_DATA", str(tmp_path / "from-env"))
    assert resolve_data_dir(tmp_path / "given") == tmp_path / "given"
    assert resolve_data_dir() == tmp_path / "from-env"
    monkeypatch.delenv("ELMO_EVAL_DATA")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_data_dir() == tmp_path / ".cache" / "elmo-eval"


def test_manifest_is_valid_json_with_licence(server, tmp_path):
    asset, _ = _plain_asset(server)
    installed = fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: asset}, retry=FAST_RETRY)
    manifest = json.loads((installed / MANIFEST_NAME).read_text())
    assert manifest["asset"] == asset.name and manifest["licence"] == "test"


# --- transfers whose end cannot be told from a cut ------------------------------------------------

def _weights(asset: Asset) -> tuple[str, RemoteFile]:
    remote = asset.files[1]
    return f"/{asset.name}/weights.hdf5", remote


def test_a_transfer_of_unknown_length_is_never_installed_without_a_size_or_digest(server, tmp_path):
    """The reported case: no Content-Length, nothing published, the connection closes after a third."""
    asset, contents = _plain_asset(server, publish_digest=False)
    path, remote = _weights(asset)
    body = contents["weights.hdf5"]
    server.no_length.add(path)
    server.ignore_range.add(path)  # a plain server: no ranges either
    server.cut_at[path] = len(body) // 3
    catalogue = {asset.name: asset}
    with pytest.raises(UnverifiedDownloadError) as caught:
        fetch(asset.name, tmp_path, progress=False, catalogue=catalogue, retry=FAST_RETRY)
    message = str(caught.value)
    assert f"sent {len(body) // 3} bytes with no length" in message and "could not be verified as complete" in message
    assert "--sha256 weights.hdf5=HEX" in message and asset.name in message
    assert _nothing_installed(tmp_path, asset) and asset_path(asset.name, tmp_path, catalogue=catalogue) is None
    partial = tmp_path / ".downloads" / asset.name / "weights.hdf5.part"
    assert partial.stat().st_size == len(body) // 3  # kept: a digest given later can vouch for it
    # Even the whole file is refused: over such a transfer it looks the same as a cut one.
    with pytest.raises(UnverifiedDownloadError):
        fetch(asset.name, tmp_path, progress=False, catalogue=catalogue, retry=FAST_RETRY)
    assert _nothing_installed(tmp_path, asset) and partial.read_bytes() == body
    # With the digest the kept bytes are verified and installed, without another request.
    before = len(server.requests_for(path))
    digest = hashlib.sha256(body).hexdigest()
    installed = fetch(asset.name, tmp_path, progress=False, catalogue=catalogue, retry=FAST_RETRY,
                      digests={"weights.hdf5": digest.upper()})
    assert (installed / "weights.hdf5").read_bytes() == body and len(server.requests_for(path)) == before
    records = {record["filename"]: record for record in read_manifest(installed)["files"]}
    assert records["weights.hdf5"]["verification"] == "given-sha256" and records["weights.hdf5"]["sha256"] == digest


def test_a_cut_transfer_of_unknown_length_with_a_digest_is_fetched_again(server, tmp_path):
    asset, contents = _plain_asset(server, publish_digest=False)
    path, _ = _weights(asset)
    body = contents["weights.hdf5"]
    server.no_length.add(path)
    server.ignore_range.add(path)
    partial = tmp_path / ".downloads" / asset.name / "weights.hdf5.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(body[:1000])  # an earlier cut transfer
    installed = fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: asset}, retry=FAST_RETRY,
                      digests={"weights.hdf5": hashlib.sha256(body).hexdigest()})
    assert (installed / "weights.hdf5").read_bytes() == body


def test_a_cut_transfer_of_unknown_length_with_a_published_size_resumes(server, tmp_path):
    asset, contents = _plain_asset(server, publish_digest=False)
    path, remote = _weights(asset)
    body = contents["weights.hdf5"]
    sized = Asset(**{**asset.__dict__, "files": (asset.files[0], RemoteFile(remote.url, remote.filename,
                                                                             size=len(body)))})
    server.no_length.add(path)
    server.cut_at[path] = len(body) // 3
    installed = fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: sized}, retry=FAST_RETRY)
    assert (installed / "weights.hdf5").read_bytes() == body
    assert server.requests_for(path) == [None, f"bytes={len(body) // 3}-"]


def test_a_resumed_transfer_is_verified_by_its_content_range_total(server, tmp_path):
    asset, contents = _plain_asset(server, publish_digest=False)
    path, _ = _weights(asset)
    body = contents["weights.hdf5"]
    server.no_length.add(path)  # 206 with "Content-Range: bytes 1000-N/TOTAL" and no Content-Length
    partial = tmp_path / ".downloads" / asset.name / "weights.hdf5.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(body[:1000])
    installed = fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: asset}, retry=FAST_RETRY)
    assert (installed / "weights.hdf5").read_bytes() == body


def test_a_partial_file_that_is_already_whole_is_confirmed_by_the_servers_416(server, tmp_path):
    """Killed after the last byte arrived: the server's 416 with ``bytes */TOTAL`` says it is complete."""
    asset, contents = _plain_asset(server, publish_digest=False)
    path, _ = _weights(asset)
    partial = tmp_path / ".downloads" / asset.name / "weights.hdf5.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(contents["weights.hdf5"])
    installed = fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: asset}, retry=FAST_RETRY)
    assert (installed / "weights.hdf5").read_bytes() == contents["weights.hdf5"]
    assert server.requests_for(path) == [f"bytes={len(contents['weights.hdf5'])}-"]


def test_a_chunked_transfer_is_verified_by_its_last_chunk_and_a_cut_one_resumes(server, tmp_path):
    asset, contents = _plain_asset(server, publish_digest=False)
    path, _ = _weights(asset)
    body = contents["weights.hdf5"]
    server.chunked.add(path)
    server.cut_at[path] = 100_000  # the connection closes before the last chunk: a truncated transfer
    installed = fetch(asset.name, tmp_path, progress=False, catalogue={asset.name: asset}, retry=FAST_RETRY)
    assert (installed / "weights.hdf5").read_bytes() == body
    assert server.requests_for(path) == [None, "bytes=100000-"]  # what arrived before the cut is kept


def test_fetch_digest_options_are_checked(server, tmp_path, monkeypatch, capsys):
    asset, contents = _plain_asset(server, publish_digest=False)
    pinned, _ = _plain_asset(server, name="pinned")
    catalogue_file = tmp_path / "catalogue.json"
    catalogue_file.write_text(catalogue_to_json({asset.name: asset, pinned.name: pinned}))
    monkeypatch.setenv("ELMO_EVAL_CATALOGUE", str(catalogue_file))
    data_dir = str(tmp_path / "data")
    for given, expected in [("weights.hdf5", "expected FILE=HEX"),
                            ("other.bin=" + "0" * 64, "no file 'other.bin' in toy-model"),
                            ("weights.hdf5=abc", "sha256 must be 64 hexadecimal digits, found 'abc'")]:
        assert main(["fetch", asset.name, "--data-dir", data_dir, "--no-progress", "--sha256", given]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and expected in err, err
    assert main(["fetch", pinned.name, "--data-dir", data_dir, "--sha256", "weights.hdf5=" + "0" * 64]) == 2
    assert "contradicts the SHA-256 the catalogue pins" in capsys.readouterr().err
    assert not (tmp_path / "data" / asset.name).exists() and not server.requests
    digest = hashlib.sha256(contents["weights.hdf5"]).hexdigest()
    assert main(["fetch", asset.name, "--data-dir", data_dir, "--no-progress", "--sha256",
                 f"weights.hdf5={digest}"]) == 0
    server.no_length.add(f"/{asset.name}/options.json")
    assert main(["fetch", asset.name, "--data-dir", data_dir, "--no-progress", "--force"]) == 1
    assert "could not be verified as complete" in capsys.readouterr().err


def test_a_malformed_catalogue_file_is_a_usage_error(tmp_path):
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps({"assets": [{"name": "x", "description": "", "licence": "", "layout": ["a"],
                                            "files": [{"url": "http://x/a", "filename": "a", "sha256": "nope"}]}]}))
    with pytest.raises(CatalogueError, match=r"catalogue.json: asset 'x', file 'a': sha256 must be 64"):
        catalogue_from_json(path)
    path.write_text("[]")
    with pytest.raises(CatalogueError, match="not a valid asset catalogue"):
        catalogue_from_json(path)

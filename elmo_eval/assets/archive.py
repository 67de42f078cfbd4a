"""Unpack zip / tar archives safely and check that an unpacked asset has the files it should."""
from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from elmo_eval.errors import UsageError


class ArchiveError(UsageError, RuntimeError):
    """An archive that cannot be unpacked, or whose contents are not what the catalogue expects."""


def _check_member_name(archive: Path, member: str) -> None:
    """Refuse absolute paths and ``..`` so an archive can never write outside its target."""
    parts = PurePosixPath(member.replace("\\", "/")).parts
    if member.startswith(("/", "\\")) or (parts and ":" in parts[0]) or ".." in parts:
        raise ArchiveError(f"{archive}: member {member!r} would be written outside the target directory")


def _unpack_zip(archive: Path, target: Path) -> None:
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.namelist():
            _check_member_name(archive, member)
        bundle.extractall(target)


def _unpack_tar(archive: Path, target: Path) -> None:
    with tarfile.open(archive) as bundle:  # mode "r:*" detects gzip / bzip2 / xz
        members = bundle.getmembers()
        for member in members:
            _check_member_name(archive, member.name)
            if not (member.isfile() or member.isdir()):
                raise ArchiveError(f"{archive}: member {member.name!r} is a link or device; only regular "
                                   "files and directories are accepted")
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 / 3.12: belt and braces
            bundle.extractall(target, members=members, filter="data")
        else:
            bundle.extractall(target, members=members)


def unpack_archive(archive: Path, target: Path) -> None:
    """Unpack ``archive`` (zip, tar, tar.gz/tgz, tar.bz2, tar.xz) into the directory ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    try:
        if zipfile.is_zipfile(archive):
            _unpack_zip(archive, target)
        elif tarfile.is_tarfile(archive):
            _unpack_tar(archive, target)
        else:
            raise ArchiveError(f"{archive}: not a zip or tar archive (the catalogue marks it as one to unpack)")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as error:
        raise ArchiveError(f"{archive}: corrupt archive ({error})") from error


def missing_layout(root: Path, expected: Iterable[str]) -> list[str]:
    """The expected relative paths that do not exist under ``root`` (empty when the layout is right)."""
    return [relative for relative in expected if not (root / relative).exists()]


def describe_tree(root: Path, limit: int = 20) -> str:
    """A short listing of what is under ``root``, for error messages about a wrong layout."""
    found = sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
    shown = ", ".join(found[:limit])
    more = f" (+{len(found) - limit} more)" if len(found) > limit else ""
    return (shown + more) or "nothing"

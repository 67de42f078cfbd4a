"""Documents from raw text sources, each a list of paragraphs (strings).

A source is a file, a directory or a glob pattern (one source, e.g. ``'reuters/*.sgm'``);
its format is detected per file:

* WikiExtractor output: ``<doc id=... title=...>`` ... ``</doc>`` blocks; one paragraph a
  line, the first line (the title) is dropped;
* SGML newswire (Reuters-21578 ``.sgm``): the text inside each ``<BODY>``; wrapped lines are
  joined, an indented line starts a paragraph, the closing "Reuter" signature is dropped;
* anything else is plain text, one document per file, paragraphs separated by blank lines
  (IMDb review folders: one review a file, ``<br />`` is a paragraph break).

Directories are walked recursively in sorted order (hidden files skipped), so the
document order, and everything derived from it, is fixed.
"""
from __future__ import annotations

import glob
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from elmo_eval.errors import UsageError


class SourceError(UsageError, ValueError):
    """A source the user has to fix (missing, empty, unreadable markup)."""


@dataclass(frozen=True)
class Document:
    """One document: ``source`` = the SOURCE argument it came from, ``key`` = file[#n]."""

    source: str
    key: str
    paragraphs: list[str]


_DOC_OPEN = re.compile(r"<doc\b[^>]*>")
_BODY = re.compile(r"<BODY>(.*?)</BODY>", re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_REUTER_SIGN = re.compile(r"\s*\bReuter\s*$", re.IGNORECASE)


def source_files(source: str | Path) -> list[Path]:
    path = Path(source)
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*")
                       if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts))
        if not files:
            raise SourceError(f"source directory {path} contains no files")
        return files
    if glob.has_magic(str(source)):
        files = sorted(Path(p) for p in glob.glob(str(source), recursive=True) if Path(p).is_file())
        if not files:
            raise SourceError(f"source pattern {source} matches no file")
        return files
    raise SourceError(f"source {path} does not exist (expected a file, a directory or a quoted glob)")


def _read(path: Path) -> str:
    # Reuters-21578 is mostly ASCII with a few Latin-1 bytes; never fail on one byte.
    return path.read_text(encoding="utf-8", errors="replace")


def _plain_paragraphs(text: str) -> list[str]:
    text = _BREAK.sub("\n\n", text)
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text) if block.strip()]


def wiki_documents(path: Path, text: str) -> Iterator[tuple[str, list[str]]]:
    starts = list(_DOC_OPEN.finditer(text))
    for number, match in enumerate(starts):
        end = text.find("</doc>", match.end())
        if end < 0:
            line = text.count("\n", 0, match.start()) + 1
            raise SourceError(f"{path}:{line}: <doc> without </doc> (expected WikiExtractor output)")
        lines = [line.strip() for line in text[match.end():end].split("\n")]
        lines = [line for line in lines if line]
        yield f"{path}#{number}", lines[1:]  # the first line repeats the title


def sgml_documents(path: Path, text: str) -> Iterator[tuple[str, list[str]]]:
    for number, match in enumerate(_BODY.finditer(text)):
        body = html.unescape(match.group(1)).replace("\x03", "")
        body = _REUTER_SIGN.sub("", body)
        # An indented line opens a paragraph; other line breaks are wrapping.
        paragraphs = [" ".join(block.split()) for block in re.split(r"\n(?=[ \t])", body)]
        yield f"{path}#{number}", [p for p in paragraphs if p]


def file_documents(path: Path) -> Iterator[tuple[str, list[str]]]:
    text = _read(path)
    if text.lstrip().startswith("<doc "):
        yield from wiki_documents(path, text)
    elif "<REUTERS" in text[:5000]:
        yield from sgml_documents(path, text)
    else:
        yield str(path), _plain_paragraphs(text)


def iter_documents(source: str | Path) -> Iterator[Document]:
    """The non-empty documents of one source, in a fixed order."""
    for path in source_files(source):
        for key, paragraphs in file_documents(path):
            if paragraphs:
                yield Document(str(source), key, paragraphs)

"""Opening an input file as text, strictly: UTF-8, or one error naming the file and the line of the bad byte.

Every reader, the GloVe reader and the pretraining corpus read their files through here, so that they
all agree on what a text file is:

* UTF-8 only. Python's own error (``'utf-8' codec can't decode byte 0xe9 in position 176``) names
  neither the file nor the line, and the position is counted from the start of whatever chunk the
  decoder had, not of the file; here it becomes ``"{path}:{line}: byte 0xe9 at column 4 is not
  UTF-8 ...; expected UTF-8 text"`` in the caller's error class (``error``), which derives from
  :class:`~elmo_eval.errors.UsageError` so that the command line prints it as one line.
* A byte-order mark at the start of the file is dropped (never read as data).
* Lines end at LF, CR LF or CR (Python's universal newlines): a file written on Windows reads like
  the same file written on Linux.
* ``.gz`` files are decompressed.

:func:`read_text` reads a whole file (the readers that hold a file in memory anyway, which lets them
work on the whole text in C); :func:`iter_lines` streams one line at a time (GloVe files of several
gigabytes, pretraining corpora).
"""
from __future__ import annotations

import codecs
import gzip
import io
from collections.abc import Callable, Iterator
from operator import methodcaller
from pathlib import Path
from typing import BinaryIO, TextIO

from elmo_eval.readers.errors import DataFormatError

# error(path, where, message) -> the exception to raise; DataFormatError's own signature
ErrorFactory = Callable[[Path, "int | str | None", str], Exception]

EXPECTED = "expected UTF-8 text"


def open_binary(path: str | Path) -> BinaryIO:
    """The bytes of a file, decompressed when its name ends in ``.gz``."""
    path = Path(path)
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _read_bytes(path: Path, error: ErrorFactory) -> bytes:
    try:
        with open_binary(path) as handle:
            return handle.read()
    except (OSError, EOFError) as problem:
        raise _unreadable(path, problem, error) from None


def _unreadable(path: Path, problem: BaseException, error: ErrorFactory) -> Exception:
    """A file that cannot be opened or read (missing, a folder, not gzip, a cut-short gzip), as ``error``."""
    reason = problem.strerror if isinstance(problem, OSError) and problem.strerror else str(problem)
    return error(path, "file", f"cannot be read ({reason})")


def _not_utf8(path: Path, data: bytes, offset: int, reason: str, first_line_no: int,
              error: ErrorFactory) -> Exception:
    """The error for an invalid byte at ``offset`` of ``data`` (whose first line is ``first_line_no``).

    Lines are counted as :func:`read_text` splits them (LF, CR LF, lone CR), so the number is the
    one an editor shows; the column is in bytes, since the line cannot be decoded to count characters.
    """
    before = data[:offset]
    line_no = first_line_no + before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n")
    line_start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
    byte = data[offset]
    return error(path, line_no, f"byte 0x{byte:02x} at column {offset - line_start + 1} is not UTF-8 "
                                f"({reason}); {EXPECTED}")


def read_text(path: str | Path, error: ErrorFactory = DataFormatError) -> str:
    """The whole text of a file: UTF-8 (else ``error`` naming the line), BOM dropped, newlines as LF.

    Decoding the whole file in one call costs no more than decoding it as it is read; only when it
    fails are the bytes before the bad one scanned to count lines.
    """
    path = Path(path)
    data = _read_bytes(path, error)
    try:
        text = data.decode("utf-8-sig")  # -sig: drops one leading BOM
    except UnicodeDecodeError as problem:
        # problem.object is what the decoder saw (the bytes after a BOM): its offsets refer to it
        raise _not_utf8(path, problem.object, problem.start, problem.reason, 1, error) from None
    if "\r" in text:  # a one-character search runs at memchr speed: LF files pay nothing more
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def text_lines(text: str) -> list[str]:
    """The lines of a text read by :func:`read_text`, without their line ends."""
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()  # the file's final newline ends the last line; it does not start another
    return lines


def read_lines(path: str | Path, error: ErrorFactory = DataFormatError) -> list[str]:
    """The lines of a text file without their line ends; ``lines[i]`` is line ``i + 1``."""
    return text_lines(read_text(path, error))


def iter_lines(path: str | Path, error: ErrorFactory = DataFormatError) -> Iterator[tuple[int, str]]:
    """``(line number, line without its line end)`` for every line of a file, read as it is consumed.

    The same rules as :func:`read_text` (UTF-8 with the bad byte's line, BOM dropped, LF / CR LF / CR),
    one buffer in memory at a time. Lines come from Python's text layer, decoded and split in C (a
    pretraining corpus or GloVe file has millions of lines); only when the decoder fails is the file
    read again, line by line as bytes, to find the line of the bad byte.
    """
    path = Path(path)
    try:
        with _open_text(path) as handle:
            # universal newlines end every line with exactly one "\n"; enumerate and map run in C
            yield from enumerate(map(_strip_lf, handle), 1)
    except UnicodeDecodeError:
        raise _locate_bad_byte(path, error) from None
    except (OSError, EOFError) as problem:
        raise _unreadable(path, problem, error) from None


_strip_lf = methodcaller("rstrip", "\n")


def _open_text(path: Path) -> TextIO:
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", errors="strict")


def _locate_bad_byte(path: Path, error: ErrorFactory) -> Exception:
    """The error for the first byte of ``path`` that is not UTF-8, found line by line as bytes.

    The text layer's own error counts its position from the start of the chunk it was decoding,
    which names neither the line nor the file; here lines are split at LF as bytes (CRs counted as
    :func:`read_text` counts them) and each is decoded on its own, one line in memory at a time.
    """
    line_no = 1
    with open_binary(path) as handle:
        for raw in handle:
            if line_no == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as problem:
                return _not_utf8(path, raw, problem.start, problem.reason, line_no, error)
            line_no += 1 + raw.count(b"\r") - raw.endswith(b"\r\n")
    # the text layer failed but no line does: an encoding error across a line end cannot happen in
    # UTF-8 (LF never occurs inside a multi-byte sequence), so this only guards against a changed file
    return error(path, "file", f"is not UTF-8 ({EXPECTED}), but no line could be found")


def no_data(path: str | Path, what: str, expected: str, found: str = "it is empty or holds only blank lines",
            error: ErrorFactory = DataFormatError) -> Exception:
    """The error for a file without any ``what``: ``found`` says what it holds instead.

    It has no line to name: the whole file is the problem. Readers refuse such a file rather than
    return nothing, because an empty split fails much later (``num_samples=0`` at training) or,
    worse, is registered by ``data check`` in place of a good one.
    """
    return error(Path(path), None, f"no {what} in the file ({found}); expected {expected}")

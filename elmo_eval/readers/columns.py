"""What the column readers share: splitting a line into columns (opening the file: :mod:`elmo_eval.readers.text`).

The column formats (CoNLL-2003/2005/2012, and the leaves of PTB trees) separate fields with ASCII
space and tab only. Any other character, including the Unicode spaces that public releases contain
(U+00A0 no-break space in SST's "8 1/2", U+2009 thin space, U+3000 ideographic space) and a zero-width
U+FEFF, is part of a token. Python's ``str.split()`` splits on all Unicode whitespace (and on ASCII
``\\x1c``-``\\x1f``), which is why the readers use :func:`split_columns` instead.
"""
from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from elmo_eval.readers.text import read_text, text_lines

# Characters str.split() takes for separators on an ASCII line although the formats do not:
# vertical tab, form feed and the ASCII file/group/record/unit separators.
_ASCII_NOT_SEPARATORS = re.compile(r"[\x0b\x0c\x1c-\x1f]")
_ASCII_NOT_SEPARATOR_CHARS = "\x0b\x0c\x1c\x1d\x1e\x1f"
FIELD_SEPARATORS = re.compile(r"[ \t\r\n]+")


def split_columns(line: str) -> list[str]:
    """Fields of one line, separated by runs of ASCII space or tab (a trailing CR/LF is ignored).

    ``"8\\u00a01/2 CD"`` -> ``["8\\u00a01/2", "CD"]``; an empty or all-space line -> ``[]``.
    """
    # Nearly every line of a real file is ASCII, where str.split (C speed) already splits exactly
    # on space/tab/CR/LF unless one of the rarer control characters is present.
    if line.isascii() and _ASCII_NOT_SEPARATORS.search(line) is None:
        return line.split()
    return [field for field in FIELD_SEPARATORS.split(line) if field]


def is_blank(line: str) -> bool:
    """Whether a line has no field (only ASCII space, tab, CR, LF)."""
    return not line.strip(" \t\r\n")


def is_plain(text: str) -> bool:
    """Whether ``str.split()`` splits ``text`` exactly where :func:`split_columns` does.

    C-level scans only: ``isascii`` and one ``in`` (a memchr) per control character, which on a
    whole file is an order of magnitude faster than searching it with the character-class regex.
    """
    return text.isascii() and not any(char in text for char in _ASCII_NOT_SEPARATOR_CHARS)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a reader builds its (acyclic) result.

    A reader allocates containers (row lists, span tuples, sentences) by the hundred thousand and keeps
    them all; each automatic collection re-traverses everything kept so far, which was about half of
    a read's CPU time. The readers create no reference cycles, so there is nothing for the collector
    to find in what they build; reference counting frees every temporary as before.

    On exit the collector is re-enabled, and what is tracked at that moment (chiefly the result) is
    moved to the oldest generation with ``gc.freeze(); gc.unfreeze()`` (two list splices, documented
    to put the objects back into the oldest generation) instead of being traversed at once by the
    young collection that re-enabling would trigger. The result is long-lived data; the full
    collections of the program still visit it as they visit any such data. Nothing is changed if the
    collector was already disabled, and the promotion is skipped (plain re-enable) if the caller has
    frozen objects of its own, which ``gc.unfreeze`` would otherwise release.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        gc.enable()


def read_rows(path: str | Path) -> tuple[list[str], list[list[str]]]:
    """``(lines, fields of each line)`` of a column file; ``rows[i]`` is ``split_columns(lines[i])``."""
    text = read_text(path)
    lines = text_lines(text)
    if is_plain(text):
        # C-level scans of the whole text decide that str.split is exact on every line
        return lines, list(map(str.split, lines))
    return lines, [split_columns(line) for line in lines]

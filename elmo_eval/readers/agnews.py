"""AG News CSV: ``"class","title","description"`` with classes 1-4 (World, Sports, Business, Sci/Tech).

Tokens come from a simple deterministic tokenizer over ``title + " " +
description``: the distributed files write line breaks as a backslash, which
becomes a space; runs of word characters are tokens and every other
non-space character is a token of its own. This is a tokenizer of running text, so Unicode spaces
(U+00A0, U+2009, U+3000) separate words as ASCII spaces do, and U+FEFF (a zero-width no-break space,
or a BOM) is dropped; a BOM at the start of the file is dropped as well.

The real corpus has no dev split: :func:`split_dev` carves a seeded 5% slice
of train (documented in ``tasks/topic.toml``).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from elmo_eval.readers.errors import DataFormatError
from elmo_eval.readers.splits import split_dev  # noqa: F401  (re-exported: AG News has no dev split)
from elmo_eval.readers.text import no_data, read_text

CLASS_NAMES = {1: "World", 2: "Sports", 3: "Business", 4: "Sci/Tech"}
_TOKEN = re.compile(r"\w+|[^\w\s\ufeff]")


def tokenize(text: str) -> list[str]:
    """``"Oil's up 5%"`` -> ``["Oil", "'", "s", "up", "5", "%"]``."""
    return _TOKEN.findall(text.replace("\\", " "))


@dataclass
class NewsExample:
    """One article: class 1-4, its title and description, and the tokens of both."""

    label: int
    title: str
    description: str
    tokens: list[str]
    index: int  # 0-based row index in the file
    line_no: int


def read_agnews(path: str | Path) -> list[NewsExample]:
    """Every row of one AG News CSV file (a header row ``class,title,description`` is skipped).

    A file without any article (empty, blank, or only the header row) is refused.
    """
    path = Path(path)
    out = []
    # read_text has made every line end an LF; newline="" keeps the StringIO from translating again
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    line_no = 1  # csv keeps track of physical lines (quoted fields may span several)
    try:
        for row in reader:
            start, line_no = line_no, reader.line_num + 1
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != 3:
                raise DataFormatError(path, start, f"expected 3 fields (class, title, description), got {len(row)}")
            raw = row[0].strip()
            if not out and raw.lower() in ("class", "class index", "label"):
                continue  # header
            if raw not in ("1", "2", "3", "4"):
                raise DataFormatError(path, start, f"class {raw!r} is not one of 1, 2, 3, 4")
            tokens = tokenize(f"{row[1]} {row[2]}")
            if not tokens:
                raise DataFormatError(path, start, "title and description are both empty")
            out.append(NewsExample(int(raw), row[1], row[2], tokens, len(out), start))
    except csv.Error as problem:  # e.g. a NUL byte; csv's own message names no file
        raise DataFormatError(path, reader.line_num, f"cannot read the CSV row ({problem})") from None
    if not out:
        raise no_data(path, "article", "'\"class\",\"title\",\"description\"' rows with classes 1-4",
                      "it is empty or holds only blank lines or a header row")
    return out

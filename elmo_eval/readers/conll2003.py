"""CoNLL-2003 NER columns (``token POS chunk NER``), and conversions between tagging schemes.

The distributed files use IOB1 (``I-`` starts an entity unless it follows an
entity of the same type, ``B-`` only separates two adjacent same-type
entities); ``-DOCSTART-`` lines separate documents and blank lines separate
sentences. Models usually train on BIOES; conlleval scores IOB1 or BIO.
Conversions: IOB1 -> BIO -> BIOES and back (BIOES -> BIO -> IOB1).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from elmo_eval.readers.columns import read_rows
from elmo_eval.readers.errors import DataFormatError
from elmo_eval.readers.text import no_data

DOCSTART = "-DOCSTART-"
PREFIXES = ("B", "I", "E", "S")


@dataclass
class NerSentence:
    """One sentence: tokens and the columns of the file (tags in the file's IOB1)."""

    tokens: list[str]
    pos: list[str]
    chunks: list[str]
    tags: list[str]
    document: int  # index of the -DOCSTART- document it belongs to
    line_no: int  # line of its first token


def _check_tag(tag: str, path, line_no: int) -> None:
    prefix, sep, kind = tag.partition("-")
    if tag != "O" and (not sep or prefix not in ("B", "I") or not kind):
        raise DataFormatError(path, line_no, f"NER tag {tag!r} is neither 'O' nor 'B-TYPE'/'I-TYPE'")


def read_conll2003(path: str | Path) -> list[NerSentence]:
    """All sentences of one CoNLL-2003 file (tags as in the file, IOB1 or BIO).

    Columns are separated by ASCII space/tab only: a token may contain any other character
    (U+00A0, U+2009, U+3000, U+FEFF); a byte-order mark at the start of the file is dropped.
    A file without any token row (empty, or only blank and ``-DOCSTART-`` lines) is refused.
    """
    path = Path(path)
    sentences: list[NerSentence] = []
    rows: list[list[str]] = []
    document, first_line = -1, 0
    valid_tags: set[str] = set()  # tags already checked: a file has a handful, checked once each

    def flush():
        if rows:
            tokens, pos, chunks, tags = map(list, zip(*rows))
            sentences.append(NerSentence(tokens, pos, chunks, tags, max(document, 0), first_line))
            rows.clear()

    _, file_rows = read_rows(path)
    for line_no, fields in enumerate(file_rows, start=1):
        if not fields:
            flush()
            continue
        if fields[0] == DOCSTART:
            flush()
            document += 1
            continue
        if len(fields) != 4:
            raise DataFormatError(path, line_no, f"expected 4 columns (token POS chunk NER), got {len(fields)}")
        if fields[3] not in valid_tags:
            _check_tag(fields[3], path, line_no)
            valid_tags.add(fields[3])
        if not rows:
            first_line = line_no
        rows.append(fields)
    flush()
    if not sentences:
        raise no_data(path, "sentence", "'token POS chunk NER' rows with a blank line after each sentence",
                      "it is empty or holds only blank and -DOCSTART- lines")
    return sentences


def _split(tag: str) -> tuple[str, str]:
    if tag == "O":
        return "O", ""
    prefix, _, kind = tag.partition("-")
    return prefix, kind


def iob1_to_bio(tags: list[str]) -> list[str]:
    """IOB1 -> BIO (IOB2): every entity starts with ``B-``."""
    out = []
    for i, tag in enumerate(tags):
        prefix, kind = _split(tag)
        if prefix == "I":
            prev_prefix, prev_kind = _split(tags[i - 1]) if i else ("O", "")
            if prev_prefix == "O" or prev_kind != kind:
                tag = f"B-{kind}"
        out.append(tag)
    return out


def bio_to_iob1(tags: list[str]) -> list[str]:
    """BIO -> IOB1: ``B-`` only where an entity directly follows one of the same type."""
    out = []
    for i, tag in enumerate(tags):
        prefix, kind = _split(tag)
        if prefix == "B":
            prev_prefix, prev_kind = _split(tags[i - 1]) if i else ("O", "")
            if prev_prefix == "O" or prev_kind != kind:
                tag = f"I-{kind}"
        out.append(tag)
    return out


def bio_to_bioes(tags: list[str]) -> list[str]:
    """BIO -> BIOES: single-token entities ``S-``, last tokens ``E-``.

    An ``I-`` that does not continue its own type (invalid BIO) is read as a
    new entity, as conlleval reads it.
    """
    spans = bio_spans(tags)
    out = ["O"] * len(tags)
    for kind, start, end in spans:
        if start == end:
            out[start] = f"S-{kind}"
        else:
            out[start] = f"B-{kind}"
            out[start + 1:end] = [f"I-{kind}"] * (end - start - 1)
            out[end] = f"E-{kind}"
    return out


def bioes_to_bio(tags: list[str]) -> list[str]:
    """BIOES -> BIO: ``S-`` -> ``B-``, ``E-`` -> ``I-`` (invalid sequences keep their reading as BIO)."""
    out = []
    for tag in tags:
        prefix, kind = _split(tag)
        out.append({"S": f"B-{kind}", "E": f"I-{kind}"}.get(prefix, tag))
    return out


def bio_spans(tags: list[str]) -> list[tuple[str, int, int]]:
    """Entities of a BIO sequence as ``(type, first, last)`` token indices (inclusive), conlleval's reading."""
    spans = []
    start, kind = None, ""
    for i, tag in enumerate(tags):
        prefix, cur = _split(tag)
        continues = prefix == "I" and start is not None and cur == kind
        if start is not None and not continues:
            spans.append((kind, start, i - 1))
            start = None
        if prefix in ("B", "I") and not continues:
            start, kind = i, cur
    if start is not None:
        spans.append((kind, start, len(tags) - 1))
    return spans


def convert_tags(tags: list[str], source: str, target: str) -> list[str]:
    """Between ``IOB1``, ``BIO`` and ``BIOES`` (through BIO)."""
    to_bio = {"IOB1": iob1_to_bio, "BIO": list, "BIOES": bioes_to_bio}
    from_bio = {"IOB1": bio_to_iob1, "BIO": list, "BIOES": bio_to_bioes}
    if source not in to_bio or target not in from_bio:
        raise ValueError(f"unknown tagging scheme {source!r} or {target!r}; expected IOB1, BIO or BIOES")
    return from_bio[target](to_bio[source](tags))

"""SNLI 1.0 JSONL: one premise-hypothesis pair per line.

Each line is a JSON object with at least ``sentence1``, ``sentence2`` and
``gold_label`` (``entailment`` | ``neutral`` | ``contradiction``, or ``-`` when
the annotators did not agree: those pairs are dropped and counted, as
everyone evaluating on SNLI does). Tokens come from the leaves of
``sentence{1,2}_binary_parse`` when present (the corpus's own tokenisation),
sentences split at ASCII spaces otherwise. Tokens are separated by ASCII space/tab only: any
other character (U+00A0, U+2009, U+3000, U+FEFF) stays inside a token.

The same corpus is also distributed tab-separated (``snli_1.0_train.txt``): a header row
``gold_label sentence1_binary_parse ... pairID ...`` and one pair per row, read by the header's
column names. :func:`read_snli` reads either (a line starting with ``{`` is JSON). A byte-order
mark at the start of a file is dropped.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from elmo_eval.readers.columns import split_columns
from elmo_eval.readers.errors import DataFormatError
from elmo_eval.readers.text import no_data, read_lines

SNLI_LABELS = ("entailment", "neutral", "contradiction")
NO_GOLD_LABEL = "-"


@dataclass(frozen=True)
class SnliPair:
    """One labelled pair; ``pair_id`` is the file's ``pairID`` (or ``line<N>`` when absent)."""

    pair_id: str
    premise: tuple[str, ...]
    hypothesis: tuple[str, ...]
    label: str
    line_no: int


@dataclass
class SnliReadReport:
    """``pairs``: the labelled pairs kept; ``dropped_no_gold``: pairs whose gold label is ``-``."""

    pairs: int = 0
    dropped_no_gold: int = 0

    @property
    def total(self) -> int:
        """Every pair of the file, labelled or not (the corpus's published split size)."""
        return self.pairs + self.dropped_no_gold


def binary_parse_leaves(parse: str) -> list[str]:
    """``"( ( A person ) ( on ( a horse ) ) )"`` -> ``["A", "person", "on", "a", "horse"]``."""
    return [t for t in split_columns(parse) if t not in ("(", ")")]


def _tokens(record: dict, which: str, path: Path, line_no: int) -> tuple[str, ...]:
    parse = record.get(f"{which}_binary_parse")
    if isinstance(parse, str) and parse.strip():
        return tuple(binary_parse_leaves(parse))
    text = record[which]
    if not isinstance(text, str):
        raise DataFormatError(path, line_no, f"expected {which!r} to be a string, found {type(text).__name__}")
    return tuple(split_columns(text))


def read_snli(path: str | Path) -> tuple[list[SnliPair], SnliReadReport]:
    """Read an SNLI file (JSONL or the tab-separated release): labelled pairs in file order and the
    count of dropped ``-`` pairs. A file without any pair (empty, blank, or only the header row) is refused."""
    path = Path(path)
    lines = read_lines(path)
    first = next((line for line in lines if line.strip(" \t\r")), "")
    records = _tab_records(lines, path) if first and not first.lstrip(" \t").startswith("{") \
        else _json_records(lines, path)
    pairs: list[SnliPair] = []
    report = SnliReadReport()
    for line_no, record in records:
        missing = [k for k in ("sentence1", "sentence2", "gold_label") if k not in record]
        if missing:
            raise DataFormatError(path, line_no, f"missing key(s) {missing}")
        label = record["gold_label"]
        if label == NO_GOLD_LABEL:
            report.dropped_no_gold += 1
            continue
        if label not in SNLI_LABELS:
            raise DataFormatError(path, line_no,
                                  f"unknown gold_label {label!r} (expected one of {list(SNLI_LABELS)} or '-')")
        premise = _tokens(record, "sentence1", path, line_no)
        hypothesis = _tokens(record, "sentence2", path, line_no)
        if not premise or not hypothesis:
            raise DataFormatError(path, line_no, "expected non-empty sentence1 and sentence2")
        pair_id = str(record.get("pairID", f"line{line_no}"))
        pairs.append(SnliPair(pair_id, premise, hypothesis, label, line_no))
    report.pairs = len(pairs)
    if not report.total:
        raise no_data(path, "premise-hypothesis pair", "JSON lines with sentence1, sentence2 and gold_label, or "
                      "the tab-separated release with its header row", "it is empty or holds only blank lines or a "
                      "header row")
    return pairs, report


def _json_records(lines: list[str], path: Path):
    for line_no, line in enumerate(lines, start=1):
        if not line.strip(" \t\r"):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataFormatError(path, line_no, f"invalid JSON ({err.msg} at column {err.colno})") from None
        if not isinstance(record, dict):
            raise DataFormatError(path, line_no, "expected a JSON object with sentence1, sentence2, gold_label")
        yield line_no, record


def _tab_records(lines: list[str], path: Path):
    """Rows of the tab-separated release as dicts keyed by its header (split at tabs only: the
    sentences contain spaces and quotes)."""
    header_no = next(n for n, line in enumerate(lines, start=1) if line.strip(" \t\r"))
    header = lines[header_no - 1].rstrip("\r").split("\t")
    if "gold_label" not in header or "sentence1" not in header:
        raise DataFormatError(path, header_no, "expected JSON lines, or a tab-separated header naming "
                              "gold_label, sentence1, sentence2 (the SNLI .txt release)")
    for line_no, line in enumerate(lines[header_no:], start=header_no + 1):
        if not line.strip(" \t\r"):
            continue
        cells = line.rstrip("\r").split("\t")
        if len(cells) > len(header):
            raise DataFormatError(path, line_no, f"{len(cells)} tab-separated cells, but the header (line "
                                  f"{header_no}) names {len(header)} columns")
        if len(cells) < len(header):
            cells += [""] * (len(header) - len(cells))  # trailing empty annotator labels may be cut
        yield line_no, dict(zip(header, cells))

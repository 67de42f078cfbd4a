"""SNLI 1.0 JSONL: one premise-hypothesis pair per line.

Each line is a JSON object with at least ``sentence1``, ``sentence2`` and
``gold_label`` (``entailment`` | ``neutral`` | ``contradiction``, or ``-`` when
the annotators did not agree: those pairs are dropped and counted, as
everyone evaluating on SNLI does). Tokens come from the leaves of
``sentence{1,2}_binary_parse`` when present (the corpus's own tokenisation),
whitespace-split sentences otherwise.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from elmo_eval.readers.errors import DataFormatError

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
    pairs: int = 0
    dropped_no_gold: int = 0


def binary_parse_leaves(parse: str) -> list[str]:
    """``"( ( A person ) ( on ( a horse ) ) )"`` -> ``["A", "person", "on", "a", "horse"]``."""
    return [t for t in parse.split() if t not in ("(", ")")]


def _tokens(record: dict, which: str, path: Path, line_no: int) -> tuple[str, ...]:
    parse = record.get(f"{which}_binary_parse")
    if isinstance(parse, str) and parse.strip():
        return tuple(binary_parse_leaves(parse))
    text = record[which]
    if not isinstance(text, str):
        raise DataFormatError(path, line_no, f"expected {which!r} to be a string, found {type(text).__name__}")
    return tuple(text.split())


def read_snli(path: str | Path) -> tuple[list[SnliPair], SnliReadReport]:
    """Read an SNLI JSONL file: labelled pairs in file order and the count of dropped ``-`` pairs."""
    path = Path(path)
    pairs: list[SnliPair] = []
    report = SnliReadReport()
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataFormatError(path, line_no, f"invalid JSON ({err.msg} at column {err.colno})") from None
            if not isinstance(record, dict):
                raise DataFormatError(path, line_no, "expected a JSON object with sentence1, sentence2, gold_label")
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
    return pairs, report

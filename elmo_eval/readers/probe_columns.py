"""Probe files: ``token POS lemma sense`` columns and a sense inventory (the world's ``probes/``).

One token per line, four whitespace-separated columns, a blank line after each
sentence.  ``lemma`` and ``sense`` are ``-`` on tokens that are not WSD
targets; a target's ``sense`` may hold several gold keys separated by ``|``
(any of them counts as correct, as in the all-words scorer).  The inventory
file holds ``lemma<TAB>sense sense ...`` lines, the first sense first.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from elmo_eval.readers.errors import DataFormatError
from elmo_eval.readers.text import iter_lines

NONE = "-"


@dataclass
class TaggedSentence:
    """One sentence: per token its POS tag, and for WSD targets the lemma and gold sense keys.

    lemmas[i] is None and senses[i] is () on tokens that are not WSD targets.
    """

    tokens: list[str]
    pos: list[str]
    lemmas: list[str | None]
    senses: list[tuple[str, ...]]
    line: int = 0   # line of its first token


def read_probe_columns(path: str | Path) -> list[TaggedSentence]:
    """All sentences of one probe file."""
    path = Path(path)
    sentences: list[TaggedSentence] = []
    current: TaggedSentence | None = None
    for line_no, line in iter_lines(path):
        fields = line.split()
        if not fields:
            current = None
            continue
        if len(fields) != 4:
            raise DataFormatError(path, line_no, f"expected 4 columns (token POS lemma sense), got {len(fields)}")
        token, tag, lemma, sense = fields
        if (lemma == NONE) != (sense == NONE):
            raise DataFormatError(path, line_no, "lemma and sense must both be '-' or both be given, "
                                                 f"got lemma {lemma!r} and sense {sense!r}")
        if current is None:
            current = TaggedSentence([], [], [], [], line_no)
            sentences.append(current)
        keys = tuple(key for key in sense.split("|") if key) if sense != NONE else ()
        if sense != NONE and not keys:
            raise DataFormatError(path, line_no, f"empty sense key in {sense!r}")
        current.tokens.append(token)
        current.pos.append(tag)
        current.lemmas.append(lemma if lemma != NONE else None)
        current.senses.append(keys)
    return sentences


def read_sense_inventory(path: str | Path) -> dict[str, list[str]]:
    """``lemma -> senses`` (first sense first) from ``lemma<TAB>sense sense ...`` lines."""
    path = Path(path)
    inventory: dict[str, list[str]] = {}
    for line_no, line in iter_lines(path):
        if not line.strip():
            continue
        lemma, tab, senses = line.partition("\t")
        if not tab or not senses.split():
            raise DataFormatError(path, line_no, "expected 'lemma<TAB>sense [sense ...]'")
        inventory[lemma] = senses.split()
    return inventory

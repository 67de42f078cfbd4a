"""Sentences of task files (dev/test sets) that must not occur in a pretraining corpus.

Formats, detected from the first non-blank line (``.gz`` is read transparently):

* bracketed trees, one per line (SST, PTB): the leaves;
* token-per-line columns, blank line between sentences (CoNLL-2003/2005/2012): the first
  column (CoNLL-2012: the word column is read from a ``#begin document`` file's 4th column);
* anything else: one tokenized sentence per line.

Sentences are compared by :func:`sentence_key`, which forgives the spelling differences
between the task sets and our tokenizer (case, ``-LRB-`` vs ``(``, `` vs ").
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from elmo_eval.errors import UsageError
from elmo_eval.readers.text import read_lines

_LEAF = re.compile(r"\(\S+ ([^()\s]+)\)")
_PTB_ESCAPES = {"-lrb-": "(", "-rrb-": ")", "-lsb-": "[", "-rsb-": "]", "-lcb-": "{", "-rcb-": "}",
                "``": '"', "''": '"'}


class ExcludeFileError(UsageError, ValueError):
    """A task file that cannot be read as trees, columns or sentence lines."""


def sentence_key(tokens: Iterable[str]) -> str:
    return " ".join(_PTB_ESCAPES.get(token.lower(), token.lower()) for token in tokens)


def _lines(path: Path) -> list[str]:
    """The task file's lines (``.gz`` too), strictly UTF-8 like every reader: a bad byte names its line."""
    return read_lines(path, _exclude_error)


def _exclude_error(path: Path, where: int | str | None, message: str) -> ExcludeFileError:
    return ExcludeFileError(f"task file {path}:{where}: {message}" if where is not None
                            else f"task file {path}: {message}")


def task_sentences(path: str | Path) -> Iterator[list[str]]:
    path = Path(path)
    if not path.is_file():
        raise ExcludeFileError(f"task file {path} does not exist")
    lines = _lines(path)
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise ExcludeFileError(f"task file {path} is empty")
    if first.lstrip().startswith("("):
        for number, line in enumerate(lines, 1):
            if line.strip():
                leaves = _LEAF.findall(line)
                if not leaves:
                    raise ExcludeFileError(f"{path}:{number}: expected a bracketed tree with leaves")
                yield leaves
        return
    if _is_columnar(lines):
        word_column = 3 if first.startswith("#begin document") else 0
        sentence: list[str] = []
        for line in lines:
            fields = line.split()
            if not fields or line.startswith("#"):
                if sentence:
                    yield sentence
                sentence = []
            elif fields[0] != "-DOCSTART-" and len(fields) > word_column:
                sentence.append(fields[word_column])
        if sentence:
            yield sentence
        return
    for line in lines:
        if line.split():
            yield line.split()


def _is_columnar(lines: list[str]) -> bool:
    """Token-per-line files: blank lines between blocks of several short lines (a word and
    a few tag columns). Sentence-per-line files have long lines and few blank lines."""
    sample = lines[:2000]
    blocks, current = [], 0
    for line in sample:
        if line.strip() and not line.startswith("#"):
            current += 1
        elif current:
            blocks.append(current)
            current = 0
    fields = sorted(len(line.split()) for line in sample if line.strip() and not line.startswith("#"))
    if not blocks or not fields:
        return False
    return sorted(blocks)[len(blocks) // 2] >= 3 and fields[len(fields) // 2] <= 15


def excluded_keys(paths: Iterable[str | Path]) -> tuple[set[str], dict[str, int]]:
    """Keys of every sentence in ``paths`` and the number of sentences read per file."""
    keys: set[str] = set()
    per_file: dict[str, int] = {}
    for path in paths:
        count = 0
        for tokens in task_sentences(path):
            keys.add(sentence_key(tokens))
            count += 1
        per_file[str(path)] = count
    return keys, per_file

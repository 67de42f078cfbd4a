"""CoNLL-2005 SRL columns: the words beside an ``srl-eval.pl`` props file.

One token per line, blank line between sentences, whitespace-separated::

    word  [other columns ...]  predicate_lemma_or_-  args_1 ... args_P

The predicate column (``lemma_column``, default 1: right after the word) has a
lemma on each predicate's row and ``-`` elsewhere; the ``i``-th argument
column belongs to the ``i``-th predicate, in sentence order, and must be the
last ``P`` columns. The output is the same :class:`~elmo_eval.readers.conll2012.Sentence`
as the CoNLL-2012 reader gives (columns it does not have are ``None``/empty).
"""
from __future__ import annotations

from pathlib import Path

from elmo_eval.readers.conll2012 import Sentence, parse_bracket_column, spans_to_bio
from elmo_eval.readers.errors import DataFormatError


def _sentence(rows: list[list[str]], lines: list[int], path: Path, lemma_column: int) -> Sentence:
    width = len(rows[0])
    for row, line_no in zip(rows, lines):
        if len(row) != width:
            raise DataFormatError(path, line_no, f"{len(row)} columns, but the sentence's first row "
                                  f"(line {lines[0]}) has {width}")
    if width <= lemma_column:
        raise DataFormatError(path, lines[0], f"{width} columns; expected the word, then the predicate "
                              f"column at index {lemma_column}")
    columns = list(zip(*rows))
    lemmas = [None if v == "-" else v for v in columns[lemma_column]]
    predicates = [i for i, v in enumerate(lemmas) if v is not None]
    arg_columns = [list(c) for c in columns[lemma_column + 1:]]
    if len(arg_columns) != len(predicates):
        raise DataFormatError(path, lines[0], f"{len(predicates)} predicates in column {lemma_column} but "
                              f"{len(arg_columns)} argument columns")
    frames, spans_per_column = [], []
    for k, (predicate, column) in enumerate(zip(predicates, arg_columns)):
        spans = parse_bracket_column(column, path, lines, f"argument column {k + 1}")
        frames.append((predicate, spans_to_bio(len(rows), spans)))
        spans_per_column.append(spans)
    none = [None] * len(rows)
    return Sentence(words=list(columns[0]), pos=[], parse_bits=[], predicate_lemmas=lemmas,
                    predicate_framesets=list(none), word_senses=list(none), speakers=list(none),
                    named_entities=[], srl_frames=frames, srl_spans=spans_per_column, srl_columns=arg_columns,
                    coref_spans=[], line=lines[0])


def read_conll2005(path: str | Path, lemma_column: int = 1) -> list[Sentence]:
    """Every sentence of one file."""
    path = Path(path)
    sentences: list[Sentence] = []
    rows: list[list[str]] = []
    lines: list[int] = []
    with open(path, encoding="utf-8") as handle:
        for line_no, raw in enumerate(handle, start=1):
            fields = raw.split()
            if fields:
                rows.append(fields)
                lines.append(line_no)
            elif rows:
                sentences.append(_sentence(rows, lines, path, lemma_column))
                rows, lines = [], []
    if rows:
        sentences.append(_sentence(rows, lines, path, lemma_column))
    return sentences

"""CoNLL-2005 SRL columns: the words beside an ``srl-eval.pl`` props file.

One token per line, blank line between sentences, columns separated by ASCII space/tab
(any other character, e.g. U+00A0, stays inside a token; a byte-order mark is dropped)::

    word  [other columns ...]  predicate_lemma_or_-  args_1 ... args_P

The predicate column (``lemma_column``, default 1: right after the word) has a
lemma on each predicate's row and ``-`` elsewhere; the ``i``-th argument
column belongs to the ``i``-th predicate, in sentence order, and must be the
last ``P`` columns. The output is the same :class:`~elmo_eval.readers.conll2012.Sentence`
as the CoNLL-2012 reader gives (columns it does not have are ``None``/empty).

The release itself (``conll05st-release``) keeps words and props in separate gzipped files,
``<split>/words/<name>.words.gz`` and ``<split>/props/<name>.props.gz``; a split folder in that
layout (``train``, ``devel``, ``test.wsj``) is read by pairing the two files of each name line by line,
which is what the release's ``make-*set.sh`` scripts do with ``paste``.
"""
from __future__ import annotations

from itertools import compress, count
from operator import add, ne, not_
from pathlib import Path

from elmo_eval.readers.columns import gc_paused, read_rows
from elmo_eval.readers.conll2012 import Sentence, _bio, _none_if_dash, _parse_brackets
from elmo_eval.readers.errors import DataFormatError
from elmo_eval.readers.text import no_data

_EXPECTED = "one row per token (word, predicate lemma or '-', one argument column per predicate), a blank line " \
    "after each sentence"


def _sentence(rows: list[list[str]], lines: range, path: Path, lemma_column: int) -> Sentence:
    width = len(rows[0])
    for row, line_no in zip(rows, lines) if len(set(map(len, rows))) != 1 else ():
        if len(row) != width:
            raise DataFormatError(path, line_no, f"{len(row)} columns, but the sentence's first row "
                                  f"(line {lines[0]}) has {width}")
    if width <= lemma_column:
        raise DataFormatError(path, lines[0], f"{width} columns; expected the word, then the predicate "
                              f"column at index {lemma_column}")
    columns = list(zip(*rows))
    length = len(rows)
    lemma_tags = columns[lemma_column]
    lemmas = _none_if_dash(lemma_tags)
    predicates = list(compress(range(length), map("-".__ne__, lemma_tags)))
    arg_columns = list(map(list, columns[lemma_column + 1:]))
    if len(arg_columns) != len(predicates):
        raise DataFormatError(path, lines[0], f"{len(predicates)} predicates in column {lemma_column} but "
                              f"{len(arg_columns)} argument columns")
    frames, spans_per_column = [], []
    for k, (predicate, column) in enumerate(zip(predicates, arg_columns)):
        spans, nested = _parse_brackets(column, path, lines, f"argument column {k + 1}")
        frames.append((predicate, _bio(length, spans, nested)))
        spans_per_column.append(spans)
    none = [None] * length
    return Sentence(words=list(columns[0]), pos=[], parse_bits=[], predicate_lemmas=lemmas,
                    predicate_framesets=list(none), word_senses=list(none), speakers=list(none),
                    named_entities=[], srl_frames=frames, srl_spans=spans_per_column, srl_columns=arg_columns,
                    coref_spans=[], line=lines[0])


def read_conll2005(path: str | Path, lemma_column: int = 1) -> list[Sentence]:
    """Every sentence of one file, or of a release split folder (``words/`` beside ``props/``).

    A file (or a words/props pair) without any token row is refused.
    """
    path = Path(path)
    if path.is_dir():
        pairs = release_pairs(path)
        with gc_paused():
            return [s for words, props in pairs for s in _read_pair(words, props)]
    with gc_paused():
        _, rows = read_rows(path)
        sentences = _sentences(rows, path, lemma_column)
    if not sentences:
        raise no_data(path, "sentence", _EXPECTED)
    return sentences


def release_pairs(folder: str | Path) -> list[tuple[Path, Path]]:
    """``(words file, props file)`` of each name under a release split folder, sorted by name.

    Raises :class:`DataFormatError` when the folder has no such pair, or a words file without its props.
    """
    folder = Path(folder)
    words = {_release_name(p, ".words"): p for p in folder.rglob("*.words*") if p.is_file()}
    props = {_release_name(p, ".props"): p for p in folder.rglob("*.props*") if p.is_file()}
    if not words or not props:
        raise DataFormatError(folder, "layout", "expected the CoNLL-2005 release layout: words/NAME.words.gz "
                              "beside props/NAME.props.gz")
    unpaired = sorted(set(words) ^ set(props))
    if unpaired:
        raise DataFormatError(folder, "layout", f"{unpaired[0]!r} has a words file or a props file but not "
                              "both (expected words/NAME.words.gz beside props/NAME.props.gz)")
    return [(words[name], props[name]) for name in sorted(words)]


def _release_name(path: Path, marker: str) -> str:
    return path.name[:path.name.index(marker)]


def read_conll2005_pair(words: str | Path, props: str | Path) -> list[Sentence]:
    """The sentences of a release words file and its props file, joined row by row (``paste words props``)."""
    with gc_paused():
        return _read_pair(Path(words), Path(props))


def _read_pair(words: Path, props: Path) -> list[Sentence]:
    word_rows, prop_rows = read_rows(words)[1], read_rows(props)[1]
    for name, rows, other in ((words, word_rows, prop_rows), (props, prop_rows, word_rows)):
        extra = next((n for n in range(len(other), len(rows)) if rows[n]), None)
        if extra is not None:
            raise DataFormatError(name, extra + 1, "more rows than in its words/props partner file")
    # the first row that is blank in one file but not in the other (found in C); the sentences that
    # end before it are still read first, so that an error in one of them is the one reported
    mismatch = next(compress(count(), map(ne, map(bool, word_rows), map(bool, prop_rows))), None)
    if mismatch is None:
        sentences = _sentences(list(map(add, word_rows, prop_rows)), props, lemma_column=1)
        if not sentences:
            raise no_data(words, "sentence", "one word per line beside its props file's rows")
        return sentences
    _sentences(list(map(add, word_rows[:mismatch], prop_rows[:mismatch])), props, lemma_column=1, last=False)
    line_no, word, columns = mismatch + 1, word_rows[mismatch], prop_rows[mismatch]
    raise DataFormatError(props, line_no, f"{'blank' if not columns else 'a row'} here but "
                          f"{'blank' if not word else 'a word'} at line {line_no} of {words.name} "
                          "(the words and props files must have the same rows)")


def _sentences(rows: list[list[str]], path: Path, lemma_column: int, last: bool = True) -> list[Sentence]:
    """The sentences of a file's rows (``rows[i]``: the fields of line ``i + 1``), split at its blank rows
    (found in C); ``last=False`` leaves out the rows after the last blank one (a sentence not known to end)."""
    sentences: list[Sentence] = []
    blank = list(compress(count(), map(not_, rows)))
    if last:
        blank.append(len(rows))
    first = 0
    for end in blank:
        if end > first:
            sentences.append(_sentence(rows[first:end], range(first + 1, end + 1), path, lemma_column))
        first = end + 1
    return sentences

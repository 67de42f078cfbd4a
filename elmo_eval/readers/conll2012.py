"""CoNLL-2012 (OntoNotes 5.0) ``*gold_conll`` files: one reader for SRL and coreference.

Public API (stable; used by the SRL and coreference tasks)::

    read_conll2012(path, pattern="*gold_conll") -> list[Document]
    parse_bracket_column(tags, path, line_numbers, what) -> list[tuple[str, int, int]]
    spans_to_bio(length, spans) -> list[str]

A file holds ``#begin document (NAME); part NNN`` ... ``#end document``
blocks; each block is a :class:`Document` (one *part* of an OntoNotes
document, the unit the coreference scorer works on). Rows are
whitespace-separated columns::

    0 doc id   1 part   2 word index   3 word   4 POS   5 parse bit
    6 predicate lemma   7 frameset   8 word sense   9 speaker   10 named entities
    11 .. n-2: one argument column per predicate   n-1: coreference

A blank line ends a sentence; a sentence without predicates has 12 columns.
All offsets are 0-based and *inclusive* ``(start, end)``.

Offsets: :attr:`Sentence.coref_spans` are within the sentence;
:attr:`Document.clusters` count tokens across the whole part (what the
coreference scorer does). :attr:`Document.doc_id` is the name in the
``#begin document`` line (the key the scorer matches on), not column 0.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, compress, count, repeat
from operator import itemgetter, methodcaller, ne, not_
from pathlib import Path

from elmo_eval.readers.columns import FIELD_SEPARATORS as _FIELD_SEPARATORS
from elmo_eval.readers.columns import gc_paused, is_plain, split_columns
from elmo_eval.readers.errors import DataFormatError
from elmo_eval.readers.text import no_data, read_text, text_lines

FIXED_COLUMNS = 11  # columns 0-10 before the predicate-argument columns
BEGIN_RE = re.compile(r"^#begin document \((.*)\);[ \t]*part[ \t]+(\d+)[ \t]*$")
OPEN_RE = re.compile(r"\(([^()*]+)")
CLOSING_RE = re.compile(r"[^)]*\)")
COREF_RE = re.compile(r"(\()?(\d+)(\))?")
_LINE_STARTS_WITH_SPACE = re.compile(r"\n[ \t]")  # searched in C at the speed of a scan for "\n"


@dataclass
class Sentence:
    """One sentence of a CoNLL-2012 part.

    words/pos/parse_bits: one entry per token. predicate_lemmas, predicate_framesets,
    word_senses, speakers: one entry per token, None where the column says ``-``.
    named_entities: ``(label, start, end)`` spans. srl_frames: ``(predicate index,
    BIO tags)`` per argument column (the predicate itself tagged ``B-V``; ``C-``
    and ``R-`` labels kept as they are). srl_spans: the same columns as raw
    ``(label, start, end)`` spans (nesting kept). srl_columns: the argument
    columns exactly as written (the gold input of ``srl-eval.pl``).
    coref_spans: ``(cluster id, (start, end))`` within the sentence.
    line: 1-based line number of the sentence's first row.
    """

    words: list[str]
    pos: list[str]
    parse_bits: list[str]
    predicate_lemmas: list[str | None]
    predicate_framesets: list[str | None]
    word_senses: list[str | None]
    speakers: list[str | None]
    named_entities: list[tuple[str, int, int]]
    srl_frames: list[tuple[int, list[str]]]
    srl_spans: list[list[tuple[str, int, int]]]
    srl_columns: list[list[str]]
    coref_spans: list[tuple[int, tuple[int, int]]]
    document_id: str = ""
    line: int = 0

    def __len__(self) -> int:
        return len(self.words)


@dataclass
class Document:
    """One ``#begin document (doc_id); part NNN`` block.

    clusters: mention ``(start, end)`` offsets across the whole part, each cluster's
    mentions sorted, clusters in order of their first mention; cluster_ids: the
    file's entity id of each cluster. genre: first path component of doc_id ("bc", "nw").
    """

    doc_id: str
    part: int
    sentences: list[Sentence]
    clusters: list[list[tuple[int, int]]] = field(default_factory=list)
    cluster_ids: list[int] = field(default_factory=list)
    path: str = ""
    line: int = 0

    @property
    def genre(self) -> str:
        return self.doc_id.split("/", 1)[0]

    @property
    def words(self) -> list[str]:
        """All tokens of the part, flat."""
        return [w for s in self.sentences for w in s.words]


# --- bracket columns -------------------------------------------------------

class _Memo(dict):
    """A dict that fills itself from ``compute`` (looked up in C, unlike a function call per tag).

    Cleared when it reaches ``limit`` entries, so a stream of distinct malformed tags cannot grow it
    without bound; a real file uses a few hundred distinct tags.
    """

    def __init__(self, compute, limit: int = 1 << 16):
        super().__init__()
        self.compute, self.limit = compute, limit

    def __missing__(self, key):
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.compute(key)
        return value


# What one tag does, for the loop in _parse_brackets: (kind, label, opens, closes, problem).
_GENERAL, _SINGLE, _OPEN, _CLOSE = 0, 1, 2, 3


def _tag_info(tag: str) -> tuple[int, str, tuple[str, ...], tuple[str, ...], str]:
    opens, closes, problem = _tag_parts(tag)
    if not problem:
        if len(opens) == 1 and (not closes or closes == ("",) or closes == opens):
            return (_OPEN if not closes else _SINGLE), opens[0], opens, closes, problem
        if not opens and closes == ("",):
            return _CLOSE, "", opens, closes, problem
    return _GENERAL, "", opens, closes, problem


_TAG_INFO = _Memo(_tag_info)


def parse_bracket_column(tags: list[str], path: str | Path, line_numbers: Sequence[int],
                         what: str) -> list[tuple[str, int, int]]:
    """Start-End bracket notation -> ``(label, start, end)`` spans, in order of closing.

    tags: one entry per token (``(ARG0*``, ``*``, ``*)``, ``(V*)``, ``(GPE)``, ``*))``).
    Nested spans are allowed. Unbalanced brackets raise :class:`DataFormatError`
    naming the row's line; ``what`` says which column for the message.
    """
    return _parse_brackets(tags, path, line_numbers, what)[0]


def _parse_brackets(tags: list[str], path: str | Path, line_numbers: Sequence[int],
                    what: str) -> tuple[list[tuple[str, int, int]], bool]:
    """:func:`parse_bracket_column`, and whether any span opened inside another.

    Without nesting the spans are disjoint and already in order of their starts, so callers can skip
    sorting them. The common tags (``(L*``, ``*)``, ``(L*)``) take a short path; any other tag takes
    the general one, which also raises the errors.
    """
    open_spans: list[tuple[str, int]] = []
    spans: list[tuple[str, int, int]] = []
    nested = False
    info_of = _TAG_INFO
    # most tags are "*": visit only the others (selected in C)
    for index in compress(range(len(tags)), map(ne, tags, repeat("*"))):
        kind, label, opens, closes, problem = info_of[tags[index]]
        if kind == _SINGLE:
            if open_spans:
                nested = True
            spans.append((label, index, index))
        elif kind == _OPEN:
            if open_spans:
                nested = True
            open_spans.append((label, index))
        elif kind == _CLOSE and open_spans:
            opened, start = open_spans.pop()
            spans.append((opened, start, index))
        else:
            tag = tags[index]
            if problem:
                raise DataFormatError(path, line_numbers[index], f"{what}: {problem}")
            for label in opens:
                if open_spans:
                    nested = True
                open_spans.append((label, index))
            for label in closes:
                if not open_spans:
                    raise DataFormatError(path, line_numbers[index], f"{what}: ')' closes no open span in {tag!r}")
                opened, start = open_spans.pop()
                if label and label != opened:
                    raise DataFormatError(path, line_numbers[index],
                                          f"{what}: {label!r} closes a span opened as {opened!r}")
                spans.append((opened, start, index))
    if open_spans:
        label, start = open_spans[-1]
        raise DataFormatError(path, line_numbers[start], f"{what}: span {label!r} opened here is never closed "
                              "within its sentence")
    return spans, nested


@lru_cache(maxsize=1 << 16)
def _tag_parts(tag: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """One bracket tag -> ``(labels it opens, labels it closes ('' for a bare ')'), problem)``.

    Opens ``(LABEL`` (several), then an optional ``*``, then closings ``)`` or ``LABEL)`` (the long
    CoNLL-2005 form). ``problem`` is empty, or says why the tag cannot be read. A file uses a few
    hundred distinct tags, so each is parsed once.
    """
    opens = []
    rest = tag
    while rest.startswith("("):
        match = OPEN_RE.match(rest)
        if match is None:
            return (), (), f"bad opening bracket in {tag!r}"
        opens.append(match.group(1))
        rest = rest[match.end():]
    rest = rest.removeprefix("*")
    closes = tuple(closing[:-1] for closing in CLOSING_RE.findall(rest))
    if CLOSING_RE.sub("", rest):
        return (), (), f"cannot read {tag!r} (expected '(LABEL*', '*', '*)' or a mix)"
    return tuple(opens), closes, ""


def _outer_first(span: tuple[str, int, int]) -> tuple[int, int]:
    return span[1], -span[2]


_BIO_LABELS = _Memo(lambda label: (f"B-{label}", f"I-{label}"))


def spans_to_bio(length: int, spans: list[tuple[str, int, int]]) -> list[str]:
    """Spans -> BIO tags; where spans nest, the inner one wins on its own tokens."""
    return _bio(length, spans, len(spans) > 1)


def _bio(length: int, spans: list[tuple[str, int, int]], unordered: bool) -> list[str]:
    """:func:`spans_to_bio`; ``unordered`` False says the spans are disjoint and in order (no sort needed)."""
    tags = ["O"] * length
    for label, start, end in sorted(spans, key=_outer_first) if unordered else spans:
        begin, inside = _BIO_LABELS[label]
        tags[start] = begin
        if end > start:
            tags[start + 1:end + 1] = [inside] * (end - start)
    return tags


def parse_coref_column(entries: list[str], path: str | Path,
                       line_numbers: Sequence[int]) -> list[tuple[int, tuple[int, int]]]:
    """Coreference column -> ``(cluster id, (start, end))``, sorted by span.

    Entries: ``-``, ``(12``, ``12)``, ``(12)``, several joined with ``|``. Mentions of
    one entity may nest (each id keeps a stack of open starts).
    """
    open_starts: dict[int, list[int]] = {}
    mentions: list[tuple[int, tuple[int, int]]] = []
    if entries.count("-") == len(entries):
        return mentions
    parts_of = _COREF_PARTS
    for index in compress(range(len(entries)), map(ne, entries, repeat("-"))):
        parts = parts_of[entries[index]]
        if parts.__class__ is str:
            raise DataFormatError(path, line_numbers[index], f"coreference column: {parts}")
        for opens, cluster, closes in parts:
            if opens and closes:
                mentions.append((cluster, (index, index)))
            elif opens:
                if cluster in open_starts:
                    open_starts[cluster].append(index)
                else:
                    open_starts[cluster] = [index]
            else:
                starts = open_starts.get(cluster)
                if not starts:
                    raise DataFormatError(path, line_numbers[index],
                                          f"coreference column: '{cluster})' closes no open mention of {cluster}")
                mentions.append((cluster, (starts.pop(), index)))
    for cluster, starts in open_starts.items():
        if starts:
            raise DataFormatError(path, line_numbers[starts[-1]], f"coreference column: mention of {cluster} "
                                  "opened here is never closed within its sentence")
    if len(mentions) > 1:
        mentions.sort(key=_span_then_cluster)
    return mentions


_span_then_cluster = itemgetter(1, 0)


@lru_cache(maxsize=1 << 16)
def _coref_parts(entry: str) -> tuple[tuple[bool, int, bool], ...] | str:
    """``"(12|3)"`` -> ``((True, 12, False), (False, 3, True))``; a string says why it cannot be read."""
    parts = []
    for part in entry.split("|"):
        match = COREF_RE.fullmatch(part)
        if match is None:
            return f"cannot read {part!r} (expected '(N', 'N)', '(N)' or '-')"
        opens, closes = bool(match.group(1)), bool(match.group(3))
        if not opens and not closes:
            return f"{part!r} has no bracket"
        parts.append((opens, int(match.group(2)), closes))
    return tuple(parts)


_COREF_PARTS = _Memo(_coref_parts)


# --- rows -> sentences -> documents -----------------------------------------

_DASH_IS_NONE = {"-": None}
_start_end = itemgetter(1, 2)


def _none_if_dash(column: list[str]) -> list[str | None]:
    """The column with ``-`` read as None (``dict.get(v, v)`` mapped in C: this runs once per token)."""
    dashes = column.count("-")
    if dashes == len(column):  # most such columns of most sentences are all "-"
        return [None] * dashes
    if not dashes:  # e.g. the speaker column of a conversation
        return list(column)
    return list(map(_DASH_IS_NONE.get, column, column))


def _columns(rows: str, line_numbers: range, path: str | Path, plain: bool) -> list[list[str]]:
    """The columns of one sentence's rows (``rows``: its lines joined by newlines), checked to be of equal width.

    The whole block is split at once and the columns are strided slices of the fields, which is
    several times faster than splitting row by row and transposing. The rows line up exactly when
    the field count is rows x width and column 0 (the document name) is the same on every row; a
    block that fails this is split row by row to name the ragged line.
    """
    fields = rows.split() if plain else [f for f in _FIELD_SEPARATORS.split(rows) if f]
    end = rows.find("\n")
    first_row = rows if end < 0 else rows[:end]
    first = first_row.split() if plain else split_columns(first_row)
    width, length = len(first), len(line_numbers)
    # columns 1 and 2 (part number, word index) are not kept: None in their place
    columns = ([fields[0::width]] + [None] * min(2, width - 1) + [fields[k::width] for k in range(3, width)]
               if len(fields) == width * length else None)
    if columns is None or columns[0].count(first[0]) != length:
        for line, line_no in zip(rows.split("\n"), line_numbers):
            row = split_columns(line)
            if len(row) != width:
                raise DataFormatError(path, line_no, f"{len(row)} columns, but the sentence's first row "
                                      f"(line {line_numbers[0]}) has {width}")
        raise DataFormatError(path, line_numbers[0], "column 0 (the document name) differs between the rows "
                              "of this sentence")
    if width < FIXED_COLUMNS + 1:
        raise DataFormatError(path, line_numbers[0], f"{width} columns; a CoNLL-2012 row has at least "
                              f"{FIXED_COLUMNS + 1} (11 fixed, predicate arguments, coreference)")
    return columns


def _flat_brackets(columns: list[list[str]], width: int, length: int) -> list[list[tuple[str, int, int]]] | None:
    """The spans of the named-entity column and of each argument column, read in one pass over them all.

    Only for the common case: every tag is ``(L*``, ``*)``, ``(L*)`` or ``*``, and no span opens
    inside another (so each column's spans come out disjoint and in order). Anything else returns
    None, and the caller reads the columns one by one with :func:`_parse_brackets`, which also
    raises the error, if any, exactly as for any other input.
    """
    flat = list(chain.from_iterable(columns[10:width - 1]))
    info_of = _TAG_INFO
    per_column: list[list[tuple[str, int, int]]] = []
    spans: list[tuple[str, int, int]] = []
    base, limit = 0, length  # the current column is flat[base:limit]
    open_label, open_start = None, 0
    for position in compress(range(len(flat)), map(ne, flat, repeat("*"))):
        if position >= limit:
            if open_label is not None:
                return None
            while position >= limit:
                per_column.append(spans)
                spans = []
                base, limit = limit, limit + length
        kind, label, _, _, _ = info_of[flat[position]]
        if kind == _SINGLE and open_label is None:
            spans.append((label, position - base, position - base))
        elif kind == _OPEN and open_label is None:
            open_label, open_start = label, position - base
        elif kind == _CLOSE and open_label is not None:
            spans.append((open_label, open_start, position - base))
            open_label = None
        else:
            return None
    if open_label is not None:
        return None
    per_column.append(spans)
    per_column.extend([] for _ in range(width - 10 - len(per_column)))
    return per_column


def _build_sentence(rows: str, line_numbers: range, path: str | Path, plain: bool) -> Sentence:
    """One sentence from its lines joined by newlines (``line_numbers``: theirs in the file)."""
    columns = _columns(rows, line_numbers, path, plain)
    width, length = len(columns), len(line_numbers)
    srl_frames, srl_spans, srl_columns = [], [], []
    flat = _flat_brackets(columns, width, length)
    if flat is not None:
        # no nesting anywhere: each column's spans are disjoint and in order (nothing to sort)
        entities = flat[0]
        for k in range(FIXED_COLUMNS, width - 1):
            spans = flat[k - 10]
            verbs = [start for label, start, _ in spans if label == "V"]
            if not verbs:
                raise DataFormatError(path, line_numbers[0], f"the sentence has {width - FIXED_COLUMNS - 1} "
                                      f"argument columns but column {k - FIXED_COLUMNS + 1} has no '(V*' predicate")
            srl_frames.append((verbs[0], _bio(length, spans, False)))
            srl_spans.append(spans)
            srl_columns.append(columns[k])
    else:
        for k in range(FIXED_COLUMNS, width - 1):
            column = columns[k]
            spans, nested = _parse_brackets(column, path, line_numbers, f"argument column {k - FIXED_COLUMNS + 1}")
            verbs = [start for label, start, _ in spans if label == "V"]
            if not verbs:
                raise DataFormatError(path, line_numbers[0], f"the sentence has {width - FIXED_COLUMNS - 1} "
                                      f"argument columns but column {k - FIXED_COLUMNS + 1} has no '(V*' predicate")
            srl_frames.append((min(verbs), _bio(length, spans, nested)))
            srl_spans.append(spans)
            srl_columns.append(column)
        entities, nested = _parse_brackets(columns[10], path, line_numbers, "named entities")
        if nested:
            entities = sorted(entities, key=_start_end)
        # without nesting the spans are disjoint and already in order of (start, end)
    return Sentence(
        words=columns[3], pos=columns[4], parse_bits=columns[5],
        predicate_lemmas=_none_if_dash(columns[6]),
        predicate_framesets=_none_if_dash(columns[7]),
        word_senses=_none_if_dash(columns[8]),
        speakers=_none_if_dash(columns[9]),
        named_entities=entities,
        srl_frames=srl_frames, srl_spans=srl_spans, srl_columns=srl_columns,
        coref_spans=parse_coref_column(columns[width - 1], path, line_numbers),
        document_id=columns[0][0], line=line_numbers[0])


def _clusters(sentences: list[Sentence]) -> tuple[list[list[tuple[int, int]]], list[int]]:
    by_id: dict[int, list[tuple[int, int]]] = {}
    offset = 0
    for sentence in sentences:
        for cluster, (start, end) in sentence.coref_spans:
            by_id.setdefault(cluster, []).append((offset + start, offset + end))
        offset += len(sentence)
    ordered = sorted(by_id.items(), key=lambda item: min(item[1]))
    return [sorted(m) for _, m in ordered], [c for c, _ in ordered]


def read_conll2012_file(path: str | Path) -> list[Document]:
    """All parts of one file, in file order; a file without any token row is refused."""
    with gc_paused():
        return _read_conll2012_file(Path(path))


def _read_conll2012_file(path: Path) -> list[Document]:
    documents: list[Document] = []
    current: Document | None = None
    text = read_text(path)
    plain = is_plain(text)
    if text.startswith((" ", "\t")) or _LINE_STARTS_WITH_SPACE.search(text):
        pieces = _pieces_of_lines(text_lines(text), 1)  # a line may be blank but not empty
    else:
        pieces = _pieces_between_empty_lines(text)
    for line_no, rows, length, raw in pieces:
        if rows is not None:
            if current is None:
                raise DataFormatError(path, line_no, "a token row outside '#begin document' ... '#end document'")
            current.sentences.append(_build_sentence(rows, range(line_no, line_no + length), path, plain))
        elif raw.startswith("#begin document"):
            if current is not None:
                raise DataFormatError(path, line_no, f"'#begin document' inside the part opened at line "
                                      f"{current.line} (missing '#end document')")
            match = BEGIN_RE.match(raw)
            if match is None:
                raise DataFormatError(path, line_no, "expected '#begin document (NAME); part NNN'")
            current = Document(match.group(1), int(match.group(2)), [], path=str(path), line=line_no)
        elif raw.startswith("#end document"):
            if current is None:
                raise DataFormatError(path, line_no, "'#end document' without '#begin document'")
            current.clusters, current.cluster_ids = _clusters(current.sentences)
            documents.append(current)
            current = None
        else:
            raise DataFormatError(path, line_no, "a line starting with '#' that is neither '#begin document' "
                                  "nor '#end document'")
    if current is not None:
        raise DataFormatError(path, current.line, f"part {current.part} of {current.doc_id} begun here has no "
                              "'#end document' before the end of the file")
    if not any(document.sentences for document in documents):
        raise no_data(path, "sentence", "'#begin document (NAME); part NNN' lines, token rows, '#end document'",
                      "it is empty, or its parts hold no token row")
    return documents


# A piece of a file, in file order: (line number, rows, number of rows, None) for a block of token rows
# (a sentence; its lines joined by newlines), or (line number, None, 0, the line stripped) for a '#' line.
_Piece = tuple[int, "str | None", int, "str | None"]


def _pieces_of_lines(lines: list[str], first_line_no: int) -> Iterator[_Piece]:
    """The pieces of ``lines`` (the first being line ``first_line_no``). Token rows come in blocks
    between the blank (only space/tab) and '#' lines; those lines are found in C."""
    stripped = list(map(methodcaller("strip", " \t"), lines))
    blank = compress(count(), map(not_, stripped))
    marked = compress(count(), map(methodcaller("startswith", "#"), stripped))
    boundaries = sorted(set(blank).union(marked))
    boundaries.append(len(lines))
    first = 0
    for line_index in boundaries:
        if line_index > first:
            yield first + first_line_no, "\n".join(lines[first:line_index]), line_index - first, None
        first = line_index + 1
        if line_index < len(lines) and stripped[line_index]:
            yield line_index + first_line_no, None, 0, stripped[line_index]


def _pieces_between_empty_lines(text: str) -> Iterator[_Piece]:
    """The pieces of a text in which no line starts with a space or tab, so that a blank line is an
    empty one: the sentences are the text between two newlines in a row, cut out in C without
    making a string of each line. '#' lines are peeled off the start of a block; a block with a '#'
    line after its first row is handed to :func:`_pieces_of_lines`."""
    line_no = 1
    for chunk in text.split("\n\n"):
        newlines = chunk.count("\n")
        next_line_no = line_no + newlines + 2
        if chunk.startswith("\n"):  # three newlines in a row: one more empty line
            chunk = chunk[1:]
            line_no += 1
            newlines -= 1
        while chunk.startswith("#"):
            line, _, chunk = chunk.partition("\n")
            yield line_no, None, 0, line.rstrip(" \t")
            line_no += 1
            newlines -= 1
        if chunk.endswith("\n"):  # the text's final newline ends its last line
            chunk = chunk[:-1]
            newlines -= 1
        if chunk:
            if "#" in chunk and "\n#" in chunk:  # (a one-character search is a memchr)
                yield from _pieces_of_lines(chunk.split("\n"), line_no)
            else:
                yield line_no, chunk, newlines + 1, None
        line_no = next_line_no


def conll2012_files(path: str | Path, pattern: str = "*gold_conll") -> list[Path]:
    """A file itself, or every file under a directory matching ``pattern`` (recursive, sorted)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"no CoNLL-2012 file or directory at {path}")
    files = sorted(p for p in path.rglob(pattern) if p.is_file())
    if not files:
        raise FileNotFoundError(f"no {pattern} files under {path}")
    return files


def read_conll2012(path: str | Path, pattern: str = "*gold_conll") -> list[Document]:
    """Every part in a file or a directory tree (``*_gold_conll`` / ``*.gold_conll``), files in sorted order."""
    files = conll2012_files(path, pattern)
    with gc_paused():
        return [doc for file in files for doc in _read_conll2012_file(file)]


# --- the coreference column as the reference scorer reads it ----------------------------

_SCORER_BEGIN_RE = re.compile(r"^#\s*begin document (.*)$")
_SCORER_END_RE = re.compile(r"#\s*end document")
_SCORER_DOUBLE_ANTECEDENT_RE = re.compile(r"\(([0-9]+\+[0-9])\)")
_SCORER_SINGLE_RE = re.compile(r"\(([0-9]+)\)")
_SCORER_OPEN_RE = re.compile(r"\(([0-9]+)")
_SCORER_CLOSE_RE = re.compile(r"([0-9]+)\)")


def _take_all(pattern: re.Pattern, text: str) -> tuple[list[str], str]:
    """Perl's ``while ($text =~ s/PATTERN//) { ... $1 ... }``: remove the leftmost match until none is
    left (a removal may join two pieces into a new match), returning each match's group 1 in turn."""
    found = []
    while (match := pattern.search(text)) is not None:
        found.append(match.group(1))
        text = text[:match.start()] + text[match.end():]
    return found, text


def read_coref_chains(path: str | Path, pattern: str = "*conll") -> dict[str, list[list[tuple[int, int]]]]:
    """Every part's coreference chains, read exactly as the CoNLL-2012 reference scorer v8.01 reads
    them (``GetCoreference`` / ``GetFileNames`` in ``CorScorer.pm``), for scoring.

    Returns ``{part name: chains}``. The part name is the rest of the ``#begin document`` line (e.g.
    ``(bc/cctv/00/cctv_0000); part 000``), the key the scorer matches key and response parts on; when
    a name occurs twice its last part is kept. Chains are in the order the scorer builds them (by the
    first appearance of the entity number), mentions in the order they are completed: both decide
    which duplicate the scorer drops and the order in which it sums. A mention is an inclusive
    ``(start, end)`` over the part's non-blank lines: sentence boundaries play no part, so a mention
    may run from the last token of one sentence into the next (:func:`read_conll2012` refuses those,
    the scorer scores them).

    The scorer's reading, reproduced: only the last TAB-separated field of a row is read (a row
    without TABs is read whole); entity numbers are compared as written (``01`` is not ``1``); on
    each row ``(N+M)`` is discarded, then every one-token mention ``(N)`` is taken, then every
    opening ``(N``, then every closing ``N)``, each as a leftmost-first removal (so ``1)|(1`` closes
    the mention it opens, as in the scorer); anything else in the field is ignored. Malformed
    input raises :class:`DataFormatError` where the scorer dies (a closing with no open mention, a
    mention still open at ``#end document``), and also for a mention still open where the file ends
    (the scorer does not check there).
    """
    parts: dict[str, list[list[tuple[int, int]]]] = {}
    for file in conll2012_files(path, pattern):
        parts.update(_read_coref_chains_file(file))
    return parts


def _read_coref_chains_file(path: Path) -> dict[str, list[list[tuple[int, int]]]]:
    parts: dict[str, list[list[tuple[int, int]]]] = {}
    lines = text_lines(read_text(path))
    index = 0
    while index < len(lines):
        match = _SCORER_BEGIN_RE.match(lines[index].rstrip("\r"))
        index += 1
        if match is None:
            continue  # the scorer skips everything between parts
        name, begin_line = match.group(1), index
        entity_of: dict[str, int] = {}
        entities: list[list[tuple[int, int]]] = []
        half: dict[int, list[int]] = {}
        token = 0
        ended = False
        while index < len(lines):
            line = lines[index]
            index += 1
            if not line.strip():
                continue
            if _SCORER_END_RE.search(line):
                ended = True
                break
            fields = line.split("\t")
            while len(fields) > 1 and not fields[-1]:
                fields.pop()  # Perl's split drops trailing empty fields
            info = fields[-1]
            if info != "_":
                _, info = _take_all(_SCORER_DOUBLE_ANTECEDENT_RE, info)
                singles, info = _take_all(_SCORER_SINGLE_RE, info)
                for number in singles:
                    entity = _entity_index(entity_of, entities, number)
                    entities[entity].append((token, token))
                opens, info = _take_all(_SCORER_OPEN_RE, info)
                for number in opens:
                    half.setdefault(_entity_index(entity_of, entities, number), []).append(token)
                closes, info = _take_all(_SCORER_CLOSE_RE, info)
                for number in closes:
                    entity = _entity_index(entity_of, entities, number)
                    if not half.get(entity):
                        raise DataFormatError(path, index, f"coreference column: '{number})' closes no open "
                                              f"mention of {number} (the scorer dies here)")
                    entities[entity].append((half[entity].pop(), token))
            token += 1
        if any(half.values()):
            where = "#end document" if ended else "the end of the file"
            raise DataFormatError(path, begin_line, f"part {name!r}: a mention is still open at {where}")
        parts[name] = [chain for chain in entities if chain]
    return parts


def _entity_index(entity_of: dict[str, int], entities: list, number: str) -> int:
    """The scorer's ``GetIndex``: entities are numbered in order of first appearance."""
    if number not in entity_of:
        entity_of[number] = len(entities)
        entities.append([])
    return entity_of[number]

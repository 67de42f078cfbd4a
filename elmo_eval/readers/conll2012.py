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
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress, count
from operator import itemgetter, methodcaller, not_
from pathlib import Path

from elmo_eval.readers.columns import FIELD_SEPARATORS as _FIELD_SEPARATORS
from elmo_eval.readers.columns import is_plain, read_text, split_columns, text_lines
from elmo_eval.readers.errors import DataFormatError

FIXED_COLUMNS = 11  # columns 0-10 before the predicate-argument columns
BEGIN_RE = re.compile(r"^#begin document \((.*)\);[ \t]*part[ \t]+(\d+)[ \t]*$")
OPEN_RE = re.compile(r"\(([^()*]+)")
CLOSING_RE = re.compile(r"[^)]*\)")
COREF_RE = re.compile(r"(\()?(\d+)(\))?")


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

def parse_bracket_column(tags: list[str], path: str | Path, line_numbers: Sequence[int],
                         what: str) -> list[tuple[str, int, int]]:
    """Start-End bracket notation -> ``(label, start, end)`` spans, in order of closing.

    tags: one entry per token (``(ARG0*``, ``*``, ``*)``, ``(V*)``, ``(GPE)``, ``*))``).
    Nested spans are allowed. Unbalanced brackets raise :class:`DataFormatError`
    naming the row's line; ``what`` says which column for the message.
    """
    open_spans: list[tuple[str, int]] = []
    spans: list[tuple[str, int, int]] = []
    # most tags are "*": visit only the others (selected in C)
    for index in compress(range(len(tags)), map("*".__ne__, tags)):
        tag = tags[index]
        opens, closes, problem = _tag_parts(tag)
        if problem:
            raise DataFormatError(path, line_numbers[index], f"{what}: {problem}")
        for label in opens:
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
    return spans


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


def spans_to_bio(length: int, spans: list[tuple[str, int, int]]) -> list[str]:
    """Spans -> BIO tags; where spans nest, the inner one wins on its own tokens."""
    tags = ["O"] * length
    for label, start, end in sorted(spans, key=_outer_first) if len(spans) > 1 else spans:
        tags[start] = f"B-{label}"
        for i in range(start + 1, end + 1):
            tags[i] = f"I-{label}"
    return tags


def parse_coref_column(entries: list[str], path: str | Path,
                       line_numbers: Sequence[int]) -> list[tuple[int, tuple[int, int]]]:
    """Coreference column -> ``(cluster id, (start, end))``, sorted by span.

    Entries: ``-``, ``(12``, ``12)``, ``(12)``, several joined with ``|``. Mentions of
    one entity may nest (each id keeps a stack of open starts).
    """
    open_starts: dict[int, list[int]] = {}
    mentions: list[tuple[int, tuple[int, int]]] = []
    for index in compress(range(len(entries)), map("-".__ne__, entries)):
        parts = _coref_parts(entries[index])
        if isinstance(parts, str):
            raise DataFormatError(path, line_numbers[index], f"coreference column: {parts}")
        for opens, cluster, closes in parts:
            if opens and closes:
                mentions.append((cluster, (index, index)))
            elif opens:
                open_starts.setdefault(cluster, []).append(index)
            else:
                if not open_starts.get(cluster):
                    raise DataFormatError(path, line_numbers[index],
                                          f"coreference column: '{cluster})' closes no open mention of {cluster}")
                mentions.append((cluster, (open_starts[cluster].pop(), index)))
    for cluster, starts in open_starts.items():
        if starts:
            raise DataFormatError(path, line_numbers[starts[-1]], f"coreference column: mention of {cluster} "
                                  "opened here is never closed within its sentence")
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


# --- rows -> sentences -> documents -----------------------------------------

_DASH_IS_NONE = {"-": None}
_start_end = itemgetter(1, 2)


def _none_if_dash(column: list[str]) -> list[str | None]:
    """The column with ``-`` read as None (``dict.get(v, v)`` mapped in C: this runs once per token)."""
    return list(map(_DASH_IS_NONE.get, column, column))


def _columns(block: list[str], line_numbers: Sequence[int], path: str | Path, plain: bool) -> list[list[str]]:
    """The columns of one sentence's rows (``block``: its lines), checked to be of equal width.

    The whole block is split at once and the columns are strided slices of the fields, which is
    several times faster than splitting row by row and transposing. The rows line up exactly when
    the field count is rows x width and column 0 (the document name) is the same on every row; a
    block that fails this is split row by row to name the ragged line.
    """
    text = "\n".join(block)
    fields = text.split() if plain else [f for f in _FIELD_SEPARATORS.split(text) if f]
    first = block[0].split() if plain else split_columns(block[0])
    width, length = len(first), len(block)
    if len(fields) != width * length or fields[0::width].count(first[0]) != length:
        for line, line_no in zip(block, line_numbers):
            row = split_columns(line)
            if len(row) != width:
                raise DataFormatError(path, line_no, f"{len(row)} columns, but the sentence's first row "
                                      f"(line {line_numbers[0]}) has {width}")
        raise DataFormatError(path, line_numbers[0], "column 0 (the document name) differs between the rows "
                              "of this sentence")
    if width < FIXED_COLUMNS + 1:
        raise DataFormatError(path, line_numbers[0], f"{width} columns; a CoNLL-2012 row has at least "
                              f"{FIXED_COLUMNS + 1} (11 fixed, predicate arguments, coreference)")
    return [fields[k::width] for k in range(width)]


def _build_sentence(block: list[str], line_numbers: Sequence[int], path: str | Path, plain: bool) -> Sentence:
    """One sentence from its lines (``line_numbers``: theirs in the file)."""
    columns = _columns(block, line_numbers, path, plain)
    width, length = len(columns), len(block)
    srl_frames, srl_spans, srl_columns = [], [], []
    for k in range(FIXED_COLUMNS, width - 1):
        column = columns[k]
        spans = parse_bracket_column(column, path, line_numbers, f"argument column {k - FIXED_COLUMNS + 1}")
        verbs = [start for label, start, _ in spans if label == "V"]
        if not verbs:
            raise DataFormatError(path, line_numbers[0], f"the sentence has {width - FIXED_COLUMNS - 1} argument "
                                  f"columns but column {k - FIXED_COLUMNS + 1} has no '(V*' predicate")
        srl_frames.append((min(verbs), spans_to_bio(length, spans)))
        srl_spans.append(spans)
        srl_columns.append(column)
    return Sentence(
        words=columns[3], pos=columns[4], parse_bits=columns[5],
        predicate_lemmas=_none_if_dash(columns[6]),
        predicate_framesets=_none_if_dash(columns[7]),
        word_senses=_none_if_dash(columns[8]),
        speakers=_none_if_dash(columns[9]),
        named_entities=sorted(parse_bracket_column(columns[10], path, line_numbers, "named entities"),
                              key=_start_end),
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
    """All parts of one file, in file order."""
    path = Path(path)
    documents: list[Document] = []
    current: Document | None = None
    text = read_text(path)
    plain = is_plain(text)
    lines = text_lines(text)
    # Token rows come in blocks between the blank and '#' lines; find those lines in C, then handle
    # one block (a sentence) at a time.
    stripped = list(map(methodcaller("strip", " \t"), lines))
    blank = compress(count(), map(not_, stripped))
    marked = compress(count(), map(methodcaller("startswith", "#"), stripped))
    boundaries = sorted(set(blank).union(marked))
    boundaries.append(len(lines))
    first = 0
    for line_index in boundaries:
        if line_index > first:
            if current is None:
                raise DataFormatError(path, first + 1, "a token row outside '#begin document' ... '#end document'")
            current.sentences.append(_build_sentence(lines[first:line_index], range(first + 1, line_index + 1),
                                                     path, plain))
        first = line_index + 1
        if line_index == len(lines) or not stripped[line_index]:
            continue
        line_no, raw = line_index + 1, stripped[line_index]
        if raw.startswith("#begin document"):
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
    return documents


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
    return [doc for file in conll2012_files(path, pattern) for doc in read_conll2012_file(file)]

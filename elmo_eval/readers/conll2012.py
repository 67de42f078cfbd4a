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
from dataclasses import dataclass, field
from pathlib import Path

from elmo_eval.readers.errors import DataFormatError

FIXED_COLUMNS = 11  # columns 0-10 before the predicate-argument columns
BEGIN_RE = re.compile(r"^#begin document \((.*)\);\s*part\s+(\d+)\s*$")
OPEN_RE = re.compile(r"\(([^()*]+)")


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

def parse_bracket_column(tags: list[str], path: str | Path, line_numbers: list[int],
                         what: str) -> list[tuple[str, int, int]]:
    """Start-End bracket notation -> ``(label, start, end)`` spans, in order of closing.

    tags: one entry per token (``(ARG0*``, ``*``, ``*)``, ``(V*)``, ``(GPE)``, ``*))``).
    Nested spans are allowed. Unbalanced brackets raise :class:`DataFormatError`
    naming the row's line; ``what`` says which column for the message.
    """
    open_spans: list[tuple[str, int]] = []
    spans: list[tuple[str, int, int]] = []
    for index, tag in enumerate(tags):
        rest = tag
        while rest.startswith("("):
            match = OPEN_RE.match(rest)
            if match is None:
                raise DataFormatError(path, line_numbers[index], f"{what}: bad opening bracket in {tag!r}")
            open_spans.append((match.group(1), index))
            rest = rest[match.end():]
        rest = rest.removeprefix("*")
        # closings: ")" or "LABEL)" (the long CoNLL-2005 form), one per span
        for closing in re.findall(r"[^)]*\)", rest):
            label = closing[:-1]
            if not open_spans:
                raise DataFormatError(path, line_numbers[index], f"{what}: ')' closes no open span in {tag!r}")
            opened, start = open_spans.pop()
            if label and label != opened:
                raise DataFormatError(path, line_numbers[index],
                                      f"{what}: {label!r} closes a span opened as {opened!r}")
            spans.append((opened, start, index))
        if re.sub(r"[^)]*\)", "", rest):
            raise DataFormatError(path, line_numbers[index], f"{what}: cannot read {tag!r} "
                                  "(expected '(LABEL*', '*', '*)' or a mix)")
    if open_spans:
        label, start = open_spans[-1]
        raise DataFormatError(path, line_numbers[start], f"{what}: span {label!r} opened here is never closed "
                              "within its sentence")
    return spans


def spans_to_bio(length: int, spans: list[tuple[str, int, int]]) -> list[str]:
    """Spans -> BIO tags; where spans nest, the inner one wins on its own tokens."""
    tags = ["O"] * length
    for label, start, end in sorted(spans, key=lambda s: (s[1], -s[2])):
        tags[start] = f"B-{label}"
        for i in range(start + 1, end + 1):
            tags[i] = f"I-{label}"
    return tags


def parse_coref_column(entries: list[str], path: str | Path,
                       line_numbers: list[int]) -> list[tuple[int, tuple[int, int]]]:
    """Coreference column -> ``(cluster id, (start, end))``, sorted by span.

    Entries: ``-``, ``(12``, ``12)``, ``(12)``, several joined with ``|``. Mentions of
    one entity may nest (each id keeps a stack of open starts).
    """
    open_starts: dict[int, list[int]] = {}
    mentions: list[tuple[int, tuple[int, int]]] = []
    for index, entry in enumerate(entries):
        if entry == "-":
            continue
        for part in entry.split("|"):
            match = re.fullmatch(r"(\()?(\d+)(\))?", part)
            if match is None:
                raise DataFormatError(path, line_numbers[index], f"coreference column: cannot read {part!r} "
                                      "(expected '(N', 'N)', '(N)' or '-')")
            opens, cluster, closes = bool(match.group(1)), int(match.group(2)), bool(match.group(3))
            if not opens and not closes:
                raise DataFormatError(path, line_numbers[index], f"coreference column: {part!r} has no bracket")
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
    return sorted(mentions, key=lambda m: (m[1], m[0]))


# --- rows -> sentences -> documents -----------------------------------------

def _none_if_dash(value: str) -> str | None:
    return None if value == "-" else value


def _build_sentence(rows: list[list[str]], line_numbers: list[int], path: str | Path) -> Sentence:
    width = len(rows[0])
    for row, line_no in zip(rows, line_numbers):
        if len(row) != width:
            raise DataFormatError(path, line_no, f"{len(row)} columns, but the sentence's first row "
                                  f"(line {line_numbers[0]}) has {width}")
    if width < FIXED_COLUMNS + 1:
        raise DataFormatError(path, line_numbers[0], f"{width} columns; a CoNLL-2012 row has at least "
                              f"{FIXED_COLUMNS + 1} (11 fixed, predicate arguments, coreference)")
    columns = list(zip(*rows))
    length = len(rows)
    srl_frames, srl_spans, srl_columns = [], [], []
    for k in range(FIXED_COLUMNS, width - 1):
        column = list(columns[k])
        spans = parse_bracket_column(column, path, line_numbers, f"argument column {k - FIXED_COLUMNS + 1}")
        verbs = [start for label, start, _ in spans if label == "V"]
        if not verbs:
            raise DataFormatError(path, line_numbers[0], f"the sentence has {width - FIXED_COLUMNS - 1} argument "
                                  f"columns but column {k - FIXED_COLUMNS + 1} has no '(V*' predicate")
        srl_frames.append((min(verbs), spans_to_bio(length, spans)))
        srl_spans.append(spans)
        srl_columns.append(column)
    return Sentence(
        words=list(columns[3]), pos=list(columns[4]), parse_bits=list(columns[5]),
        predicate_lemmas=[_none_if_dash(v) for v in columns[6]],
        predicate_framesets=[_none_if_dash(v) for v in columns[7]],
        word_senses=[_none_if_dash(v) for v in columns[8]],
        speakers=[_none_if_dash(v) for v in columns[9]],
        named_entities=sorted(parse_bracket_column(list(columns[10]), path, line_numbers, "named entities"),
                              key=lambda s: (s[1], s[2])),
        srl_frames=srl_frames, srl_spans=srl_spans, srl_columns=srl_columns,
        coref_spans=parse_coref_column(list(columns[width - 1]), path, line_numbers),
        document_id=rows[0][0], line=line_numbers[0])


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
    rows: list[list[str]] = []
    row_lines: list[int] = []

    def end_sentence():
        if rows:
            current.sentences.append(_build_sentence(rows, row_lines, path))
            rows.clear()
            row_lines.clear()

    with open(path, encoding="utf-8") as handle:
        for line_no, raw in enumerate(handle, start=1):
            line = raw.strip()
            if line.startswith("#begin document"):
                if current is not None:
                    raise DataFormatError(path, line_no, f"'#begin document' inside the part opened at line "
                                          f"{current.line} (missing '#end document')")
                match = BEGIN_RE.match(line)
                if match is None:
                    raise DataFormatError(path, line_no, "expected '#begin document (NAME); part NNN'")
                current = Document(match.group(1), int(match.group(2)), [], path=str(path), line=line_no)
            elif line.startswith("#end document"):
                if current is None:
                    raise DataFormatError(path, line_no, "'#end document' without '#begin document'")
                end_sentence()
                current.clusters, current.cluster_ids = _clusters(current.sentences)
                documents.append(current)
                current = None
            elif not line:
                if current is not None:
                    end_sentence()
            else:
                if current is None:
                    raise DataFormatError(path, line_no, "a token row outside '#begin document' ... '#end document'")
                rows.append(line.split())
                row_lines.append(line_no)
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

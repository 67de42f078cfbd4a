"""SQuAD 1.1 JSON: articles -> paragraphs -> questions, tokenised with character offsets.

The file is ``{"data": [{"title", "paragraphs": [{"context", "qas": [{"id",
"question", "answers": [{"text", "answer_start"}]}]}]}]}``. Every question
becomes one :class:`SquadQuestion` carrying its paragraph's text, tokens and
token character spans, so a predicted token span maps back to the exact
passage substring (what the official scorer compares).

Gold answers are mapped from character offsets to token spans. An answer
whose characters do not start and end on token boundaries (``"1858."`` vs the
token ``1858``, or part of a hyphenated word) is expanded to the tokens that
cover it and counted in :class:`SquadReadReport`.
"""
from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from elmo_eval.readers.errors import DataFormatError
from elmo_eval.readers.text import no_data, read_text

# A token is a run of word characters or one other non-space character, so
# punctuation is always split off and every token keeps its character span.
# Running text: Unicode spaces (U+00A0, U+2009, U+3000) separate tokens like ASCII spaces, as the
# official scorer's whitespace split does; U+FEFF (zero width) is no token. Offsets keep every character.
_TOKEN = re.compile(r"\w+|[^\w\s\ufeff]", re.UNICODE)


def tokenize_with_offsets(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Deterministic tokenizer: tokens and their ``(start, end)`` character spans (end exclusive)."""
    tokens, spans = [], []
    for match in _TOKEN.finditer(text):
        tokens.append(match.group())
        spans.append((match.start(), match.end()))
    return tokens, spans


def char_span_to_token_span(spans: list[tuple[int, int]], char_start: int,
                            char_end: int) -> tuple[tuple[int, int] | None, bool]:
    """Character span ``[char_start, char_end)`` -> (inclusive token span or None, exact boundaries?).

    The token span covers every token that overlaps the characters; it is None
    when no token does (an answer made only of whitespace).
    """
    # spans are sorted and disjoint: binary search instead of a scan
    first = bisect.bisect_right([e for _, e in spans], char_start)
    last = bisect.bisect_left([s for s, _ in spans], char_end) - 1
    if first > last:
        return None, False
    exact = spans[first][0] == char_start and spans[last][1] == char_end
    return (first, last), exact


@dataclass(frozen=True)
class SquadQuestion:
    """One question about one paragraph.

    passage_tokens / passage_spans: the paragraph's tokens and their character
    spans in ``passage``; answers: every gold answer text (the scorer takes the
    max over them); span: the first gold answer as an inclusive token span
    ``(start, end)``, or None when it could not be mapped.
    """

    id: str
    question: str
    question_tokens: tuple[str, ...]
    passage: str
    passage_tokens: tuple[str, ...]
    passage_spans: tuple[tuple[int, int], ...]
    answers: tuple[str, ...]
    span: tuple[int, int] | None
    title: str = ""

    def answer_text(self, start: int, end: int) -> str:
        """The passage substring from token ``start`` to token ``end`` (inclusive), as AllenNLP decodes."""
        return self.passage[self.passage_spans[start][0]:self.passage_spans[end][1]]


@dataclass
class SquadReadReport:
    """What the file holds (articles, paragraphs, questions) and what the reader had to adjust: counts over
    all gold answers of the file."""

    articles: int = 0
    paragraphs: int = 0
    questions: int = 0
    answers: int = 0
    answers_off_token_boundary: int = 0      # expanded to the covering tokens
    answers_text_mismatch: int = 0           # context[answer_start:...] != answer text
    answers_unmappable: int = 0              # no token overlaps the answer's characters
    examples: list[str] = field(default_factory=list)  # a few question ids with adjustments, for logs


def _expect(value, kind, path, where: str, what: str):
    if not isinstance(value, kind):
        raise DataFormatError(path, where, f"expected {what}, found {type(value).__name__}")
    return value


def _get(obj: dict, key: str, kind, path, where: str, what: str):
    if key not in obj:
        raise DataFormatError(path, where, f"missing key {key!r} (expected {what})")
    return _expect(obj[key], kind, path, f"{where}.{key}", what)


def _text(obj: dict, key: str, path, where: str, what: str) -> str:
    """A string that must hold some text: a question or passage of only spaces gives nothing to encode."""
    value = _get(obj, key, str, path, where, what)
    if not value.strip():
        raise DataFormatError(path, f"{where}.{key}", f"{what} is empty (expected some text)")
    return value


def read_squad(path: str | Path) -> tuple[list[SquadQuestion], SquadReadReport]:
    """Read a SQuAD 1.1 file: the questions in file order and a report of answer adjustments.

    Malformed structure raises :class:`DataFormatError` naming the file and the
    JSON path (``data[3].paragraphs[0].qas[2]``) with what was expected there; so does an empty
    (or all-space) question or context, and a file without any question.
    """
    path = Path(path)
    text = read_text(path)
    if not text.strip():
        raise no_data(path, "JSON", "a SQuAD 1.1 JSON object with a 'data' list of articles",
                      "it is empty or holds only whitespace")
    try:
        root = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataFormatError(path, err.lineno, f"invalid JSON: {err.msg} (column {err.colno})") from None
    _expect(root, dict, path, "$", "a JSON object with a 'data' list")
    articles = _get(root, "data", list, path, "$", "a list of articles")
    report = SquadReadReport()
    questions: list[SquadQuestion] = []
    report.articles = len(articles)
    for a, article in enumerate(articles):
        where_a = f"data[{a}]"
        _expect(article, dict, path, where_a, "an article object")
        title = article.get("title", "")
        for p, paragraph in enumerate(_get(article, "paragraphs", list, path, where_a, "a list of paragraphs")):
            where_p = f"{where_a}.paragraphs[{p}]"
            _expect(paragraph, dict, path, where_p, "a paragraph object")
            context = _text(paragraph, "context", path, where_p, "the paragraph text")
            report.paragraphs += 1
            tokens, spans = tokenize_with_offsets(context)
            for q, qa in enumerate(_get(paragraph, "qas", list, path, where_p, "a list of questions")):
                where_q = f"{where_p}.qas[{q}]"
                _expect(qa, dict, path, where_q, "a question object")
                qid = _get(qa, "id", str, path, where_q, "the question id string")
                text = _text(qa, "question", path, where_q, "the question text")
                golds = _get(qa, "answers", list, path, where_q, "a list of answers")
                answers, span = [], None
                for n, answer in enumerate(golds):
                    where_n = f"{where_q}.answers[{n}]"
                    _expect(answer, dict, path, where_n, "an answer object")
                    answer_text = _get(answer, "text", str, path, where_n, "the answer text")
                    start = answer.get("answer_start")
                    if not isinstance(start, int) or isinstance(start, bool) or not 0 <= start <= len(context):
                        raise DataFormatError(path, f"{where_n}.answer_start",
                                              f"expected a character offset in [0, {len(context)}], found {start!r}")
                    answers.append(answer_text)
                    mapped = _map_answer(spans, context, start, answer_text, report, qid)
                    if n == 0:
                        span = mapped
                report.questions += 1
                q_tokens, _ = tokenize_with_offsets(text)
                questions.append(SquadQuestion(qid, text, tuple(q_tokens), context, tuple(tokens), tuple(spans),
                                               tuple(answers), span, title))
    if not questions:
        raise no_data(path, "question", "articles with paragraphs whose 'qas' list questions",
                      "its 'data' holds no paragraph with a question")
    return questions, report


def _map_answer(spans, context: str, start: int, text: str, report: SquadReadReport,
                qid: str) -> tuple[int, int] | None:
    """One gold answer -> inclusive token span, counting what had to be adjusted."""
    report.answers += 1
    end = start + len(text)
    if context[start:end] != text:
        report.answers_text_mismatch += 1
    span, exact = char_span_to_token_span(spans, start, end)
    if span is None:
        report.answers_unmappable += 1
    elif not exact:
        report.answers_off_token_boundary += 1
    if (span is None or not exact) and len(report.examples) < 10:
        report.examples.append(qid)
    return span

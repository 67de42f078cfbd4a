"""Every format against every kind of bad input (issue 19): a clean, correct read or one clear error.

The matrix: CoNLL-2003, CoNLL-2005, CoNLL-2012, SST, SNLI, SQuAD, AG News, GloVe vectors and the
pretraining corpus, each against

  non-UTF-8 byte, empty file, file of only blank lines / markers, byte-order mark, malformed line,
  wrong column count, bad label, huge sentence (10,000 tokens), zero-length sentence, CRLF line ends

where the case applies to the format. A BOM, CRLF ends and a huge sentence must read exactly like
the plain file; every other case must raise an error of a :class:`~elmo_eval.errors.UsageError`
subclass whose message starts with ``"{file}:{line}:"`` (``"{file}:{json path}:"`` inside a SQuAD
file; for a file without any data, which has no line to name, the file).

Then through the command line (``data check`` for the seven tasks, ``probe --glove`` for vectors,
``pretrain`` for a corpus): exit status 2, one line on stderr, no traceback, and the data
registry (or the output folder) exactly as before. Files are tiny and written under ``tmp_path``.
"""
from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from elmo_eval.cli import main
from elmo_eval.errors import UsageError
from elmo_eval.pretrain.corpus import scan_corpus
from elmo_eval.readers.agnews import read_agnews
from elmo_eval.readers.conll2003 import read_conll2003
from elmo_eval.readers.conll2005 import read_conll2005
from elmo_eval.readers.conll2012 import read_conll2012
from elmo_eval.readers.snli import read_snli
from elmo_eval.readers.squad import read_squad
from elmo_eval.readers.sst import read_sst
from elmo_eval.word_vectors import read_glove

BOM = b"\xef\xbb\xbf"
LATIN1 = b"caf\xe9"  # "café" in Latin-1: 0xe9 followed by an ASCII byte is not UTF-8
HUGE = 10_000
OK, HUGE_OK = "reads like the plain file", "reads the huge sentence"
EMPTY = None  # the locator of a file without data: the file alone


@dataclass
class Format:
    """A format's tiny valid file, a reader that returns something comparable, and its bad variants.

    ``cases``: case -> (file content, expected): OK / HUGE_OK, or the locator the error must name
    (a line number, a SQuAD JSON path, or EMPTY). ``huge_tokens``: the token count of the longest
    sentence in what ``read`` returns. ``name``: the file name (the split name ``data check`` knows).
    """

    name: str
    good: bytes
    read: Callable[[Path], object]
    huge_tokens: Callable[[Path], int]
    cases: dict[str, tuple[bytes, object]] = field(default_factory=dict)


def _lines(*lines: str | bytes) -> bytes:
    return b"".join((line.encode() if isinstance(line, str) else line) + b"\n" for line in lines)


# --- CoNLL-2003 ------------------------------------------------------------------------------------

NER_LINES = ["-DOCSTART- -X- -X- O", "", "EU NNP B-NP B-ORG", "rejects VBZ B-VP O", "",
             "-DOCSTART- -X- -X- O", "", "Peter NNP B-NP B-PER"]


def _ner(**replace: str | bytes) -> bytes:
    """The CoNLL-2003 sample with lines replaced (``l4="..."``: line 4)."""
    lines = list(NER_LINES)
    for key, value in replace.items():
        lines[int(key[1:]) - 1] = value
    return _lines(*lines)


CONLL2003 = Format(
    "eng.train", _ner(),
    read=lambda p: [(s.tokens, s.pos, s.chunks, s.tags, s.document, s.line_no) for s in read_conll2003(p)],
    huge_tokens=lambda p: max(len(s.tokens) for s in read_conll2003(p)),
    cases={
        "non_utf8": (_ner(l4=LATIN1 + b" VBZ B-VP O"), 4),
        "empty": (b"", EMPTY),
        "blank_only": (_lines("-DOCSTART- -X- -X- O", "", "", "-DOCSTART- -X- -X- O", ""), EMPTY),
        "malformed": (_ner(l4="EU rejects German call to boycott British lamb ."), 4),
        "wrong_columns": (_ner(l4="rejects VBZ O"), 4),
        "bad_label": (_ner(l4="rejects VBZ B-VP X-PER"), 4),
        "huge": (_lines(*[f"w{i} NN I-NP O" for i in range(HUGE)]), HUGE_OK),
        "zero_length": (_ner(l5="\n\n"), [(["EU", "rejects"], ["NNP", "VBZ"], ["B-NP", "B-VP"], ["B-ORG", "O"], 0, 3),
                                          (["Peter"], ["NNP"], ["B-NP"], ["B-PER"], 1, 10)]),
    })

# --- CoNLL-2005 (words beside props) ---------------------------------------------------------------

SRL05_LINES = ["The - (A0*", "cat - *)", "sleeps sleep (V*)", "", "Hi -"]


def _srl05(**replace: str | bytes) -> bytes:
    lines = list(SRL05_LINES)
    for key, value in replace.items():
        lines[int(key[1:]) - 1] = value
    return _lines(*lines)


CONLL2005 = Format(
    "test.txt", _srl05(),
    read=lambda p: [(s.words, s.predicate_lemmas, s.srl_frames, s.line) for s in read_conll2005(p)],
    huge_tokens=lambda p: max(len(s.words) for s in read_conll2005(p)),
    cases={
        "non_utf8": (_srl05(l2=LATIN1 + b" - *)"), 2),
        "empty": (b"", EMPTY),
        "blank_only": (b"\n \n\t\n", EMPTY),
        "malformed": (_srl05(l2="cat - *"), 1),  # (A0* opened on line 1 is never closed
        "wrong_columns": (_srl05(l2="cat -"), 2),
        "bad_label": (_srl05(l2="cat - A0"), 2),
        "huge": (_lines(*[f"w{i} -" for i in range(HUGE)]), HUGE_OK),
        "zero_length": (_srl05(l4="\n\n"), [(["The", "cat", "sleeps"], [None, None, "sleep"],
                                             [(2, ["B-A0", "I-A0", "B-V"])], 1), (["Hi"], [None], [], 7)]),
    })

# --- CoNLL-2012 -----------------------------------------------------------------------------------

DOC = "bc/x/00/x_0"


def _row12(i: int, word: str | bytes, lemma: str = "-", arg: str = "*", coref: str = "-") -> bytes:
    word = word.encode() if isinstance(word, str) else word
    frameset = "01" if lemma != "-" else "-"
    return b" ".join([DOC.encode(), b"0", str(i).encode(), word] +
                     [c.encode() for c in ("NN", "*", lemma, frameset, "-", "-", "*", arg, coref)])


def _conll12(*rows: bytes) -> bytes:
    return _lines(f"#begin document ({DOC}); part 000", *rows, "", "#end document")


GOOD12 = [_row12(0, "He", arg="(ARG0*)", coref="(1)"), _row12(1, "slept", lemma="sleep", arg="(V*)"),
          _row12(2, "well", arg="(ARGM-MNR*)")]


def _conll12_with(line: int, row: bytes) -> bytes:
    """The sample with the token row on file line ``line`` (2-4) replaced."""
    rows = list(GOOD12)
    rows[line - 2] = row
    return _conll12(*rows)


CONLL2012 = Format(
    "train.english.v4_gold_conll", _conll12(*GOOD12),
    read=lambda p: [(d.doc_id, d.clusters, [(s.words, s.srl_frames, s.line) for s in d.sentences])
                    for d in read_conll2012(p)],
    huge_tokens=lambda p: max(len(s.words) for d in read_conll2012(p) for s in d.sentences),
    cases={
        "non_utf8": (_conll12_with(3, _row12(1, LATIN1, lemma="sleep", arg="(V*)")), 3),
        "empty": (b"", EMPTY),
        "blank_only": (_lines(f"#begin document ({DOC}); part 000", "", "#end document"), EMPTY),
        "malformed": (_conll12_with(2, _row12(0, "He", arg="(ARG0*", coref="(1)")), 2),  # never closed
        "wrong_columns": (_conll12_with(3, _row12(1, "slept", lemma="sleep", arg="(V*)") + b" extra"), 3),
        "bad_label": (_conll12_with(4, _row12(2, "well", arg="(ARGM-MNR*)", coref="(x)")), 4),
        "huge": (_conll12(*[_row12(i, f"w{i}", "go" if i == 0 else "-", "(V*)" if i == 0 else "*")
                            for i in range(HUGE)]), HUGE_OK),
        "zero_length": (_lines(f"#begin document ({DOC}); part 000", "", "", *GOOD12, "", "", "", "#end document"),
                        [(DOC, [[(0, 0)]], [(["He", "slept", "well"], [(1, ["B-ARG0", "B-V", "B-ARGM-MNR"])], 4)])]),
    })

# --- SST ------------------------------------------------------------------------------------------

SST_LINES = ["(3 (2 A) (3 good))", "(1 (2 A) (1 bad))"]
SST = Format(
    "train.txt", _lines(*SST_LINES),
    read=lambda p: [(s.tokens, [n.label for n in s.tree.subtrees()], s.line_no) for s in read_sst(p)],
    huge_tokens=lambda p: max(len(s.tokens) for s in read_sst(p)),
    cases={
        "non_utf8": (_lines(SST_LINES[0], b"(1 (2 " + LATIN1 + b") (1 bad))"), 2),
        "empty": (b"", EMPTY),
        "blank_only": (b"\n  \n\t\n", EMPTY),
        "malformed": (_lines(SST_LINES[0], "(1 (2 A) (1 bad)"), 2),
        "bad_label": (_lines(SST_LINES[0], "(7 (2 A) (1 bad))"), 2),
        # a right-branching tree 10,000 nodes deep: the recursive parser hit the recursion limit
        "huge": (_lines("".join(f"(3 (2 w{i}) " for i in range(HUGE - 1)) + "(2 end)" + ")" * (HUGE - 1)), HUGE_OK),
        "zero_length": (_lines(SST_LINES[0], "(1 (2 A) (1 ))"), 2),
    })

# --- SNLI -----------------------------------------------------------------------------------------


def _pair(label: str = "neutral", s1: str = "A man sleeps .", s2: str = "A man rests .", pair_id: str = "p") -> str:
    return json.dumps({"gold_label": label, "sentence1": s1, "sentence2": s2, "pairID": pair_id})


SNLI_HEADER = "gold_label\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1\tsentence2\tpairID"
SNLI = Format(
    "snli_1.0_train.jsonl", _lines(_pair(pair_id="p1"), _pair("-", pair_id="p2"), _pair("entailment", pair_id="p3")),
    read=lambda p: (lambda pairs, report: ([(x.pair_id, x.premise, x.hypothesis, x.label, x.line_no) for x in pairs],
                                           report.total))(*read_snli(p)),
    huge_tokens=lambda p: max(len(x.premise) for x in read_snli(p)[0]),
    cases={
        "non_utf8": (_lines(_pair(), b'{"gold_label": "neutral", "sentence1": "' + LATIN1
                            + b'", "sentence2": "b", "pairID": "q"}'), 2),
        "empty": (b"", EMPTY),
        "blank_only": (b"\n\n", EMPTY),
        "malformed": (_lines(_pair(), '{"gold_label": "neutral", "sentence1": "a"'), 2),
        "wrong_columns": (_lines(SNLI_HEADER, "neutral\t( a )\t( b )\ta\tb\tp1",
                                 "neutral\t( a )\t( b )\ta\tb\tp2\tstray"), 3),
        "bad_label": (_lines(_pair(), _pair("maybe")), 2),
        "huge": (_lines(_pair(s1=" ".join(f"w{i}" for i in range(HUGE)))), HUGE_OK),
        "zero_length": (_lines(_pair(), _pair(s2="")), 2),
    })

# --- SQuAD ----------------------------------------------------------------------------------------


def _squad(question: str = "Who ran?", context: str = "Tom ran.", start: int = 0) -> dict:
    return {"data": [{"title": "t", "paragraphs": [{"context": context, "qas": [
        {"id": "q1", "question": question, "answers": [{"text": "Tom", "answer_start": start}]}]}]}]}


def _json(data: dict) -> bytes:
    return json.dumps(data, indent=1).encode() + b"\n"


QUESTION_LINE = next(n for n, line in enumerate(_json(_squad()).split(b"\n"), 1) if b'"Who ran?"' in line)
QAS = "data[0].paragraphs[0].qas[0]"
SQUAD = Format(
    "train-v1.1.json", _json(_squad()),
    read=lambda p: (lambda qs, report: ([(q.id, q.question_tokens, q.passage_tokens, q.span) for q in qs],
                                        report.questions))(*read_squad(p)),
    huge_tokens=lambda p: max(len(q.passage_tokens) for q in read_squad(p)[0]),
    cases={
        "non_utf8": (_json(_squad()).replace(b"Who ran?", LATIN1 + b"?"), QUESTION_LINE),
        "empty": (b"", EMPTY),
        "blank_only": (b"\n \n", EMPTY),
        "no_questions": (b'{"data": [{"title": "t", "paragraphs": []}]}\n', EMPTY),
        "malformed": (b'{"data": [\n  {"title": "t",}\n]}\n', 2),
        "bad_label": (_json(_squad(start=99)), f"{QAS}.answers[0].answer_start"),
        "huge": (_json(_squad(context="Tom " + " ".join(f"w{i}" for i in range(HUGE - 1)))), HUGE_OK),
        "zero_length": (_json(_squad(question="")), f"{QAS}.question"),
        "zero_length_context": (_json(_squad(context=" ")), "data[0].paragraphs[0].context"),
    })

# --- AG News --------------------------------------------------------------------------------------

AG_LINES = ['"1","Title","Text here"', '"2","Other","More text"']
AGNEWS = Format(
    "train.csv", _lines(*AG_LINES),
    read=lambda p: [(x.label, x.title, x.tokens, x.line_no) for x in read_agnews(p)],
    huge_tokens=lambda p: max(len(x.tokens) for x in read_agnews(p)),
    cases={
        "non_utf8": (_lines(AG_LINES[0], b'"2","' + LATIN1 + b'","More"'), 2),
        "empty": (b"", EMPTY),
        "blank_only": (_lines('"class","title","description"', ""), EMPTY),  # a header and nothing else
        "malformed": (_lines(AG_LINES[0], '"2","Other,"More text"'), 2),  # a quote out of place
        "wrong_columns": (_lines(AG_LINES[0], '"2","Other"'), 2),
        "bad_label": (_lines(AG_LINES[0], '"5","Other","More"'), 2),
        "huge": (_lines('"1","T","' + " ".join(f"w{i}" for i in range(HUGE - 1)) + '"'), HUGE_OK),
        "zero_length": (_lines(AG_LINES[0], '"2","",""'), 2),
    })

# --- GloVe vectors --------------------------------------------------------------------------------

GLOVE_LINES = ["the 0.1 0.2 0.3", "cat 0.4 0.5 0.6", "at name@domain.com 0.7 0.8 0.9"]  # a word with a space
GLOVE = Format(
    "vectors.txt", _lines(*GLOVE_LINES),
    read=lambda p: (lambda words, matrix: (words, matrix.tolist()))(*read_glove(p)),
    huge_tokens=lambda p: 0,
    cases={
        "non_utf8": (_lines(GLOVE_LINES[0], LATIN1 + b" 0.4 0.5 0.6"), 2),
        "empty": (b"", EMPTY),
        "blank_only": (b"\n\n", 1),  # the first line sets the dimension: an empty one is an error there
        # two rows on one line were read as the word 'the 0.1 0.2 0.3 cat'
        "malformed": (_lines(GLOVE_LINES[0], "cat 0.4 0.5 0.6 dog 0.7 0.8 0.9"), 2),
        "wrong_columns": (_lines(GLOVE_LINES[0], "cat 0.4 0.5"), 2),
        "bad_label": (_lines(GLOVE_LINES[0], "cat 0.4 x 0.6"), 2),  # a value that is not a number
        "zero_length": (_lines(GLOVE_LINES[0], " 0.4 0.5 0.6"), 2),  # an empty word
    })

# --- pretraining corpus ---------------------------------------------------------------------------

CORPUS_LINES = ["the cat sat", "on the mat ."]
CORPUS = Format(
    "corpus.txt", _lines(*CORPUS_LINES),
    read=lambda p: (lambda counts, stats: (dict(counts), stats.as_dict()))(*scan_corpus([p], max_length=50)),
    huge_tokens=lambda p: scan_corpus([p], max_length=50)[1].tokens,
    cases={
        "non_utf8": (_lines(CORPUS_LINES[0], LATIN1 + b" au lait"), 2),
        "empty": (b"", EMPTY),
        "blank_only": (b"\n  \n", EMPTY),
        "huge": (_lines(" ".join(f"w{i}" for i in range(HUGE))), HUGE_OK),
        "zero_length": (_lines(CORPUS_LINES[0], "", "   ", CORPUS_LINES[1]),
                        ({"the": 2, "cat": 1, "sat": 1, "on": 1, "mat": 1, ".": 1},
                         {"files": 1, "lines": 2, "sentences": 2, "tokens": 7, "split_too_long": 0,
                          "heldout_sentences": 0})),
    })

FORMATS = {"conll2003": CONLL2003, "conll2005": CONLL2005, "conll2012": CONLL2012, "sst": SST, "snli": SNLI,
           "squad": SQUAD, "agnews": AGNEWS, "glove": GLOVE, "corpus": CORPUS}


def _variants(fmt: Format) -> dict[str, tuple[bytes, object]]:
    """The format's own cases plus the ones every format shares: a BOM and CRLF line ends."""
    return {"bom": (BOM + fmt.good, OK), "crlf": (fmt.good.replace(b"\n", b"\r\n"), OK),
            "bom_crlf": (BOM + fmt.good.replace(b"\n", b"\r\n"), OK), **fmt.cases}


MATRIX = [(name, case) for name, fmt in FORMATS.items() for case in _variants(fmt)]


def _write(folder: Path, name: str, content: bytes, fmt_name: str) -> Path:
    """The file (the SNLI tab-separated case as the .txt release)."""
    if fmt_name == "snli" and content.startswith(SNLI_HEADER.encode()):
        name = name.replace(".jsonl", ".txt")
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def assert_names_file_and_line(error: BaseException, path: Path, where: object) -> None:
    message = str(error)
    assert isinstance(error, UsageError), f"{type(error).__name__} is not a UsageError: {message}"
    assert "\n" not in message and "Traceback" not in message
    if where is EMPTY:  # no line to name; the corpus's message predates this rule: "corpus file PATH is empty"
        assert str(path) in message and ("no " in message or "empty" in message), message
    else:
        assert message.startswith(f"{path}:{where}: "), message


@pytest.mark.parametrize("fmt_name, case", MATRIX)
def test_reader(tmp_path, fmt_name, case):
    fmt = FORMATS[fmt_name]
    content, expected = _variants(fmt)[case]
    path = _write(tmp_path, fmt.name, content, fmt_name)
    if expected == OK:
        assert fmt.read(path) == fmt.read(_write(tmp_path / "plain", fmt.name, fmt.good, fmt_name))
    elif expected == HUGE_OK:
        assert fmt.huge_tokens(path) == HUGE
    elif isinstance(expected, (list, tuple)):  # a clean read with this result
        assert fmt.read(path) == expected
    else:
        with pytest.raises(Exception) as caught:
            fmt.read(path)
        assert_names_file_and_line(caught.value, path, expected)
        if case == "non_utf8":
            assert "0xe9" in str(caught.value) and "expected UTF-8 text" in str(caught.value)


def test_gzip_input_names_the_line_of_a_bad_byte(tmp_path):
    """CoNLL-2005 release files are gzipped: the line is counted in the decompressed text."""
    split = tmp_path / "test.wsj"
    (split / "words").mkdir(parents=True)
    (split / "props").mkdir()
    with gzip.open(split / "words" / "test.wsj.words.gz", "wb") as handle:
        handle.write(BOM + b"The\ncat\n\nHi\n" + LATIN1 + b"\n\n")
    with gzip.open(split / "props" / "test.wsj.props.gz", "wb") as handle:
        handle.write(b"- *\n- *\n\n-\n-\n\n")
    with pytest.raises(UsageError) as caught:
        read_conll2005(split)
    assert_names_file_and_line(caught.value, split / "words" / "test.wsj.words.gz", 5)


def test_a_truncated_gzip_file_is_a_one_line_error(tmp_path):
    path = tmp_path / "test.words.gz"
    path.write_bytes(gzip.compress(b"The\ncat\n" * 100)[:30])
    with pytest.raises(UsageError, match=r"test\.words\.gz:file: cannot be read"):
        read_conll2005(path)


def test_lone_cr_line_ends_count_as_lines(tmp_path):
    """Old Mac files: a lone CR ends a line, and the line of a bad byte counts it."""
    fmt = CONLL2003
    path = _write(tmp_path, fmt.name, fmt.good.replace(b"\n", b"\r"), "conll2003")
    assert fmt.read(path) == fmt.read(_write(tmp_path / "plain", fmt.name, fmt.good, "conll2003"))
    bad = _write(tmp_path, "corpus.txt", b"a\rb\r" + LATIN1 + b"\r", "corpus")
    with pytest.raises(UsageError) as caught:
        scan_corpus([bad], max_length=5)
    assert_names_file_and_line(caught.value, bad, 3)


# --- through the command line ---------------------------------------------------------------------

# format -> (data check task, how the file is laid out under the copy's folder)
CHECKED = {"conll2003": "ner", "conll2005": "srl", "conll2012": "coref", "sst": "sst", "snli": "snli",
           "squad": "squad", "agnews": "topic"}
CLI_CASES = [(name, case) for name, case in MATRIX
             if _variants(FORMATS[name])[case][1] not in (OK, HUGE_OK)
             and not isinstance(_variants(FORMATS[name])[case][1], (list, tuple))]


def _release_copy(folder: Path, content: bytes) -> Path:
    """A CoNLL-2005 release split (words/ and props/, gzipped) from words-beside-props rows."""
    words, props = [], []
    for line in content.split(b"\n")[:-1]:
        word, _, rest = line.strip().partition(b" ")
        words.append(word)
        props.append(rest)
    split = folder / "train"
    for part, rows in (("words", words), ("props", props)):
        (split / part).mkdir(parents=True, exist_ok=True)
        with gzip.open(split / part / f"train.{part}.gz", "wb") as handle:
            handle.write(b"".join(row + b"\n" for row in rows))
    return folder


def _copy(folder: Path, fmt_name: str, content: bytes) -> Path:
    fmt = FORMATS[fmt_name]
    if fmt_name == "conll2005":
        return _release_copy(folder, content)
    _write(folder, fmt.name, content, fmt_name)
    return folder


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_one_line_error(code: int, err: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and "error: " in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("fmt_name, case", [c for c in CLI_CASES if c[0] in CHECKED])
def test_data_check_refuses_and_keeps_the_registration(tmp_path, capsys, fmt_name, case):
    fmt, task = FORMATS[fmt_name], CHECKED[fmt_name]
    data = tmp_path / "data"
    good = _copy(tmp_path / "good", fmt_name, fmt.good)
    code, out, err = _run(capsys, "data", "check", task, good, "--data-dir", data)
    assert code == 0, err
    registry = (data / "registry.json").read_bytes()
    content, _ = _variants(fmt)[case]
    bad = _copy(tmp_path / "bad", fmt_name, content)
    code, out, err = _run(capsys, "data", "check", task, bad, "--data-dir", data)
    assert_one_line_error(code, err)
    assert str(bad) in err  # names the file (the line: test_reader)
    assert (data / "registry.json").read_bytes() == registry
    assert _files(data) == {"registry.json": registry}


@pytest.mark.parametrize("case", [case for name, case in CLI_CASES if name == "glove"])
def test_probe_refuses_a_bad_vectors_file(tmp_path, capsys, case):
    content, where = _variants(GLOVE)[case]
    path = _write(tmp_path, GLOVE.name, content, "glove")
    out, cache = tmp_path / "out", tmp_path / "cache"
    # --bilm names no biLM: should the vectors ever be accepted, the command fails at once on that
    # (and this test on its message) instead of pretraining the default world's biLM
    code, _, err = _run(capsys, "probe", "--glove", path, "--bilm", tmp_path / "no-bilm", "--out", out,
                        "--cache-dir", cache, "--no-progress")
    assert_one_line_error(code, err)
    assert f"{path}:" in err
    assert not out.exists() or not _files(out)
    assert not cache.exists() or not _files(cache)


@pytest.mark.parametrize("case", [case for name, case in CLI_CASES if name == "corpus"])
def test_pretrain_refuses_a_bad_corpus(tmp_path, capsys, case):
    content, where = _variants(CORPUS)[case]
    path = _write(tmp_path, CORPUS.name, content, "corpus")
    out = tmp_path / "out"
    code, _, err = _run(capsys, "pretrain", "--train", path, "--out", out, "--no-progress", "--max-steps", "1")
    assert_one_line_error(code, err)
    assert err.startswith("elmo-eval pretrain: error: ") and str(path) in err
    if where is not EMPTY:
        assert f"{path}:{where}: " in err
    assert not out.exists() or not _files(out)


def test_corpus_vectors_refuse_a_corpus_that_is_not_utf8(tmp_path):
    """The baseline's PPMI vectors read the biLM's corpus files: a bad byte names the file and line,
    and no vectors file is left behind."""
    from elmo_eval.errors import UsageError
    from elmo_eval.ppmi import corpus_vectors

    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(b"a good line\ncaf\xe9 au lait\n")
    with pytest.raises(UsageError, match=r"corpus.txt:2: byte 0xe9"):
        corpus_vectors(corpus, tmp_path / "vectors.txt")
    assert not list(tmp_path.glob("vectors.txt*"))

"""Every reader on Unicode spaces and a BOM: column formats split at ASCII space/tab only.

U+00A0 (no-break space, as in SST's "8 1/2"), U+2009 (thin space), U+3000 (ideographic space) and
U+FEFF inside a token stay inside it; a BOM at the start of a file is dropped. The running-text
tokenizers (SQuAD, AG News) treat the Unicode spaces as spaces and keep exact character offsets.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from elmo_eval.readers.agnews import read_agnews
from elmo_eval.readers.columns import split_columns
from elmo_eval.readers.conll2003 import read_conll2003
from elmo_eval.readers.conll2005 import read_conll2005
from elmo_eval.readers.conll2012 import read_conll2012
from elmo_eval.readers.errors import DataFormatError
from elmo_eval.readers.snli import read_snli
from elmo_eval.readers.squad import read_squad
from elmo_eval.readers.sst import read_sst

BOM = "\ufeff"
ODD = ["8\u00a01/2", "a\u2009b", "x\u3000y", "zero\ufeffwidth"]  # one token each in the column formats


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def test_split_columns_splits_at_ascii_space_and_tab_only():
    assert split_columns("8\u00a01/2\tCD  x\u3000y \r\n") == ["8\u00a01/2", "CD", "x\u3000y"]
    assert split_columns("a\x1cb c") == ["a\x1cb", "c"]  # str.split() would split at U+001C
    assert split_columns(" \t\r\n") == []


def test_sst_keeps_unicode_spaces_inside_leaves(tmp_path):
    trees = "".join(f"(2 (2 {word}) (3 good))\n" for word in ODD)
    read = read_sst(_write(tmp_path / "train.txt", BOM + trees))
    assert [s.tokens for s in read] == [[word, "good"] for word in ODD]
    assert [s.line_no for s in read] == [1, 2, 3, 4]


def test_sst_public_train_line_with_no_break_space(tmp_path):
    # the shape of train.txt:4342 in the public SST-5 release
    line = "(3 (2 (2 Like) (2 (2 Fellini) (2 (2 's) (2 8\u00a01/2)))) (3 (2 ,) (3 wonderful)))\n"
    [tree] = read_sst(_write(tmp_path / "train.txt", line))
    assert tree.tokens == ["Like", "Fellini", "'s", "8\u00a01/2", ",", "wonderful"]


def test_conll2003_unicode_tokens_and_bom(tmp_path):
    rows = "\n".join(f"{word} NNP B-NP B-PER" for word in ODD)
    [sentence] = read_conll2003(_write(tmp_path / "eng.train", BOM + "-DOCSTART- -X- -X- O\n\n" + rows + "\n"))
    assert sentence.tokens == ODD and sentence.tags == ["B-PER"] * 4 and sentence.document == 0


def test_conll2003_bom_before_first_token(tmp_path):
    [sentence] = read_conll2003(_write(tmp_path / "eng.train", BOM + "EU NNP B-NP B-ORG\n"))
    assert sentence.tokens == ["EU"]


def test_conll2003_unicode_space_is_not_a_separator(tmp_path):
    # with U+00A0 between columns the row has 3 ASCII-separated columns: an error naming the line
    with pytest.raises(DataFormatError, match=r"eng\.train:2: expected 4 columns .*got 3"):
        read_conll2003(_write(tmp_path / "eng.train", "EU NNP B-NP B-ORG\nrejects\u00a0VBZ B-VP O\n"))


def test_conll2005_unicode_tokens_and_bom(tmp_path):
    rows = [f"{ODD[0]} - (A0*)", f"{ODD[1]} go (V*)", f"{ODD[2]} - (A1*", f"{ODD[3]} - *)"]
    [sentence] = read_conll2005(_write(tmp_path / "test.txt", BOM + "\n".join(rows) + "\n"))
    assert sentence.words == ODD
    assert sentence.srl_frames == [(1, ["B-A0", "B-V", "B-A1", "I-A1"])]


def test_conll2005_release_folder_pairs_words_and_props(tmp_path):
    split = tmp_path / "test.wsj"
    (split / "words").mkdir(parents=True)
    (split / "props").mkdir()
    with gzip.open(split / "words" / "test.wsj.words.gz", "wt", encoding="utf-8") as handle:
        handle.write(BOM + f"{ODD[0]}\nsleeps\n\nHi\n\n")
    with gzip.open(split / "props" / "test.wsj.props.gz", "wt", encoding="utf-8") as handle:
        handle.write("-  (A0*)\nsleep (V*)\n\n-\n\n")
    first, second = read_conll2005(split)
    assert first.words == [ODD[0], "sleeps"] and first.srl_frames == [(1, ["B-A0", "B-V"])]
    assert second.words == ["Hi"] and second.srl_frames == []


def _conll2012(words: list[str]) -> str:
    rows = [f"bc/x/00/x_0 0 {i} {w} NN * - - - - * (ARG0*) (1)" for i, w in enumerate(words[:-1])]
    rows[1:] = [r.replace("(ARG0*)", "*").replace("(1)", "-") for r in rows[1:]]
    rows.append(f"bc/x/00/x_0 0 {len(words) - 1} {words[-1]} VB * go 01 - - * (V*) -")
    return "#begin document (bc/x/00/x_0); part 000\n" + "\n".join(rows) + "\n\n#end document\n"


def test_conll2012_unicode_tokens_and_bom(tmp_path):
    [doc] = read_conll2012(_write(tmp_path / "x.gold_conll", BOM + _conll2012(ODD)))
    [sentence] = doc.sentences
    assert sentence.words == ODD
    assert sentence.srl_frames == [(3, ["B-ARG0", "O", "O", "B-V"])] and doc.clusters == [[(0, 0)]]


def test_conll2012_non_ascii_file_reports_a_ragged_row(tmp_path):
    text = _conll2012(ODD).replace(f"{ODD[1]} NN * - - - - * * -", f"{ODD[1]} NN * - - - * * -")
    with pytest.raises(DataFormatError, match=r"x\.gold_conll:3: 12 columns, but .* has 13"):
        read_conll2012(_write(tmp_path / "x.gold_conll", text))


@pytest.mark.parametrize("form", ["jsonl", "tab"])
def test_snli_keeps_unicode_spaces_inside_tokens(tmp_path, form):
    premise, hypothesis = f"( A ( {ODD[0]} film ) )", f"( {ODD[1]} ( {ODD[2]} {ODD[3]} ) )"
    if form == "jsonl":
        records = [{"gold_label": "neutral", "sentence1_binary_parse": premise, "sentence2_binary_parse": hypothesis,
                    "sentence1": "x", "sentence2": "y", "pairID": "p1"},
                   {"gold_label": "-", "sentence1": "a", "sentence2": "b", "pairID": "p2"}]
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    else:
        header = "gold_label\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\t" \
                 "sentence1\tsentence2\tcaptionID\tpairID\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5"
        text = header + f"\nneutral\t{premise}\t{hypothesis}\t-\t-\tx\ty\tc1\tp1\tneutral\t\t\t\t\n" \
            "-\t( a )\t( b )\t-\t-\ta\tb \"quoted\"\tc2\tp2\tneutral\tentailment\t\t\t\n"
    pairs, report = read_snli(_write(tmp_path / f"snli_1.0_dev.{form}", BOM + text))
    assert [p.pair_id for p in pairs] == ["p1"] and (report.total, report.pairs) == (2, 1)
    assert pairs[0].premise == ("A", ODD[0], "film") and pairs[0].hypothesis == tuple(ODD[1:])


def test_snli_plain_sentences_split_at_ascii_spaces_only(tmp_path):
    record = {"gold_label": "entailment", "sentence1": f"see {ODD[0]}", "sentence2": "ok", "pairID": "p"}
    [pair], _ = read_snli(_write(tmp_path / "d.jsonl", json.dumps(record, ensure_ascii=False) + "\n"))
    assert pair.premise == ("see", ODD[0])


def test_squad_running_text_offsets_survive_unicode_spaces_and_bom(tmp_path):
    context = f"He saw {ODD[0]} twice,\u2009then\u3000left \ufeffearly."
    answer = ODD[0]
    data = {"data": [{"title": "t", "paragraphs": [{"context": context, "qas": [
        {"id": "q1", "question": "What\u00a0did he\ufeff see?",
         "answers": [{"text": answer, "answer_start": context.index(answer)}]}]}]}]}
    [question], report = read_squad(_write(tmp_path / "dev-v1.1.json", BOM + json.dumps(data, ensure_ascii=False)))
    assert question.passage_tokens == ("He", "saw", "8", "1", "/", "2", "twice", ",", "then", "left", "early", ".")
    assert question.question_tokens == ("What", "did", "he", "see", "?")
    assert question.answer_text(*question.span) == answer  # the exact substring, U+00A0 included
    assert (report.articles, report.questions, report.answers_off_token_boundary) == (1, 1, 0)


def test_agnews_unicode_spaces_and_bom(tmp_path):
    text = BOM + '"3","Oil\u00a0up","prices\u2009rise\u3000again \ufeffsharply"\n'
    [example] = read_agnews(_write(tmp_path / "train.csv", text))
    assert example.label == 3 and example.tokens == ["Oil", "up", "prices", "rise", "again", "sharply"]

"""The CoNLL-2012 and CoNLL-2005 readers: hand-written samples, malformed files, real fixtures, the world."""
from __future__ import annotations

import pytest

from elmo_eval.readers.conll2005 import read_conll2005
from elmo_eval.readers.conll2012 import read_conll2012, read_coref_chains, spans_to_bio
from elmo_eval.readers.errors import DataFormatError


def _row(doc, i, word, lemma="-", frameset="-", ne="*", args=(), coref="-"):
    return "\t".join([doc, "0", str(i), word, "XX", "*", lemma, frameset, "-", "spk", ne, *args, coref])


# Sentence 1: two predicates; nested coref (1 inside 3) and two mentions on one token joined with '|'.
# Sentence 2: no predicates (12 columns), a C- argument elsewhere is in sentence 3.
SAMPLE = "\n".join([
    "#begin document (nw/test/00/doc_0001); part 002",
    _row("nw/test/00/doc_0001", 0, "John", ne="(PERSON)", args=("(ARG0*)", "*"), coref="(1)|(3"),
    _row("nw/test/00/doc_0001", 1, "'s", args=("*", "*"), coref="3)"),
    _row("nw/test/00/doc_0001", 2, "dog", lemma="dog", args=("*", "(ARG1*"), coref="(2)"),
    _row("nw/test/00/doc_0001", 3, "barked", lemma="bark", frameset="01", args=("(V*)", "*)")),
    _row("nw/test/00/doc_0001", 4, "loudly", lemma="bark", args=("(ARGM-MNR*)", "(V*)")),
    "",
    _row("nw/test/00/doc_0001", 0, "Hello", coref="(2"),
    _row("nw/test/00/doc_0001", 1, "there", coref="2)"),
    "",
    _row("nw/test/00/doc_0001", 0, "He", args=("(ARG0*)",), coref="(1)"),
    _row("nw/test/00/doc_0001", 1, "said", lemma="say", frameset="01", args=("(V*)",)),
    _row("nw/test/00/doc_0001", 2, "hi", args=("(ARG1*)",)),
    _row("nw/test/00/doc_0001", 3, ",", args=("*",)),
    _row("nw/test/00/doc_0001", 4, "again", args=("(C-ARG1*)",)),
    "",
    "#end document",
    "#begin document (bc/test/00/doc_0002); part 000",
    _row("bc/test/00/doc_0002", 0, "Yes", coref="-"),
    "#end document",
    "",
])


def _write(tmp_path, text, name="sample.gold_conll"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_columns_frames_and_coref(tmp_path):
    docs = read_conll2012(_write(tmp_path, SAMPLE))
    assert [(d.doc_id, d.part, d.genre) for d in docs] == [("nw/test/00/doc_0001", 2, "nw"),
                                                         ("bc/test/00/doc_0002", 0, "bc")]
    first = docs[0].sentences[0]
    assert first.words == ["John", "'s", "dog", "barked", "loudly"]
    assert first.predicate_lemmas == [None, None, "dog", "bark", "bark"]
    assert first.predicate_framesets == [None, None, None, "01", None]
    assert first.speakers == ["spk"] * 5
    assert first.named_entities == [("PERSON", 0, 0)]
    assert first.srl_frames == [(3, ["B-ARG0", "O", "O", "B-V", "B-ARGM-MNR"]),
                                (4, ["O", "O", "B-ARG1", "I-ARG1", "B-V"])]
    assert first.srl_spans[1] == [("ARG1", 2, 3), ("V", 4, 4)]
    assert first.coref_spans == [(1, (0, 0)), (3, (0, 1)), (2, (2, 2))]
    no_predicates = docs[0].sentences[1]
    assert no_predicates.srl_frames == [] and no_predicates.coref_spans == [(2, (0, 1))]
    third = docs[0].sentences[2]
    assert third.srl_frames == [(1, ["B-ARG0", "B-V", "B-ARG1", "O", "B-C-ARG1"])]
    # part-wide offsets: sentence 2 starts at 5, sentence 3 at 7; clusters by first mention
    assert docs[0].clusters == [[(0, 0), (7, 7)], [(0, 1)], [(2, 2), (5, 6)]]
    assert docs[0].cluster_ids == [1, 3, 2]
    assert docs[1].clusters == [] and docs[1].words == ["Yes"]


def test_spaces_instead_of_tabs(tmp_path):
    docs = read_conll2012(_write(tmp_path, SAMPLE.replace("\t", "   ")))
    assert docs[0].sentences[0].srl_frames[0][0] == 3


def test_directory_recursion_sorted(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deep").mkdir(parents=True)
    _write(tmp_path / "b", SAMPLE, "x_gold_conll")
    _write(tmp_path / "a" / "deep", SAMPLE.replace("doc_0001", "doc_0009"), "y.gold_conll")
    _write(tmp_path, "ignored", "notes.txt")
    docs = read_conll2012(tmp_path)
    assert [d.doc_id for d in docs] == ["nw/test/00/doc_0009", "bc/test/00/doc_0002",
                                        "nw/test/00/doc_0001", "bc/test/00/doc_0002"]


def _lines(text):
    return text.split("\n")


@pytest.mark.parametrize("mutate, line, message", [
    # unbalanced argument bracket: 'ARG0' never closed
    (lambda ls: ls.__setitem__(1, ls[1].replace("(ARG0*)", "(ARG0*")), 2, "never closed"),
    # a close without an open in an argument column
    (lambda ls: ls.__setitem__(2, ls[2].replace("\t*\t*\t3)", "\t*)\t*\t3)")), 3, "closes no open span"),
    # unbalanced coreference
    (lambda ls: ls.__setitem__(2, ls[2].replace("3)", "-")), 2, "never closed"),
    (lambda ls: ls.__setitem__(8, ls[8].replace("2)", "7)")), 9, "closes no open mention"),
    # a row with a different number of columns than its sentence
    (lambda ls: ls.__setitem__(3, ls[3] + "\textra"), 4, "columns"),
    # an argument column without a predicate
    (lambda ls: ls.__setitem__(11, ls[11].replace("(V*)", "*")), 11, r"no '\(V\*' predicate"),
    # a part without '#end document'
    (lambda ls: ls.__delitem__(19), 18, "no '#end document' before the end of the file"),
    (lambda ls: ls.__delitem__(16), 17, r"inside the part opened at line 1 \(missing '#end document'\)"),
])
def test_malformed_files_name_file_and_line(tmp_path, mutate, line, message):
    lines = _lines(SAMPLE)
    mutate(lines)
    path = _write(tmp_path, "\n".join(lines))
    with pytest.raises(DataFormatError, match=message) as info:
        read_conll2012(path)
    assert str(info.value).startswith(f"{path}:{line}:")


def test_spans_to_bio_nested_inner_wins():
    assert spans_to_bio(5, [("ARG1", 0, 4), ("ARG2", 1, 2)]) == ["B-ARG1", "B-ARG2", "I-ARG2", "I-ARG1", "I-ARG1"]


def test_official_samples(formats_dir):
    docs = read_conll2012(formats_dir / "conll_2012")
    assert len(docs) == 2 and docs[0].genre == "bn" and docs[0].part == 0
    assert [len(s) for s in docs[1].sentences] == [15]
    (srl,) = read_conll2012(formats_dir / "srl" / "nt_6401.gold_conll")
    assert len(srl.sentences) == 37
    second = srl.sentences[1]
    assert second.srl_frames == [(10, ["O"] * 6 + ["B-ARG1", "I-ARG1", "B-ARG0", "B-ARGM-ADV", "B-V", "O"])]
    assert second.predicate_lemmas[10] == "love" and second.predicate_framesets[10] == "01"
    assert second.coref_spans == [(12, (1, 1)), (10, (1, 10)), (12, (8, 8))]
    coref = read_conll2012(formats_dir / "coref" / "coref.gold_conll")
    assert [d.part for d in coref] == [0, 1, 3, 5]
    assert coref[0].clusters[0] == [(23, 24), (41, 42)]  # 'Hong Kong' twice, across sentences
    # C- and R- arguments stay labels of their own
    labels = {t for d in coref for s in d.sentences for _, tags in s.srl_frames for t in tags}
    assert {"B-C-ARG1", "B-R-ARG1"} <= labels


def _coref_file(*parts):
    """Parts of (name, coreference column); a '' entry is a blank line (a sentence break)."""
    lines = []
    for name, column in parts:
        lines.append(f"#begin document {name}")
        lines += ["" if c == "" else _row("d", i, "w", coref=c) for i, c in enumerate(column)]
        lines.append("#end document")
    return "\n".join(lines) + "\n"


def test_coref_chains_as_the_scorer_reads_them(tmp_path):
    # a mention from the last token of one sentence to the first of the next: the scorer counts tokens
    # across the part, so does read_coref_chains (read_conll2012 refuses it: a sentence-level reader)
    crossing = _write(tmp_path, _coref_file(("(a); part 000", ["(1)", "(2", "", "2)", "(1)"])), "x.conll")
    assert read_coref_chains(crossing) == {"(a); part 000": [[(0, 0), (3, 3)], [(1, 2)]]}
    with pytest.raises(DataFormatError, match="never closed within its sentence"):
        read_conll2012(crossing)
    # per token: one-token mentions, then openings, then closings, whatever the written order, so
    # '1)|(1' closes the mention it opens; entities in order of first appearance; '01' is not '1'
    column = ["(1", "(2|(5)", "1)|(1", "2)", "1)", "(01)", "(7+1)|(5)"]
    assert read_coref_chains(_write(tmp_path, _coref_file(("(b); part 001", column)), "y.conll")) == {
        "(b); part 001": [[(2, 2), (0, 4)], [(1, 1), (6, 6)], [(1, 3)], [(5, 5)]]}


def test_coref_chains_parts_and_errors(tmp_path):
    # the part name is the rest of the begin line; a repeated name keeps its last part
    text = _coref_file(("(a); part 0", ["(1)"]), ("(a); part 000", ["(2)", "(2)"]), ("(a); part 0", ["-", "(3)"]))
    assert read_coref_chains(_write(tmp_path, text, "z.conll")) == {"(a); part 0": [[(1, 1)]],
                                                                   "(a); part 000": [[(0, 0), (1, 1)]]}
    for column, message in ((["1)"], "closes no open mention"), (["(1", "-"], "still open at #end document")):
        with pytest.raises(DataFormatError, match=message):
            read_coref_chains(_write(tmp_path, _coref_file(("(a); part 000", column)), "bad.conll"))


def test_coref_chains_of_space_separated_files(formats_dir):
    """Official *_gold_conll files are aligned with spaces: the scorer then reads each whole row,
    which finds the same mentions there; so do we."""
    for path in (formats_dir / "coref" / "coref.gold_conll", formats_dir / "srl" / "nt_6401.gold_conll"):
        chains = read_coref_chains(path)
        docs = read_conll2012(path)
        assert list(chains) == [f"({d.doc_id}); part {d.part:03d}" for d in docs]
        for doc in docs:
            assert sorted(map(sorted, chains[f"({doc.doc_id}); part {doc.part:03d}"])) == sorted(doc.clusters)


def test_generated_world_reads(tmp_path_factory):
    from elmo_eval.world.generate import generate_world

    root = tmp_path_factory.mktemp("world")
    world = generate_world(root / "w", seed=0, size="small")
    for split in ("train", "development", "test"):
        docs = read_conll2012(root / "w" / "conll2012" / split)
        predicates = sum(len(s.srl_frames) for d in docs for s in d.sentences)
        assert predicates == world["tasks"]["conll2012"]["files"][f"conll2012/{split}"]["predicates"]
        assert all(d.genre == "nw" for d in docs)


CONLL2005 = """\
The  -     (A0*    *
cat  -     *)      *
sat  sit   (V*)    *
and  -     *       *
purred purr *      (V*)

Hi  -
"""


def test_conll2005(tmp_path):
    path = _write(tmp_path, CONLL2005, "props.txt")
    first, second = read_conll2005(path)
    assert first.words == ["The", "cat", "sat", "and", "purred"]
    assert first.srl_frames == [(2, ["B-A0", "I-A0", "B-V", "O", "O"]), (4, ["O", "O", "O", "O", "B-V"])]
    assert second.srl_frames == [] and second.words == ["Hi"]
    bad = _write(tmp_path, CONLL2005.replace("purr *      (V*)", "purr *      (V*"), "bad.txt")
    with pytest.raises(DataFormatError, match=r"bad.txt:5: .*never closed"):
        read_conll2005(bad)
    extra = _write(tmp_path, CONLL2005.replace("Hi  -", "Hi  hi"), "extra.txt")
    with pytest.raises(DataFormatError, match=r"extra.txt:7: 1 predicates .* 0 argument columns"):
        read_conll2005(extra)

"""CoNLL-2003 reader, tag-scheme conversions and the conlleval metric."""
import pytest

from elmo_eval.metrics.conlleval import conlleval_report, conlleval_scores, count_lines, split_tag
from elmo_eval.readers.conll2003 import (
    bio_spans,
    bio_to_bioes,
    bio_to_iob1,
    bioes_to_bio,
    convert_tags,
    iob1_to_bio,
    read_conll2003,
)
from elmo_eval.readers.errors import DataFormatError

SAMPLE = """-DOCSTART- -X- -X- O

EU NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC
call NN I-NP O
. . O O

Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

In IN I-PP O
Paris NNP I-NP I-LOC
Berlin NNP I-NP B-LOC
"""


def test_reads_sentences_documents_and_columns(tmp_path):
    path = tmp_path / "eng.train"
    path.write_text(SAMPLE)
    sentences = read_conll2003(path)
    assert [s.tokens for s in sentences] == [["EU", "rejects", "German", "call", "."], ["Peter", "Blackburn"],
                                             ["In", "Paris", "Berlin"]]
    assert [s.document for s in sentences] == [0, 0, 1]
    assert sentences[0].pos[1] == "VBZ" and sentences[0].chunks[1] == "I-VP"
    assert sentences[2].tags == ["O", "I-LOC", "B-LOC"]
    assert sentences[1].line_no == 9


@pytest.mark.parametrize("bad, line, message", [
    ("EU NNP I-ORG\n", 3, "expected 4 columns"),
    ("EU NNP I-NP X-ORG\n", 3, "X-ORG"),
])
def test_malformed_lines_name_file_and_line(tmp_path, bad, line, message):
    path = tmp_path / "bad.txt"
    path.write_text("-DOCSTART- -X- -X- O\n\n" + bad)
    with pytest.raises(DataFormatError, match=f"bad.txt:{line}: .*{message}"):
        read_conll2003(path)


def test_scheme_conversions_round_trip():
    iob1 = ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG", "I-ORG", "I-ORG", "O", "I-MISC"]
    bio = iob1_to_bio(iob1)
    assert bio == ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG", "I-ORG", "I-ORG", "O", "B-MISC"]
    bioes = bio_to_bioes(bio)
    assert bioes == ["B-PER", "E-PER", "S-PER", "O", "S-LOC", "B-ORG", "I-ORG", "E-ORG", "O", "S-MISC"]
    assert bioes_to_bio(bioes) == bio
    assert bio_to_iob1(bio) == iob1
    assert convert_tags(iob1, "IOB1", "BIOES") == bioes and convert_tags(bioes, "BIOES", "IOB1") == iob1
    # invalid BIO (I- after O, type change) reads as conlleval reads it
    assert bio_spans(["O", "I-PER", "I-LOC", "I-LOC"]) == [("PER", 1, 1), ("LOC", 2, 3)]
    assert bio_to_bioes(["O", "I-PER", "I-LOC", "I-LOC"]) == ["O", "S-PER", "B-LOC", "E-LOC"]
    with pytest.raises(ValueError, match="scheme"):
        convert_tags(iob1, "IOB1", "BILOU")


def test_conlleval_counts_by_hand():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "B-MISC"]]
    scores = conlleval_scores(gold, pred)
    # correct: PER(0-1), ORG; predicted 4; gold 3
    assert scores["correct"] == 2 and scores["predicted_entities"] == 4 and scores["gold_entities"] == 3
    assert scores["precision"] == pytest.approx(50.0)
    assert scores["recall"] == pytest.approx(200 / 3)
    assert scores["f1"] == pytest.approx(2 * 50 * (200 / 3) / (50 + 200 / 3))
    assert scores["per_type"]["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "predicted": 0, "gold": 1}
    assert scores["per_type"]["ORG"]["precision"] == pytest.approx(50.0)


def test_conlleval_odd_rules():
    # I- after O starts an entity, a type change starts a new one, a sentence end closes one:
    # IOB1 and its BIO conversion score the same
    gold_iob1 = [["I-PER", "I-PER", "I-LOC"], ["I-ORG"]]
    pred_iob1 = [["I-PER", "B-PER", "I-LOC"], ["I-ORG"]]
    a = conlleval_scores(gold_iob1, pred_iob1)
    b = conlleval_scores([iob1_to_bio(s) for s in gold_iob1], [iob1_to_bio(s) for s in pred_iob1])
    assert a == b
    assert a["correct"] == 2 and a["predicted_entities"] == 4 and a["gold_entities"] == 3
    # an entity does not run on across a sentence break
    assert conlleval_scores([["B-PER"], ["I-PER"]], [["B-PER"], ["I-PER"]])["gold_entities"] == 2
    assert conlleval_scores([["O"]], [["O"]])["f1"] == 0.0
    with pytest.raises(ValueError, match="BIOES"):
        conlleval_scores([["S-PER"]], [["S-PER"]])
    with pytest.raises(ValueError, match="sentence 0"):
        conlleval_scores([["O", "O"]], [["O"]])


def test_reads_the_real_format_sample(formats_dir):
    sentences = read_conll2003(formats_dir / "conll2003.txt")
    assert len(sentences) == 2 and sentences[0].tokens[:3] == ["U.N.", "official", "Ekeus"]
    assert sentences[1].document == 1
    assert convert_tags(sentences[0].tags, "IOB1", "BIOES") == ["S-ORG", "O", "S-PER", "O", "O", "S-LOC", "O"]


def test_conlleval_report_and_its_odd_rules():
    # tags split at the first hyphen; a tag without a type, or with the type "0" (false in Perl), has none
    assert split_tag("B-AM-TMP") == ("B", "AM-TMP") and split_tag("B") == ("B", "") and split_tag("I-0") == ("I", "")
    counts = count_lines(["-DOCSTART- O O", "", "w B-PER B-PER", "w I-PER I-PER", "w B B", "w O B", ""])
    # -DOCSTART- is a token; "B B" is a (typeless) chunk, "O B" another guessed one; the typeless
    # chunks are listed once per column that has them (conlleval's output, as printed)
    assert conlleval_report(counts) == (
        "processed 5 tokens with 2 phrases; found: 3 phrases; correct: 2.\n"
        "accuracy:  80.00%; precision:  66.67%; recall: 100.00%; FB1:  80.00\n"
        "                 : precision:  50.00%; recall: 100.00%; FB1:  66.67  2\n"
        "                 : precision:  50.00%; recall: 100.00%; FB1:  66.67  2\n"
        "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n")
    with pytest.raises(ValueError, match="unexpected number of features"):
        count_lines(["w NN B-PER B-PER", "w B-PER O"])

"""``data check``: counting user-supplied CoNLL-2003 / CoNLL-2012 data and registering it."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from elmo_eval.assets import asset_path, check_dataset
from elmo_eval.assets.check import CHECK_TASKS, CONLL2003, DataFormatError, NoUsableSplit, canonical_task
from elmo_eval.cli import main

CONLL2003_TRAIN = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP B-LOC
1996-08-22 CD I-NP O
"""
CONLL2003_DEV = "-DOCSTART- -X- -X- O\n\nCRICKET NNP B-NP O\n- : O O\n\nLONDON NNP B-NP B-LOC\n"
CONLL2003_TEST = "-DOCSTART- -X- -X- O\n\nSOCCER NN B-NP O\n"


def _conll2012_document(doc_id: str, part: int, sentences: list[list[str]]) -> str:
    """A ``*_gold_conll`` document; each sentence is a list of lines of the columns after the word index."""
    lines = [f"#begin document ({doc_id}); part {part:03d}"]
    for sentence in sentences:
        for index, rest in enumerate(sentence):
            lines.append(f"{doc_id} {part} {index} {rest}")
        lines.append("")
    lines.append("#end document")
    return "\n".join(lines) + "\n"


# word POS parse lemma frameset sense speaker NE [one SRL column per predicate] coref
ONE_PREDICATE = ["John NNP (TOP(S(NP*) - - - - (PERSON) (ARG0*) (1)",
                 "sleeps VBZ (VP*) sleep 01 1 - * (V*) -",
                 ". . *)) - - - - * * -"]
TWO_PREDICATES = ["She PRP (TOP(S(NP*) - - - - * (ARG0*) * (1)",
                  "wants VBZ (VP* want 01 1 - * (V*) * -",
                  "to TO (S(VP* - - - - * (ARG1* * -",
                  "go VB (VP*)))) go 01 1 - * *) (V*) -"]
NO_PREDICATE = ["Hello UH (TOP(INTJ*)) - - - - * -"]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def conll2003_dir(tmp_path) -> Path:
    root = tmp_path / "conll2003"
    _write(root / "eng.train", CONLL2003_TRAIN)
    _write(root / "eng.testa", CONLL2003_DEV)
    _write(root / "eng.testb", CONLL2003_TEST)
    return root


@pytest.fixture
def conll2012_dir(tmp_path) -> Path:
    """The OntoNotes/CoNLL-2012 tree layout: ``{train,development,test}/data/english/annotations/...``."""
    root = tmp_path / "conll-2012" / "v4" / "data"
    annotations = Path("data/english/annotations/nw/wsj/00")
    _write(root / "train" / annotations / "wsj_0001.gold_conll",
           _conll2012_document("nw/wsj/00/wsj_0001", 0, [ONE_PREDICATE, TWO_PREDICATES])
           + _conll2012_document("nw/wsj/00/wsj_0001", 1, [NO_PREDICATE]))
    _write(root / "train" / annotations / "wsj_0002.gold_conll",
           _conll2012_document("nw/wsj/00/wsj_0002", 0, [TWO_PREDICATES]))
    _write(root / "development" / annotations / "wsj_0003.gold_conll",
           _conll2012_document("nw/wsj/00/wsj_0003", 0, [ONE_PREDICATE]))
    _write(root / "test" / annotations / "wsj_0004.gold_conll",
           _conll2012_document("nw/wsj/00/wsj_0004", 0, [NO_PREDICATE, ONE_PREDICATE]))
    _write(root / "train" / annotations / "wsj_0001.parse", "not a data file; ignored by the pattern")
    return tmp_path / "conll-2012"


def test_conll2003_counts_per_split(conll2003_dir):
    report = check_dataset("conll2003", conll2003_dir)
    assert report.task == "ner"
    counts = {split: (c.documents, c.sentences, c.tokens) for split, c in report.counts.items()}
    assert counts == {"train": (2, 3, 9), "dev": (1, 2, 3), "test": (1, 1, 1)}
    assert "train sentences: 3, published 14041" in report.mismatches()
    assert not report.complete


def test_conll2003_matching_published_sizes_is_complete(conll2003_dir, monkeypatch):
    tiny = {"train": {"documents": 2, "sentences": 3}, "dev": {"documents": 1, "sentences": 2},
            "test": {"documents": 1, "sentences": 1}}
    monkeypatch.setitem(CHECK_TASKS, "ner", dataclasses.replace(
        CHECK_TASKS["ner"], formats=(dataclasses.replace(CONLL2003, published=tiny),)))
    report = check_dataset("ner", conll2003_dir)
    assert report.mismatches() == [] and report.complete


def test_conll2003_malformed_line_names_file_and_line(tmp_path):
    short = _write(tmp_path / "eng.train", "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP\n")
    with pytest.raises(DataFormatError, match=r"eng\.train:4: expected 4 columns .*got 3"):
        check_dataset("ner", short)
    no_tag = _write(tmp_path / "eng.testa", "EU NNP B-NP B-ORG\n\nrejects VBZ B-VP VERB\n")
    with pytest.raises(DataFormatError, match=r"eng\.testa:3: NER tag .VERB. is neither"):
        check_dataset("ner", no_tag)


def test_missing_split_is_reported_not_an_error(conll2003_dir):
    (conll2003_dir / "eng.testb").unlink()
    report = check_dataset("ner", conll2003_dir)
    assert list(report.split_paths) == ["train", "dev"] and report.missing() == ["test"]


def test_conll2012_coref_and_srl_counts(conll2012_dir):
    coref = check_dataset("coref", conll2012_dir)
    assert {s: (c.files, c.documents, c.sentences, c.tokens) for s, c in coref.counts.items()} == {
        "train": (2, 3, 4, 12), "dev": (1, 1, 1, 3), "test": (1, 1, 2, 4)}
    assert {s: c.mentions for s, c in coref.counts.items()} == {"train": 3, "dev": 1, "test": 1}
    assert "train documents: 3, published 2802" in coref.mismatches()
    srl = check_dataset("srl", conll2012_dir)
    assert {s: c.predicates for s, c in srl.counts.items()} == {"train": 5, "dev": 1, "test": 1}
    assert "test predicates: 1, published 24462" in srl.mismatches()
    assert not srl.complete and srl.registry_entry()["matches_published"] is False


def test_conll2012_test_split_prefers_the_conll2012_test_set(conll2012_dir):
    data = conll2012_dir / "v4" / "data"
    (data / "test").rename(data / "conll-2012-test")
    other_test = data / "test" / "data" / "english" / "annotations" / "x.gold_conll"
    _write(other_test, _conll2012_document("pt/nt/00/x", 0, [NO_PREDICATE]))
    report = check_dataset("srl", data)
    assert report.split_paths["test"] == data / "conll-2012-test" / "data" / "english"  # the English part
    assert report.counts["test"].predicates == 1


def test_conll2012_unclosed_document_and_ragged_sentence_are_errors(tmp_path):
    text = _conll2012_document("a/b/c", 0, [ONE_PREDICATE])
    unclosed = _write(tmp_path / "unclosed.gold_conll", text.replace("#end document\n", ""))
    with pytest.raises(DataFormatError, match=r"unclosed\.gold_conll:1: .*no '#end document'"):
        check_dataset("coref", unclosed, split="test")
    ragged = _write(tmp_path / "ragged.gold_conll", text.replace("sleep 01 1 - * (V*) -", "sleep 01 1 - * -"))
    with pytest.raises(DataFormatError, match=r"ragged\.gold_conll:3: 12 columns, but .* has 13"):
        check_dataset("srl", ragged, split="test")


def test_cli_check_registers_and_asset_path_finds_it(conll2003_dir, tmp_path, capsys):
    data_dir = tmp_path / "data"
    assert main(["data", "check", "ner", str(conll2003_dir), "--data-dir", str(data_dir), "--strict"]) == 1
    assert not (data_dir / "registry.json").exists()
    assert asset_path("ner", data_dir) is None
    assert main(["data", "check", "ner", str(conll2003_dir), "--data-dir", str(data_dir)]) == 0
    output = capsys.readouterr()
    assert "counts differ from the published release" in output.out and "train sentences: 3" in output.err
    registry = json.loads((data_dir / "registry.json").read_text())
    assert registry["ner"]["splits"]["dev"] == str((conll2003_dir / "eng.testa").resolve())
    assert registry["ner"]["counts"]["train"]["sentences"] == 3
    assert asset_path("conll2003", data_dir) == conll2003_dir.resolve()
    assert main(["data", "list", "--data-dir", str(data_dir)]) == 0
    assert str(conll2003_dir.resolve()) in capsys.readouterr().out


def test_cli_check_reports_format_errors_without_registering(tmp_path, capsys):
    bad = _write(tmp_path / "eng.train", "EU NNP B-NP ORG\n")
    assert main(["data", "check", "ner", str(bad), "--data-dir", str(tmp_path / "data")]) == 2
    assert "eng.train:1" in capsys.readouterr().err
    assert not (tmp_path / "data" / "registry.json").exists()


def test_single_file_named_like_a_split_is_that_split(conll2003_dir):
    report = check_dataset("ner", conll2003_dir / "eng.testa")
    assert list(report.counts) == ["dev"] and report.counts["dev"].sentences == 2
    assert report.mismatches() == ["dev documents: 1, published 216", "dev sentences: 2, published 3250"]


def test_unknown_task_is_rejected():
    with pytest.raises(KeyError, match="unknown task 'pos'"):
        canonical_task("pos")


def test_shared_conll2003_sample(formats_dir):
    with pytest.raises(NoUsableSplit, match="cannot tell which split"):
        check_dataset("ner", formats_dir / "conll2003.txt")
    counts = check_dataset("ner", formats_dir / "conll2003.txt", split="dev").counts["dev"]
    assert (counts.documents, counts.sentences, counts.tokens) == (2, 2, 14)


def test_shared_conll2012_samples(formats_dir):
    report = check_dataset("srl", formats_dir / "conll_2012", split="train")
    counts = report.counts["train"]
    assert (counts.files, counts.documents, counts.sentences, counts.tokens, counts.predicates) == (2, 2, 5, 59, 8)
    coref = check_dataset("coref", formats_dir / "coref" / "coref.gold_conll", split="test").counts["test"]
    assert coref.documents == 4

"""Probe data readers: the probe columns, CoNLL-2003 POS, CoNLL-2012 POS and word senses, format detection."""
from __future__ import annotations

import pytest

from elmo_eval.probes.data import ProbeDataError, load_probe_data
from elmo_eval.readers.errors import DataFormatError
from elmo_eval.readers.probe_columns import read_probe_columns, read_sense_inventory


def test_probe_columns_with_multi_key_senses_and_errors_that_name_the_line(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("Kessel NNP Kessel PER|ORG\nsaid VBD - -\n\nIt PRP - -\n")
    first, second = read_probe_columns(path)
    assert first.tokens == ["Kessel", "said"] and first.lemmas == ["Kessel", None]
    assert first.senses == [("PER", "ORG"), ()] and second.pos == ["PRP"] and second.line == 4
    path.write_text("Kessel NNP Kessel PER\nsaid VBD -\n")
    with pytest.raises(DataFormatError, match="train.txt:2: expected 4 columns"):
        read_probe_columns(path)
    path.write_text("Kessel NNP Kessel -\n")
    with pytest.raises(DataFormatError, match="train.txt:1: lemma and sense"):
        read_probe_columns(path)
    inventory = tmp_path / "senses.tsv"
    inventory.write_text("Kessel\tORG PER\nbad line\n")
    with pytest.raises(DataFormatError, match="senses.tsv:2:"):
        read_sense_inventory(inventory)


def _conll2012_row(i, word, pos, lemma="-", sense="-"):
    return " ".join(["nw/x/00/d", "0", str(i), word, pos, "*", lemma, "-", sense, "-", "*", "-"])


def test_conll2003_gives_pos_only_and_conll2012_gives_sense_keys_per_lemma_and_part_of_speech(tmp_path):
    ner = tmp_path / "conll2003"
    ner.mkdir()
    for name in ("eng.train", "eng.testb"):
        (ner / name).write_text("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n")
    data = load_probe_data(ner)
    assert data.name == "conll2003" and not data.has_wsd and data.train[0].pos == ["NNP", "VBZ"]

    root = tmp_path / "conll2012"
    for split in ("train", "test"):
        (root / split).mkdir(parents=True)
        (root / split / "d.gold_conll").write_text("\n".join([
            "#begin document (nw/x/00/d); part 000",
            _conll2012_row(0, "They", "PRP"),
            _conll2012_row(1, "run", "VBP", "run", "2"),
            _conll2012_row(2, "a", "DT"),
            _conll2012_row(3, "run", "NN", "run", "1"),
            _conll2012_row(4, "daily", "RB", "daily"),     # a lemma without a sense: not a target
            "", "#end document", ""]))
    data = load_probe_data(root)
    assert data.name == "conll2012" and data.has_wsd
    sentence = data.train[0]
    assert sentence.lemmas == [None, "run-v", None, "run-n", None]
    assert sentence.senses == [(), ("run-v.2",), (), ("run-n.1",), ()]
    assert data.sizes()["test"]["wsd_instances"] == 2 and data.inventory == {}


def test_unknown_or_missing_data_is_a_one_line_error(tmp_path):
    with pytest.raises(ProbeDataError, match="does not exist"):
        load_probe_data(tmp_path / "nowhere")
    with pytest.raises(ProbeDataError, match="cannot tell its format"):
        load_probe_data(tmp_path)

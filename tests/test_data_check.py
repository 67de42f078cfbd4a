"""``data check`` for every task: split aliases, refusing unusable paths, merging registrations, ``--data`` names."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from elmo_eval.assets.check import check_dataset
from elmo_eval.cli import main
from elmo_eval.runner.data import resolve_real_data, split_paths
from elmo_eval.specs import load_spec

NER = "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\n"
SST = "(3 (2 A) (3 good))\n(1 (2 A) (1 bad))\n"
SNLI = json.dumps({"gold_label": "neutral", "sentence1": "a b", "sentence2": "c", "pairID": "1"}) + "\n" \
    + json.dumps({"gold_label": "-", "sentence1": "a", "sentence2": "c", "pairID": "2"}) + "\n"
SQUAD = json.dumps({"data": [{"title": "t", "paragraphs": [{"context": "Tom ran.", "qas": [
    {"id": "q", "question": "Who?", "answers": [{"text": "Tom", "answer_start": 0}]}]}]}]})
AGNEWS = '"1","Title","Text here"\n"2","Other","More"\n'


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _check(capsys, *args) -> tuple[int, str, str]:
    code = main(["data", "check", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("task, files, expected", [
    ("ner", {"train.txt": NER, "valid.txt": NER, "test.txt": NER}, {"train", "dev", "test"}),  # IOB2 copies
    ("ner", {"eng.train": NER, "eng.testa": NER, "eng.testb": NER}, {"train", "dev", "test"}),  # the release
    ("sst", {"trees/train.txt": SST, "trees/dev.txt": SST, "trees/test.txt": SST}, {"train", "dev", "test"}),
    ("snli", {"snli_1.0/snli_1.0_train.jsonl": SNLI, "snli_1.0/snli_1.0_dev.jsonl": SNLI,
              "snli_1.0/snli_1.0_test.jsonl": SNLI}, {"train", "dev", "test"}),
    ("squad", {"train-v1.1.json": SQUAD, "dev-v1.1.json": SQUAD}, {"train", "dev", "test"}),  # test is dev
    ("topic", {"ag_news_csv/train.csv": AGNEWS, "ag_news_csv/test.csv": AGNEWS}, {"train", "test"}),
])
def test_every_task_finds_its_splits_by_the_release_names(tmp_path, task, files, expected):
    for name, text in files.items():
        _write(tmp_path / "copy" / name, text)
    report = check_dataset(task, tmp_path / "copy")
    assert set(report.split_paths) == expected
    assert report.mismatches()  # tiny files: every published count differs, and says so


def test_counts_of_each_format(tmp_path):
    snli = check_dataset("snli", _write(tmp_path / "snli_1.0_dev.jsonl", SNLI)).counts["dev"]
    assert (snli.pairs, snli.labelled) == (2, 1)
    squad = check_dataset("squad", _write(tmp_path / "dev-v1.1.json", SQUAD))
    assert (squad.counts["dev"].documents, squad.counts["dev"].questions) == (1, 1)
    assert squad.split_paths["test"] == squad.split_paths["dev"]
    assert check_dataset("topic", _write(tmp_path / "test.csv", AGNEWS)).counts["test"].examples == 2
    assert check_dataset("sst", _write(tmp_path / "dev.txt", SST)).counts["dev"].sentences == 2


@pytest.mark.parametrize("name, split", [("eng.testa", "dev"), ("valid.txt", "dev"), ("testa.txt", "dev"),
                                         ("development.txt", "dev"), ("eng.testb", "test"), ("testb.txt", "test"),
                                         ("train.txt", "train")])
def test_split_aliases(tmp_path, name, split):
    assert list(check_dataset("ner", _write(tmp_path / name, NER)).split_paths) == [split]


def test_folder_without_a_usable_split_is_refused_with_exit_2(tmp_path, capsys):
    _write(tmp_path / "conll" / "all.txt", NER)
    code, out, err = _check(capsys, "ner", tmp_path / "conll", "--data-dir", tmp_path / "data")
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
    assert "no usable ner split" in err and "1 data file(s)" in err
    assert not (tmp_path / "data" / "registry.json").exists()
    code, _, err = _check(capsys, "ner", tmp_path / "conll" / "all.txt", "--data-dir", tmp_path / "data")
    assert code == 2 and "cannot tell which split" in err and "--split" in err
    code, out, _ = _check(capsys, "ner", tmp_path / "conll" / "all.txt", "--split", "train",
                          "--data-dir", tmp_path / "data")
    assert code == 0 and "registered ner train" in out


def test_conll2012_folder_without_split_names_is_refused(tmp_path, capsys):
    _write(tmp_path / "conll-2012-whatever" / "a.gold_conll", "#begin document (a); part 000\n\n#end document\n")
    code, _, err = _check(capsys, "coref", tmp_path / "conll-2012-whatever", "--data-dir", tmp_path / "data")
    assert code == 2 and "no usable coref split" in err


def test_one_file_adds_a_split_and_keeps_and_reports_the_others(tmp_path, capsys):
    data = tmp_path / "data"
    for name in ("eng.train", "eng.testa", "eng.testb"):
        _write(tmp_path / "conll2003" / name, NER)
    assert _check(capsys, "ner", tmp_path / "conll2003", "--data-dir", data)[0] == 0
    newer = _write(tmp_path / "fixed" / "eng.testb", NER + "\nLONDON NNP B-NP B-LOC\n")
    code, out, err = _check(capsys, "ner", newer, "--data-dir", data)
    assert code == 0
    assert f"kept from the earlier registration: train ({(tmp_path / 'conll2003' / 'eng.train').resolve()})" in out
    assert "kept from the earlier registration: dev" in out
    assert f"replaced the earlier registration of test ({(tmp_path / 'conll2003' / 'eng.testb').resolve()})" in out
    entry = json.loads((data / "registry.json").read_text())["ner"]
    assert entry["splits"] == {"train": str((tmp_path / "conll2003" / "eng.train").resolve()),
                               "dev": str((tmp_path / "conll2003" / "eng.testa").resolve()),
                               "test": str(newer.resolve())}
    assert entry["counts"]["test"]["sentences"] == 3 and entry["counts"]["train"]["sentences"] == 2
    assert entry["path"] == str(tmp_path.resolve())  # common parent of the splits


def test_partial_registration_says_what_is_missing(tmp_path, capsys):
    code, out, err = _check(capsys, "ner", _write(tmp_path / "eng.testa", NER), "--data-dir", tmp_path / "data")
    assert code == 0 and "registered ner dev" in out
    assert "no train split registered" in err and "no test split registered" in err
    code, out, err = _check(capsys, "topic", _write(tmp_path / "ag" / "train.csv", AGNEWS),
                            "--data-dir", tmp_path / "data")
    assert "note: no dev split: training carves" in out and "no dev split registered" not in err


def test_replace_drops_earlier_splits_and_says_so(tmp_path, capsys):
    data = tmp_path / "data"
    _check(capsys, "ner", _write(tmp_path / "a" / "eng.train", NER), "--data-dir", data)
    code, _, err = _check(capsys, "ner", _write(tmp_path / "b" / "eng.testa", NER), "--data-dir", data, "--replace")
    assert code == 0 and "dropped the earlier registration of train" in err
    assert list(json.loads((data / "registry.json").read_text())["ner"]["splits"]) == ["dev"]


def test_data_flag_accepts_the_names_data_check_accepts(tmp_path):
    for name in ("train.txt", "valid.txt", "test.txt"):
        _write(tmp_path / "ner" / name, NER)
    spec = load_spec("ner")
    found = resolve_real_data([spec], {"ner": str(tmp_path / "ner")}, data_dir=str(tmp_path / "data"))
    assert split_paths(spec, found["ner"]) == {s: tmp_path / "ner" / f for s, f in
                                              (("train", "train.txt"), ("dev", "valid.txt"), ("test", "test.txt"))}
    squad = load_spec("squad")
    _write(tmp_path / "squad" / "train.json", SQUAD)
    _write(tmp_path / "squad" / "dev.json", SQUAD)
    assert split_paths(squad, tmp_path / "squad")["test"] == tmp_path / "squad" / "dev.json"


def test_registered_public_task_is_found_by_its_task_name(tmp_path, capsys):
    data = tmp_path / "data"
    for name in ("train.txt", "dev.txt", "test.txt"):
        _write(tmp_path / "sst5" / name, SST)
    assert _check(capsys, "snli", _write(tmp_path / "snli" / "snli_1.0_dev.jsonl", SNLI), "--data-dir", data)[0] == 0
    found = resolve_real_data([load_spec("snli")], {}, data_dir=str(data))
    assert found["snli"] == {"dev": (tmp_path / "snli" / "snli_1.0_dev.jsonl").resolve()}


def _conll2005_release(root: Path) -> Path:
    """A two-sentence copy of the CoNLL-2005 release layout: {split}/{words,props}/NAME.{words,props}.gz."""
    import gzip

    words = "The\ncat\nsat\n.\n\nDogs\nbark\n\n"
    props = "-\t(A0*\n-\t*)\nsit\t(V*)\n-\t*\n\n-\t(A0*)\nbark\t(V*)\n\n"
    for split, name in (("train", "train.02"), ("devel", "devel.24"), ("test.wsj", "test.wsj")):
        for kind, text in (("words", words), ("props", props)):
            path = root / split / kind / f"{name}.{kind}.gz"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(gzip.compress(text.encode()))
    return root


def test_data_flag_on_a_conll2005_release_reads_it_in_its_format(tmp_path):
    """``--data srl=conll05st-release``: the SRL spec's default format is CoNLL-2012, so the folder's splits
    and its format come from what ``data check`` recognises (as a registered copy's do)."""
    from elmo_eval.runner.execute import task_options
    from elmo_eval.tasks.srl import SrlTask

    release = _conll2005_release(tmp_path / "conll05st-release")
    spec = load_spec("srl")
    found = resolve_real_data([spec], {"srl": str(release)}, data_dir=str(tmp_path / "data"))
    assert split_paths(spec, found["srl"]) == {"train": release / "train", "dev": release / "devel",
                                              "test": release / "test.wsj"}
    options = task_options(spec, found)
    assert options == {"format": "conll2005"}
    instances = SrlTask(**options).read(split_paths(spec, found["srl"])["train"])
    assert len(instances) == 2  # one per predicate


def test_data_flag_keeps_a_folder_it_cannot_place(tmp_path):
    (tmp_path / "nothing").mkdir()
    found = resolve_real_data([load_spec("srl")], {"srl": str(tmp_path / "nothing")}, data_dir=str(tmp_path / "d"))
    assert found["srl"] == tmp_path / "nothing"  # the reader's own error then names the files it expected


def test_a_run_records_the_format_its_data_was_read_in(tmp_path):
    """The report's Data column can then say that SRL rows are CoNLL-2005, not the paper's CoNLL-2012."""
    from elmo_eval.runner.encoders import EncoderSetup
    from elmo_eval.runner.execute import TaskData
    from elmo_eval.runner.report_tables import _source

    release = _conll2005_release(tmp_path / "conll05st-release")
    spec = load_spec("srl")
    found = resolve_real_data([spec], {"srl": str(release)}, data_dir=str(tmp_path / "data"))
    data = TaskData(spec, EncoderSetup("none", None, None), found, tmp_path / "cache")
    assert data.source["kind"] == "real" and data.source["format"] == "conll2005"
    assert _source([{"data_source": data.source}]) == "real, conll2005"
    assert _source([{"data_source": {"kind": "real"}}]) == "real"  # runs recorded before the field: as before

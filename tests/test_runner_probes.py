"""The ``probes`` comparison: the per-layer probes run by ``reproduce`` once per encoder (resumable) and
rendered by the report from their result files alone."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil

import pytest
from stand_in_encoders import WordHashEncoder

from elmo_eval.encoders.bilm import ElmoBiLM
from elmo_eval.runner.api import reproduce
from elmo_eval.runner.comparisons import BOOK
from elmo_eval.runner.encoders import EncoderSetup
from elmo_eval.runner.plan import build_plan
from elmo_eval.runner.presets import PRESETS
from elmo_eval.runner.probe_runs import run_encoder_probes
from elmo_eval.runner.report import build_report
from elmo_eval.specs import SpecError, load_spec

TINY_BILM = {
    "lstm": {"use_skip_connections": True, "projection_dim": 8, "cell_clip": 3, "proj_clip": 3, "dim": 16,
             "n_layers": 2},
    "char_cnn": {"activation": "relu", "filters": [[1, 8], [2, 8]], "n_highway": 1,
                 "embedding": {"dim": 4}, "n_characters": 262, "max_characters_per_token": 50},
}
ROWS = ("word vectors", "layer 0", "layer 1", "layer 2")
QUICK = {"max_sentences": 40, "pos": {"epochs": 1, "min_updates": 4}}


class FingerprintedHashEncoder(WordHashEncoder):
    """The stand-in biLM of the head tests, with the fingerprint the probes and result files need."""

    def fingerprint(self) -> str:
        return "wordhash-3x8"


def _no_machine_paths(text: str, *roots) -> None:
    for root in roots:
        assert str(root) not in text, root
    assert os.path.expanduser("~") not in text


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    """Table 1 of one task plus the probes, on the tiny world, twice (the second call resumes)."""
    root = tmp_path_factory.mktemp("probes")
    kwargs = dict(tasks=["ner"], tables=["table1", "probes"], encoder=ElmoBiLM.from_options(TINY_BILM, seed=0),
                  encoder_name="random-tiny", world_size="tiny", out_dir=root / "results", cache_dir=root / "cache",
                  progress=False, significance_samples=20, use_world=True, probe_options=QUICK)
    first = reproduce("default", **kwargs)
    target = root / "results" / "runs" / "random-tiny" / "probes" / "probes-world-random-tiny.json"
    stamp = target.stat().st_mtime_ns
    again = reproduce("default", **kwargs)
    return root, kwargs, first, again, target, stamp


def test_reproduce_writes_the_probe_result_under_the_encoders_runs(probed):
    root, _, first, _, target, _ = probed
    assert first["runs"] == 2 and first["finished"] == 2  # the probes add no training run
    assert first["probes"] == {"random-tiny": "written"}
    text = target.read_text()
    _no_machine_paths(text, root)
    result = json.loads(text)
    assert result["rows"] == list(ROWS)
    assert result["encoder"]["id"] == "random-tiny" and result["encoder"]["fingerprint"]
    assert result["vectors"]["fingerprint"]  # the world's PPMI vectors: the word-only row
    assert result["data"]["name"] == "world" and result["data"]["sizes"]["train"]["sentences"] == 40
    assert set(result["probes"]) == {"wsd", "pos", "nn"}  # the world has senses
    assert result["options"]["pos"] == {"epochs": 1, "min_updates": 4, "seed": 0}
    assert target.with_suffix(".md").read_text().startswith("# Probes: random-tiny on world")


def test_a_second_call_skips_the_finished_probes(probed, tmp_path, capsys):
    root, kwargs, _, again, target, stamp = probed
    assert again["probes"] == {"random-tiny": "done already"} and again["finished"] == 2
    assert target.stat().st_mtime_ns == stamp
    reproduce("default", **{**kwargs, "tables": ["probes"]})
    assert "probes random-tiny on world: done already, skipped" in capsys.readouterr().err.splitlines()
    assert target.stat().st_mtime_ns == stamp
    # other probe options: probed again (here into a copy of the results, so the fixture's stay as they are)
    copy = tmp_path / "results"
    shutil.copytree(root / "results", copy)
    changed = reproduce("default", **{**kwargs, "out_dir": copy, "tables": ["probes"],
                                      "probe_options": {**QUICK, "pos": {"epochs": 2, "min_updates": 4}}})
    assert changed["probes"] == {"random-tiny": "written"} and changed["runs"] == 0
    err = capsys.readouterr().err
    assert ("probes random-tiny on world (wsd, pos, nn): finished earlier with another encoder, data, word vectors "
            "or options; probing again") in err
    assert json.loads((copy / target.relative_to(root / "results")).read_text())["options"]["pos"]["epochs"] == 2


def test_the_report_has_a_probe_table_per_encoder(probed):
    root, _, _, _, _, _ = probed
    folder = root / "results" / "random-tiny"
    table = (folder / "probes.md").read_text()
    assert table.startswith("## Tables 5-6: what each layer captures (probes)")
    for row in ROWS:
        assert table.count(f"| {row} |") >= 2, row  # in the WSD and the POS table
    assert "Paper F1 (Table 5)" in table and "Paper (Table 6)" in table and "69.0" in table and "97.3" in table
    assert "(../runs/random-tiny/probes/probes-world-random-tiny.md)" in table
    _no_machine_paths(table, root)
    csv = (folder / "probes.csv").read_text().splitlines()
    assert csv[0].startswith("encoder,data,") and len(csv) == 1 + len(ROWS)
    assert all(line.startswith("random-tiny,world,") for line in csv[1:])
    assert "Tables 5-6: what each layer captures" in (folder / "README.md").read_text()
    assert "table1.md" in os.listdir(folder)
    summary = json.loads((root / "results" / "summary.json").read_text())
    assert [r["row"] for r in summary["probes"]["random-tiny"]] == list(ROWS)


def test_the_report_ignores_a_probe_result_that_is_a_symbolic_link(probed, tmp_path):
    root, _, _, _, target, _ = probed
    out = tmp_path / "results"
    runs = out / "runs" / "elsewhere" / "probes"
    runs.mkdir(parents=True)
    outside = tmp_path / "outside.json"   # a valid probe result, but outside the results folder
    outside.write_text(target.read_text().replace('"random-tiny"', '"elsewhere"'))
    (runs / "probes-world-elsewhere.json").symlink_to(outside)
    (out / "runs" / "linked").symlink_to(target.parent.parent)   # a linked encoder folder: not walked
    with pytest.raises(FileNotFoundError, match="no result files"):
        build_report(out, samples=10)
    # beside a real one, only the real one counts
    real = out / "runs" / "real" / "probes"
    real.mkdir(parents=True)
    (real / "probes-world-real.json").write_text(target.read_text().replace('"random-tiny"', '"real"'))
    build_report(out, samples=10)
    assert (out / "real" / "probes.md").is_file()
    assert not (out / "elsewhere").exists() and not (out / "random-tiny").exists()
    assert json.loads((out / "summary.json").read_text())["encoders"] == ["real"]


def test_the_planner_makes_no_training_runs_for_the_probes():
    specs = [load_spec("ner"), load_spec("srl")]
    assert build_plan(specs, ["probes"], [0, 1], "tiny") == []
    with_table1 = build_plan(specs, ["table1", "probes"], [0], "tiny")
    assert with_table1 == build_plan(specs, ["table1"], [0], "tiny")
    assert BOOK["probes"].kind == "probe"
    assert "probes" in PRESETS["full"]["tables"] and "probes" not in PRESETS["default"]["tables"]


def test_a_task_cannot_join_the_probes(tmp_path):
    spec = load_spec("ner")
    spec = dataclasses.replace(spec, setup={**spec.setup, "tables": [*spec.setup.get("tables", []), "probes"]})
    with pytest.raises(SpecError, match="once per encoder"):
        build_plan([spec], ["probes"], [0], "tiny")


def test_an_encoder_on_real_data_without_probe_data_is_skipped_with_one_line(tmp_path, capsys):
    setup = EncoderSetup("real-enc", FingerprintedHashEncoder(), None, world_dir=None)
    assert run_encoder_probes(setup, tmp_path, tmp_path / "cache").startswith("skipped: it runs on real data")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("probes real-enc: skipped:") and "--probe-data" in err[0]
    assert not (tmp_path / "runs").exists()


def test_probe_data_folder_for_an_encoder_on_real_data(tmp_path, capsys):
    """``--tables probes --probe-data DIR`` alone: no training run, the probes on a CoNLL-2003 folder, and a
    report with the probe table of an encoder that has no runs."""
    conll = tmp_path / "conll2003"
    conll.mkdir()
    for name, words in (("train.txt", ["EU rejects German call", "Peter lives in Paris"]),
                        ("test.txt", ["German call rejected", "Paris lives"])):
        lines = []
        for sentence in words:
            lines += [f"{w} {'NNP' if w[0].isupper() else 'VBZ'} B-NP O" for w in sentence.split()] + [""]
        (conll / name).write_text("\n".join(lines) + "\n")
    glove = tmp_path / "glove.txt"
    glove.write_text("EU 0.1 0.2\nGerman 0.3 0.1\nParis 0.5 0.5\n")
    out = tmp_path / "results"
    summary = reproduce("default", tasks=["ner"], tables=["probes"], encoder=FingerprintedHashEncoder(),
                        encoder_name="hash", glove=str(glove), data_roots={"ner": tmp_path / "no-ner-data"},
                        out_dir=out, cache_dir=tmp_path / "cache", progress=False, probe_data=str(conll),
                        probe_options={"pos": {"epochs": 1, "min_updates": 2}, "nn_words": ["Paris", "German"]})
    assert summary["runs"] == 0 and summary["probes"] == {"hash": "written"}
    text = (out / "runs" / "hash" / "probes" / "probes-conll2003-hash.json").read_text()
    _no_machine_paths(text, tmp_path)
    result = json.loads(text)
    assert set(result["probes"]) == {"pos", "nn"}  # CoNLL-2003 has no senses: no WSD
    assert result["data"]["source"] == "probe data folder conll2003" and result["vectors"]["source"] == "glove.txt"
    table = (out / "hash" / "probes.md").read_text()
    assert "### On conll2003 data" in table and "Word sense" not in table
    for row in ("word vectors", "layer 0", "layer 1", "layer 2"):
        assert f"| {row} |" in table
    assert (out / "hash" / "README.md").read_text().startswith("# Encoder `hash`")
    # real probe data may be licensed: its sentences go only to the local *.text.* files, never to the
    # result file and tables the report reads (and a repository holds), and the report reads the same
    # tables whether or not the local file is there
    probes = out / "runs" / "hash" / "probes"
    assert sorted(p.name for p in probes.iterdir()) == [
        "probes-conll2003-hash.json", "probes-conll2003-hash.md",
        "probes-conll2003-hash.text.json", "probes-conll2003-hash.text.md"]
    sentences = ["EU rejects German call", "Peter lives in Paris", "German call rejected", "Paris lives"]
    local = (probes / "probes-conll2003-hash.text.md").read_text()
    assert "**" in local and any(" ".join(f"**{w}**" if i == j else w for j, w in enumerate(s.split())) in local
                                 for s in sentences for i in range(len(s.split())))
    kept = [text, (probes / "probes-conll2003-hash.md").read_text(), table]
    for shown in kept:
        assert not any(" ".join(s.split()[:3]) in shown.replace("**", "") for s in sentences), shown
    assert result["text_withheld"] == "probes-conll2003-hash.text.md"
    assert "sentences withheld: see `probes-conll2003-hash.text.md`" in kept[1]
    assert "its sentence contexts stay in the local `probes-conll2003-hash.text.md`" in table
    for name in ("probes-conll2003-hash.text.json", "probes-conll2003-hash.text.md"):
        (probes / name).unlink()
    from elmo_eval.runner.report import build_report
    build_report(out, samples=20)
    assert (out / "hash" / "probes.md").read_text() == table
    with pytest.raises(Exception, match="--probe-data"):
        reproduce("default", tasks=["ner"], tables=["probes"], encoder=FingerprintedHashEncoder(),
                  encoder_name="hash", glove=str(glove), data_roots={"ner": tmp_path}, out_dir=out,
                  cache_dir=tmp_path / "cache", progress=False, probe_data=str(tmp_path / "missing"))


def test_the_command_line_takes_the_probes_and_their_data(tmp_path, capsys):
    from elmo_eval.cli import main
    from elmo_eval.encoders.official_format import export_official

    for split in ("eng.train", "eng.testa", "eng.testb"):
        (tmp_path / split).write_text("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\n\n")
    bilm = tmp_path / "bilm"
    export_official(ElmoBiLM.from_options(TINY_BILM, seed=0), bilm)
    args = ["reproduce", "--bilm", str(bilm), "--tasks", "ner", "--data", f"ner={tmp_path}", "--out",
            str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c"), "--tables", "probes", "--dry-run"]
    assert main([*args, "--probe-data", str(tmp_path), "--probe-max-sentences", "5"]) == 0
    out = capsys.readouterr().out
    assert "0 runs" in out and "probes: per encoder after its runs" in out and "on conll2003 data" in out
    assert main([*args, "--probe-data", str(tmp_path / "missing")]) == 2
    assert main([*args, "--probe-max-sentences", "0"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all(e.startswith("elmo-eval reproduce: error:") for e in errors)
    assert "--probe-data" in errors[0] and "--probe-max-sentences" in errors[1]

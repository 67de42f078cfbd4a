"""The runner end to end on a tiny world: plan, caches, runs, result files, report, resume."""
from __future__ import annotations

import json

import pytest

from elmo_eval.encoders.bilm import ElmoBiLM
from elmo_eval.runner.api import reproduce
from elmo_eval.runner.execute import data_fingerprint, inputs_digest
from elmo_eval.runner.plan import build_plan, shard
from elmo_eval.runner.report import build_report
from elmo_eval.specs import SPEC_DIR, load_spec

TINY_BILM = {
    "lstm": {"use_skip_connections": True, "projection_dim": 16, "cell_clip": 3, "proj_clip": 3, "dim": 32,
             "n_layers": 2},
    "char_cnn": {"activation": "relu", "filters": [[1, 8], [2, 8], [3, 16]], "n_highway": 1,
                 "embedding": {"dim": 4}, "n_characters": 262, "max_characters_per_token": 50},
}


@pytest.fixture(scope="module")
def reproduction(tmp_path_factory):
    root = tmp_path_factory.mktemp("repro")
    encoder = ElmoBiLM.from_options(TINY_BILM, seed=0)
    # a spec may be named or given as a file path (a tuned copy elsewhere): runs are keyed by its name
    kwargs = dict(tasks=["ner", str(SPEC_DIR / "snli.toml")], tables=["table1"], encoder=encoder,
                  encoder_name="random-tiny", world_size="tiny", out_dir=root / "results",
                  cache_dir=root / "cache", progress=False, significance_samples=20, use_world=True)
    first = reproduce("default", **kwargs)
    return root, kwargs, first


def test_runs_write_results_and_report(reproduction):
    root, _, first = reproduction
    out = root / "results"
    assert first["runs"] == 4 and first["finished"] == 4 and first["tasks"] == ["ner", "snli"]
    results = sorted(out.glob("runs/*/*/*/result.json"))
    assert len(results) == 4
    # the baselines read no encoder: they sit in a folder shared by every encoder with these word vectors
    assert len(list(out.glob("runs/random-tiny/*/*/result.json"))) == 2
    assert len(list(out.glob("runs/baseline-*/*/*/result.json"))) == 2
    record = json.loads(results[0].read_text())
    for key in ("metrics", "seed", "representation", "layer_weights", "versions", "wall_seconds", "hp", "spec",
                "data_source", "statistics"):
        assert key in record
    assert record["spec"]["sha256"] and record["data_source"]["kind"] == "world"
    assert not list(out.rglob("*.pkl"))
    for name in ("README.md", "leaderboard.md", "leaderboard.csv", "summary.json", "random-tiny/README.md",
                 "random-tiny/table1.md", "random-tiny/table1.csv", "random-tiny/figure2.png"):
        assert (out / name).exists(), name
    table = (out / "random-tiny" / "table1.md").read_text()
    assert "| ner |" in table and "| snli |" in table and "90.15" in table  # the paper's NER baseline
    summary = json.loads((out / "summary.json").read_text())
    rows = {r["task"]: r for r in summary["table1"]["random-tiny"]}
    assert set(rows) == {"ner", "snli"} and rows["ner"]["p_value"] is not None
    # layer caches were built once per task and are shared by the runs
    assert len(list((root / "cache" / "layers").glob("*/*.h5"))) == 2
    # the time per stage: each cache and run a row, linked from the report
    timings = (out / "timings.md").read_text()
    assert "| layer cache: ner (" in timings and "| run snli baseline @both f=1 seed=0 |" in timings
    assert "[timings.md](timings.md)" in (out / "README.md").read_text()


def test_rerun_skips_finished_runs_and_resumes_missing_ones(reproduction):
    root, kwargs, _ = reproduction
    out = root / "results"
    results = sorted(out.glob("runs/*/*/*/result.json"))
    stamps = {p: p.stat().st_mtime_ns for p in results}
    results[0].unlink()  # as if the reproduction had been interrupted during that run
    (out / "timings.md").unlink()
    again = reproduce("default", **kwargs)
    assert again["finished"] == 4
    timings = (out / "timings.md").read_text()  # the run trained again, and the three found done
    assert "found done and reused (3 stages)" in timings
    for path in results[1:]:
        assert path.stat().st_mtime_ns == stamps[path]
    assert results[0].exists()


def test_rerun_trains_again_what_was_finished_with_other_inputs(reproduction):
    """A result computed from other hyperparameters, encoder or word vectors is not reused."""
    root, kwargs, _ = reproduction
    results = sorted((root / "results").glob("runs/*/*/*/result.json"))
    stale = json.loads(results[1].read_text())
    assert len(stale["inputs_digest"]) == 40
    stale["inputs_digest"] = "0" * 40  # as if its task spec had other hyperparameters then
    results[1].write_text(json.dumps(stale))
    stamps = {p: p.stat().st_mtime_ns for p in results}
    reproduce("default", **kwargs)
    assert json.loads(results[1].read_text())["inputs_digest"] != "0" * 40
    assert all(p.stat().st_mtime_ns == stamps[p] for p in results if p != results[1])


def test_a_cut_off_result_file_is_named_and_its_run_trained_again(reproduction, capsys):
    """A result.json cut off (a failed copy, a full disk) is not a finished run: the rerun says which file
    and why, trains that run again and replaces the file whole; the other results are not touched."""
    root, kwargs, _ = reproduction
    results = sorted((root / "results").glob("runs/*/*/*/result.json"))
    cut = results[2]
    good = json.loads(cut.read_text())
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 3])
    stamps = {p: p.stat().st_mtime_ns for p in results}
    capsys.readouterr()
    reproduce("default", **kwargs)
    err = capsys.readouterr().err
    assert f"{cut}: incomplete or corrupt result file (not JSON: " in err and "training again" in err, err
    again = json.loads(cut.read_text())
    assert again["inputs_digest"] == good["inputs_digest"] and again["metrics"] == good["metrics"]
    assert all(p.stat().st_mtime_ns == stamps[p] for p in results if p != cut)


def test_a_call_that_finds_everything_done_keeps_the_time_table(reproduction):
    """Only the report is rebuilt: timings.md stays the table of the call that trained something."""
    root, kwargs, _ = reproduction
    timings = root / "results" / "timings.md"
    before = timings.read_text()
    summary = reproduce("default", **kwargs)
    assert "timings" not in summary and timings.read_text() == before


def test_inputs_digest_follows_hyperparameters_encoder_vectors_and_data():
    base = inputs_digest({"lr": 0.1}, "enc", "vec", "data")
    assert base == inputs_digest({"lr": 0.1}, "enc", "vec", "data")
    changed = [inputs_digest({"lr": 0.2}, "enc", "vec", "data"), inputs_digest({"lr": 0.1}, "other", "vec", "data"),
               inputs_digest({"lr": 0.1}, "enc", None, "data"), inputs_digest({"lr": 0.1}, "enc", "vec", "other")]
    assert len({base, *changed}) == 5


def test_data_fingerprint_follows_every_split_file(tmp_path):
    """A regenerated split (same biLM, same vectors) must not reuse runs trained on the old one."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "train.txt").write_text("a b\n")
    (tmp_path / "docs" / "one.conll").write_text("x\n")
    paths = {"train": tmp_path / "train.txt", "test": tmp_path / "docs"}
    before = data_fingerprint(paths)
    assert data_fingerprint(paths) == before
    (tmp_path / "docs" / "two.conll").write_text("y\n")   # a file added to a folder split
    added = data_fingerprint(paths)
    (tmp_path / "train.txt").write_text("a c\n")
    assert len({before, added, data_fingerprint(paths)}) == 3


def test_report_rebuilds_from_result_files_alone(reproduction):
    root, _, _ = reproduction
    out = root / "results"
    (out / "random-tiny" / "table1.md").unlink()
    build_report(out, samples=10)
    assert "| ner |" in (out / "random-tiny" / "table1.md").read_text()


def test_plan_deduplicates_and_shards():
    specs = [load_spec("ner"), load_spec("srl")]
    runs = build_plan(specs, ["table1", "table2"], [0, 1], "tiny")
    # ner joins table 1 only (baseline, lambda 0.1); srl both: its table-1 mix is table 2's lambda 0.001
    assert len(runs) == 2 * (2 + 4)
    assert {t for r in runs if r.task == "ner" for t in r.tables} == {"table1"}
    assert len({r.run_id for r in runs if r.task == "ner"}) == len([r for r in runs if r.task == "ner"])
    parts = [shard(runs, f"{i}/3") for i in range(3)]
    assert sorted(r.run_id + r.task for p in parts for r in p) == sorted(r.run_id + r.task for r in runs)
    with pytest.raises(ValueError, match="I/N"):
        shard(runs, "3/3")


def test_real_data_locations_from_flags_and_registry(tmp_path):
    from elmo_eval.assets.datadir import register_dataset
    from elmo_eval.runner.data import resolve_real_data, split_paths

    splits = {s: tmp_path / f"eng.{s}" for s in ("train", "dev", "test")}
    register_dataset(tmp_path, "ner", {"path": str(tmp_path), "splits": {k: str(v) for k, v in splits.items()}})
    specs = [load_spec("ner"), load_spec("squad"), load_spec("sst")]
    found = resolve_real_data(specs, {"sst": str(tmp_path / "sst")}, data_dir=str(tmp_path))
    assert set(found) == {"ner", "sst"}  # squad: neither fetched nor given
    assert split_paths(specs[0], found["ner"]) == splits
    assert split_paths(specs[2], found["sst"])["train"] == tmp_path / "sst" / "trees" / "train.txt"


def test_world_bilm_is_keyed_by_corpus_and_training_options(tmp_path):
    from elmo_eval.runner.encoders import bilm_cache_name

    def world(name, corpus, tasks):
        (tmp_path / name / "corpus").mkdir(parents=True)
        (tmp_path / name / "corpus" / "train.txt").write_text(corpus)
        (tmp_path / name / "corpus" / "heldout.txt").write_text("a b\n")
        (tmp_path / name / "world.json").write_text(tasks)
        return tmp_path / name

    same_corpus = [world(f"w{i}", "the cat sat\n", f'{{"tasks": {i}}}') for i in range(2)]
    names = [bilm_cache_name(w, "tiny") for w in same_corpus]
    assert names[0].split("-")[-1] == names[1].split("-")[-1]  # only the labeled splits differ
    other = world("w2", "the dog sat\n", '{"tasks": 0}')
    assert bilm_cache_name(other, "tiny").split("-")[-1] != names[0].split("-")[-1]
    assert bilm_cache_name(same_corpus[0], "tiny", {"epochs": 1}) != names[0]


def test_an_encoder_without_real_data_stops_unless_the_world_is_asked_for(tmp_path, capsys):
    """Official weights (or any encoder but the embedded default) never fall back to the world silently."""
    from elmo_eval.cli import main
    from elmo_eval.encoders.official_format import export_official
    from elmo_eval.runner.api import MissingDataError

    encoder = ElmoBiLM.from_options(TINY_BILM, seed=0)
    with pytest.raises(MissingDataError, match="no real data for ner.*elmo-eval fetch.*data check.*--data world"):
        reproduce("default", tasks=["ner"], tables=["table1"], encoder=encoder, world_size="tiny",
                  out_dir=tmp_path / "r", cache_dir=tmp_path / "c", progress=False)
    bilm = tmp_path / "bilm"
    export_official(encoder, bilm)
    args = ["reproduce", "--bilm", str(bilm), "--tasks", "ner", "--out", str(tmp_path / "r"), "--cache-dir",
            str(tmp_path / "c"), "--data-dir", str(tmp_path / "nothing-registered"), "--dry-run"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no real data for ner" in err
    # asked for explicitly: the plan says, per task, which data it reads and what is finished
    assert main([*args, "--data", "world", "--world-size", "tiny"]) == 0
    out = capsys.readouterr().out
    assert "ner: 2 runs per encoder; with result files in" in out and "0 of 1 baseline, 0 of 1 for bilm" in out
    assert "data: generated world world-tiny-seed0" in out
    # another encoder's finished run is not this encoder's; the shared baseline's is
    from elmo_eval.runner.plan import build_plan
    from elmo_eval.specs import load_spec

    for run in build_plan([load_spec("ner")], ["table1"], [0], "tiny"):
        owner = "other-encoder" if run.reads_encoder else "baseline-0123456789"
        folder = tmp_path / "r" / "runs" / owner / "ner" / run.run_id
        folder.mkdir(parents=True)
        (folder / "result.json").write_text("{}")
    assert main([*args, "--data", "world", "--world-size", "tiny"]) == 0
    assert "1 of 1 baseline, 0 of 1 for bilm" in capsys.readouterr().out


def test_dry_run_names_real_data_and_its_fingerprint(tmp_path, capsys):
    from elmo_eval.cli import main

    for split in ("eng.train", "eng.testa", "eng.testb"):
        (tmp_path / split).write_text("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\n")
    bilm = tmp_path / "bilm"
    from elmo_eval.encoders.official_format import export_official

    export_official(ElmoBiLM.from_options(TINY_BILM, seed=0), bilm)
    assert main(["reproduce", "--bilm", str(bilm), "--tasks", "ner", "--data", f"ner={tmp_path}", "--out",
                 str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"data: real data train={tmp_path / 'eng.train'}" in out and "sha256 " in out

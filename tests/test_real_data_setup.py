"""What a real-data run is set up with: the baseline's word vectors, a profile's data options in the
run's digest, and the character-aware baseline row (the encoder's layer 0) beside Table 1."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from elmo_eval.runner.baseline_vectors import MissingVectorsError, real_data_vectors
from elmo_eval.runner.execute import non_default_options, run_inputs
from elmo_eval.runner.plan import build_plan
from elmo_eval.runner.report import build_report
from elmo_eval.specs import SpecError, find_spec_dir, load_spec

SENTENCES = ["the cat sat on the mat .", "the dog sat on the log .", "a cat saw a dog .",
             "the mat was red .", "the log was brown ."] * 20


def _pretrained_bilm_folder(tmp_path, corpus_files):
    """A biLM folder as `elmo-eval pretrain` leaves it, as far as the baseline's vectors read it."""
    folder = tmp_path / "bilm"
    folder.mkdir()
    record = {"request": {"train": [str(f) for f in corpus_files]}, "train_stats": {"tokens": 700}}
    (folder / "pretrain_result.json").write_text(json.dumps(record))
    return folder


def test_real_data_baseline_vectors_come_from_the_bilms_own_corpus(tmp_path):
    shards = []
    for i in range(2):
        shard = tmp_path / f"shard-{i}.txt"
        shard.write_text("\n".join(SENTENCES[i::2]) + "\n")
        shards.append(shard)
    bilm = _pretrained_bilm_folder(tmp_path, shards)
    vectors, label = real_data_vectors(None, bilm, tmp_path / "cache")
    assert vectors.lookup("cat") is not None and vectors.dim == 50
    assert "biLM's pretraining corpus" in label and "0.00M tokens" in label
    cached = list((tmp_path / "cache" / "vectors").glob("ppmi-svd-50d-*.txt"))
    assert len(cached) == 1 and not list((tmp_path / "cache" / "vectors").glob("*.partial"))
    again, _ = real_data_vectors(None, bilm, tmp_path / "cache")  # read back from the cache
    assert again.fingerprint() == vectors.fingerprint()
    # another corpus is another cache file, never the old vectors
    shards[0].write_text("\n".join(SENTENCES[::2]) + "\nthe bird flew over the hill .\n" * 3)
    third, _ = real_data_vectors(None, bilm, tmp_path / "cache")
    assert third.fingerprint() != vectors.fingerprint()
    assert len(list((tmp_path / "cache" / "vectors").glob("ppmi-svd-50d-*.txt"))) == 2


def test_a_glove_file_wins_and_names_itself(tmp_path):
    glove = tmp_path / "my-vectors.50d.txt"
    glove.write_text("cat " + " ".join(["0.5"] * 50) + "\n")
    vectors, label = real_data_vectors(glove, None, tmp_path / "cache")
    assert vectors.lookup("cat") is not None and label == "word vectors my-vectors.50d.txt"


def test_no_silent_random_vectors_on_real_data(tmp_path):
    with pytest.raises(MissingVectorsError, match="real data needs --glove FILE"):
        real_data_vectors(None, None, tmp_path / "cache")
    gone = _pretrained_bilm_folder(tmp_path, [tmp_path / "not-here.txt"])
    with pytest.raises(MissingVectorsError, match="its pretraining files are not here.*not-here.txt.*--glove"):
        real_data_vectors(None, gone, tmp_path / "cache")
    (gone / "pretrain_result.json").unlink()
    with pytest.raises(MissingVectorsError, match="does not record its pretraining corpus"):
        real_data_vectors(None, gone, tmp_path / "cache")


class _Setup:
    encoder_fingerprint = "e" * 16
    vectors_fingerprint = "v" * 16


def _spec_copy(tmp_path, edit):
    text = (find_spec_dir() / "sst.toml").read_text()
    path = tmp_path / "sst.toml"
    path.write_text(edit(text))
    return load_spec(path)


def test_data_options_that_change_a_run_are_in_its_digest(tmp_path):
    spec = load_spec("sst")
    assert non_default_options(spec) == {}  # the shipped spec spells out its Task's defaults
    run_tiny, run_cpu = (next(r for r in build_plan([spec], ["table1"], [0], p) if not r.reads_encoder)
                         for p in ("tiny", "cpu"))
    hp_tiny, digest_tiny = run_inputs(run_tiny, spec, _Setup(), "data")
    hp_cpu, digest_cpu = run_inputs(run_cpu, spec, _Setup(), "data")
    assert "data" not in hp_tiny and hp_cpu["data"] == {"use_subtrees": False}
    assert digest_tiny != digest_cpu
    # the same option set in [data.options] instead of a profile changes the digest too
    edited = _spec_copy(tmp_path, lambda t: t.replace("use_subtrees = true ", "use_subtrees = false"))
    assert non_default_options(edited) == {"use_subtrees": False}
    assert run_inputs(run_tiny, edited, _Setup(), "data")[1] != digest_tiny


def test_a_profiles_data_options_are_checked_against_the_task(tmp_path):
    with pytest.raises(SpecError, match=r"\[profiles.cpu\] \[data\].*unknown key 'use_subtree'.*use_subtrees"):
        _spec_copy(tmp_path, lambda t: t.replace("use_subtrees = false", "use_subtree = false"))
    with pytest.raises(SpecError, match="expected true or false"):
        _spec_copy(tmp_path, lambda t: t.replace("use_subtrees = false", 'use_subtrees = "no"'))


def test_the_task_is_built_with_the_profiles_data_options(tmp_path):
    from elmo_eval.runner.execute import task_options

    spec = load_spec("sst")
    options = task_options(spec, {}, spec.hp("cpu").get("data"))
    assert spec.build_task(**options).use_subtrees is False
    assert spec.build_task(**task_options(spec, {}, None)).use_subtrees is True


def test_table1_char_plans_the_encoders_layer0_at_the_table1_placement():
    spec = load_spec("ner")
    runs = build_plan([spec], ["table1", "table1_char"], [0, 1], "tiny")
    names = sorted({(r.rep.name, r.rep.placement) for r in runs})
    assert names == [("baseline", "input"), ("elmo_layer0", "input"), ("elmo_mix_l0.1", "input")]
    assert len(runs) == 6
    # the same layer-0 run serves the ablations: planned once, for both
    both = build_plan([spec], ["table1_char", "ablations"], [0], "tiny")
    layer0 = [r for r in both if r.rep.name == "elmo_layer0"]
    assert len(layer0) == 1 and layer0[0].tables == ("ablations", "table1_char")


def test_report_shows_the_gain_over_the_character_aware_baseline(tmp_path):
    from test_report_leaderboard import _write_run

    root = tmp_path / "results"
    setup = {"elmo_placement": "input", "l2_lambda": 0.001, "tables": ["table1", "table1_char"]}
    for seed in range(3):
        _write_run(root, "baseline-vvvv", "alpha", "baseline", seed, [1] * 20 + [0] * 20)
        _write_run(root, "enc", "alpha", "elmo", seed, [1] * (32 + seed) + [0] * (8 - seed))
        layer0 = _write_run(root, "enc", "alpha", "elmo", seed, [1] * 26 + [0] * 14, kind="layer0")
        record = json.loads((layer0 / "result.json").read_text())
        record["representation"].update(name="elmo_layer0", elmo="layer0", l2_lambda=0.0)
        record["run_id"] = layer0.name.replace("elmo_mix_l0.001", "elmo_layer0")
        record["data_source"] = {"kind": "world", "version": "1.9", "size": "tiny", "fingerprint": "d-world-alpha"}
        (layer0 / "result.json").write_text(json.dumps(record))
        shutil.move(layer0, layer0.with_name(record["run_id"]))
    for result in root.glob("runs/*/alpha/*/result.json"):
        record = json.loads(result.read_text())
        record["spec"]["setup"] = setup
        result.write_text(json.dumps(record))
    summary = build_report(root, samples=200)
    char = pd.read_csv(root / "enc" / "table1_char.csv")
    assert char["baseline_mean"].round(2).tolist() == [65.0] and char["elmo_mean"].round(2).tolist() == [82.5]
    text = (root / "enc" / "table1_char.md").read_text()
    assert "Our layer 0 (char-aware baseline)" in text and "Paper baseline" not in text
    table1 = pd.read_csv(root / "enc" / "table1.csv")
    assert table1["baseline_mean"].round(2).tolist() == [50.0]
    # the summary's Table 1 is Table 1, not the comparison written after it
    assert summary is not None
    assert json.loads((root / "summary.json").read_text())["table1"]["enc"][0]["baseline_mean"] == 50.0


def test_the_cli_offers_every_comparison_of_the_book():
    from elmo_eval.runner.cli import TABLE_CHOICES
    from elmo_eval.runner.comparisons import BOOK

    assert sorted(TABLE_CHOICES) == sorted(BOOK)


def test_subset_updates_changes_only_the_digests_of_runs_on_a_fraction():
    spec = load_spec("snli")
    assert spec.hp("tiny")["trainer"]["subset_updates"] == "full"
    assert "subset_updates" not in spec.hp("paper")["trainer"]  # the paper's recipe: one pass per epoch
    runs = {r.fraction: r for r in build_plan([spec], ["figure1"], [0], "tiny", [0.01, 1.0]) if not r.reads_encoder}
    hp_full, _ = run_inputs(runs[1.0], spec, _Setup(), "data")
    hp_part, _ = run_inputs(runs[0.01], spec, _Setup(), "data")
    assert "subset_updates" not in hp_full["trainer"] and hp_part["trainer"]["subset_updates"] == "full"
    # a run on the whole set has the digest it had before the option existed
    import dataclasses

    from elmo_eval.runner.execute import inputs_digest
    from elmo_eval.specs import Hyperparameters

    before = spec.hyperparameters("tiny")
    before = Hyperparameters(dataclasses.replace(before.trainer, subset_updates="subset"), before.embedder,
                             before.head, before.data)
    assert run_inputs(runs[1.0], spec, _Setup(), "data")[1] == inputs_digest(before.to_dict(), None, "v" * 16, "data")


def test_relative_corpus_paths_are_found_from_the_folder_beside_the_bilm(tmp_path, monkeypatch):
    """``pretrain --train corpus/train --out bilm`` run in one folder, ``reproduce --encoder bilm:...`` in another."""
    from elmo_eval.runner.baseline_vectors import bilm_corpus

    work = tmp_path / "work"
    (work / "corpus").mkdir(parents=True)
    (work / "corpus" / "shard-000.txt").write_text("a b c\n", encoding="utf-8")
    (work / "bilm").mkdir()
    (work / "bilm" / "pretrain_result.json").write_text(json.dumps(
        {"request": {"train": ["corpus/shard-000.txt"]}, "train_stats": {"tokens": 3}}), encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    files, tokens = bilm_corpus(work / "bilm")
    assert files == [work.resolve() / "corpus" / "shard-000.txt"] and tokens == 3
    monkeypatch.chdir(work)  # from where pretrain ran, the path as recorded
    assert bilm_corpus(Path("bilm"))[0] == [Path("corpus/shard-000.txt")]

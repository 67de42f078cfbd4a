"""The generated world: determinism, formats, world.json consistency, reuse and atomic writing."""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import pytest

from elmo_eval.world import generate_world
from elmo_eval.world.config import SIZES
from elmo_eval.world.validate import check_world


@pytest.fixture(scope="module")
def tiny_size():
    """The smallest size, so that three generations take a few seconds on a shared CPU."""
    assert SIZES["tiny"].ner[0] < SIZES["small"].ner[0]
    return "tiny"


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory, tiny_size) -> Path:
    out = tmp_path_factory.mktemp("worlds") / "seed0"
    generate_world(out, seed=0, size=tiny_size)
    return out


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_and_size_give_byte_identical_files(world_dir, tmp_path, tiny_size):
    again = tmp_path / "again"
    generate_world(again, seed=0, size=tiny_size)
    assert _digests(again) == _digests(world_dir)


def test_different_seeds_give_different_files(world_dir, tmp_path, tiny_size):
    other = tmp_path / "other"
    generate_world(other, seed=1, size=tiny_size)
    first, second = _digests(world_dir), _digests(other)
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert "corpus/train.txt" in differing and "ner/test.txt" in differing


def test_layout_matches_the_documented_paths(world_dir):
    expected = ["world.json", "corpus/train.txt", "corpus/heldout.txt", "sst/dev.txt", "agnews/test.csv",
                "snli/snli_1.0_train.jsonl", "squad/dev-v1.1.json", "ner/train.txt"]
    for name in expected:
        assert (world_dir / name).is_file(), name
    for directory in ("train", "development", "test"):
        assert sorted((world_dir / "conll2012" / directory).glob("*.gold_conll")), directory


def test_every_file_passes_the_format_checks_and_matches_world_json(world_dir):
    world = check_world(world_dir)
    assert world["seed"] == 0 and world["size"] == "tiny"
    assert world["files"]["corpus/train.txt"] > 0 and "world.json" not in world["files"]


def test_world_json_reports_baselines_oov_and_phenomena(world_dir):
    world = json.loads((world_dir / "world.json").read_text())
    for task in ("ner", "conll2012", "sst"):
        baseline = world["tasks"][task]["word_identity_baseline"]
        assert 0.0 < baseline["test"] < 0.8, (task, baseline)   # word identity alone must not suffice
    assert world["tasks"]["ner"]["oov"]["test"]["token_oov"] > 0.0   # unseen test names exist
    for task, info in world["tasks"].items():
        assert info["phenomena"], task
    vocabulary = world["vocabulary"]["corpus_train"]
    assert vocabulary["types"] > 500 and 0.5 < vocabulary["zipf_exponent"] < 2.0


def test_unseen_test_entities_appear_in_the_corpus(world_dir):
    def entity_words(name: str) -> set[str]:
        rows = [line.split() for line in (world_dir / name).read_text().splitlines() if line.strip()]
        return {row[0] for row in rows if row[3] != "O"}
    unseen = entity_words("ner/test.txt") - entity_words("ner/train.txt") - {"-DOCSTART-"}
    corpus = set((world_dir / "corpus" / "train.txt").read_text().split())
    assert unseen, "every test entity word was already in the NER train set"
    assert len(unseen & corpus) / len(unseen) > 0.3


def test_existing_world_is_reused_not_rewritten(world_dir, tiny_size):
    stamp = (world_dir / "corpus" / "train.txt").stat().st_mtime_ns
    world = generate_world(world_dir, seed=0, size=tiny_size)
    assert world["seed"] == 0
    assert (world_dir / "corpus" / "train.txt").stat().st_mtime_ns == stamp
    assert not world_dir.with_name(world_dir.name + ".partial").exists()


def test_incomplete_world_is_regenerated(tmp_path, tiny_size):
    out = tmp_path / "w"
    generate_world(out, seed=0, size=tiny_size)
    (out / "sst" / "dev.txt").unlink()
    generate_world(out, seed=0, size=tiny_size)
    assert (out / "sst" / "dev.txt").is_file()


def test_refuses_to_overwrite_a_foreign_directory(tmp_path, tiny_size):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="mine"):
        generate_world(foreign, seed=0, size=tiny_size)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_cli_register_adds_world_subcommand(tmp_path, tiny_size, capsys):
    from elmo_eval.world.cli import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["world", "--out", str(tmp_path / "cli"), "--seed", "3", "--size", tiny_size])
    assert args.func(args) == 0
    assert json.loads((tmp_path / "cli" / "world.json").read_text())["seed"] == 3
    assert '"seed": 3' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        parser.parse_args(["world", "--out", "x", "--size", "huge"])

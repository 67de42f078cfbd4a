"""The world's probe files: deterministic, readable, with context-only senses, and no other file changed."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from elmo_eval.probes.data import load_probe_data
from elmo_eval.world import generate_world
from elmo_eval.world.lexicon import build_lexicon
from elmo_eval.world.probes import PROBE_DIR, ensure_probe_files


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    """The tiny world with its probe files, and the same world generated with the probe writer off."""
    root = tmp_path_factory.mktemp("probe-worlds")
    generate_world(root / "with", seed=0, size="tiny")
    generate_world(root / "without", seed=0, size="tiny", probes=False)
    return root / "with", root / "without"


def test_probe_files_change_no_other_file_of_the_world(worlds):
    with_probes, without = worlds
    others = {name: digest for name, digest in _digests(with_probes).items()
              if not name.startswith(PROBE_DIR + "/")}
    assert others == _digests(without)
    assert not (without / PROBE_DIR).exists()
    assert "probes" not in (with_probes / "world.json").read_text()


def test_probe_files_added_to_an_existing_world_are_the_same_bytes(worlds, tmp_path):
    with_probes, without = worlds
    copy = tmp_path / "copy"
    copy.mkdir()
    for name, _ in _digests(without).items():   # a world cached before probe files existed
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes((without / name).read_bytes())
    generate_world(copy, seed=0, size="tiny")   # reuses the world, adds probes/
    assert _digests(copy) == _digests(with_probes)
    info = ensure_probe_files(copy, seed=0, size="tiny")   # and reuses them as they are
    assert info == json.loads((copy / PROBE_DIR / "probes.json").read_text())


def test_probe_data_has_tags_and_name_stems_whose_sense_varies(worlds):
    with_probes, _ = worlds
    data = load_probe_data(with_probes)
    info = json.loads((with_probes / PROBE_DIR / "probes.json").read_text())
    assert data.sizes()["train"]["sentences"] == info["files"]["probes/train.txt"]["sentences"] == 120
    assert data.sizes()["test"]["wsd_instances"] == info["files"]["probes/test.txt"]["wsd_instances"] > 0
    stems = set(build_lexicon(0).forms_by_stem)
    senses_of: dict[str, set] = {}
    for s in data.train + data.test:
        for token, lemma, keys in zip(s.tokens, s.lemmas, s.senses):
            if lemma:
                assert lemma == token and lemma in stems and len(keys) == 1
                senses_of.setdefault(lemma, set()).update(keys)
    assert any(len(senses) > 1 for senses in senses_of.values())   # one stem, several senses
    assert {"NNP", "VBD", "DT", "."} <= {tag for s in data.train for tag in s.pos}
    assert set(data.inventory) == stems and data.inventory[next(iter(stems))][0] in ("PER", "ORG", "LOC")

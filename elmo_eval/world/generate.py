"""Generate a whole world directory and its ``world.json`` (see the package docstring for the layout).

Writing is atomic: everything goes into ``DIR.partial/`` and is renamed to
``DIR`` only when complete, so an interrupted run never looks finished.  A
directory whose ``world.json`` has the same seed, size and generator version
and whose listed files all exist is reused as is.
"""
from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from .agnews import write_agnews
from .config import GENERATOR_VERSION, size_spec
from .conll2012 import write_conll2012
from .corpus import write_corpus
from .lexicon import HELDOUT_STEM_EVERY, N_STEMS, build_lexicon
from .ner import write_ner
from .probes import ensure_probe_files
from .snli import write_snli
from .squad import write_squad
from .sst import write_sst
from .stats import oov_rate, vocabulary_stats

WORLD_JSON = "world.json"


def _existing_world(out_dir: Path, seed: int, size: str) -> dict | None:
    """The world.json of a complete world with this seed/size/version in ``out_dir``, else None."""
    path = out_dir / WORLD_JSON
    if not path.is_file():
        return None
    try:
        world = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if (world.get("seed"), world.get("size"), world.get("generator_version")) != (seed, size, GENERATOR_VERSION):
        return None
    if not all((out_dir / name).is_file() for name in world.get("files", {})):
        return None
    return world


def _write_all(target: Path, seed: int, size: str) -> dict:
    spec = size_spec(size)
    lexicon = build_lexicon(seed)
    corpus = write_corpus(target, lexicon, seed, spec.corpus_train_tokens, spec.corpus_heldout_tokens)
    counts: dict[str, Counter] = corpus.pop("_counts")
    tasks = {
        "ner": write_ner(target, lexicon, spec, seed),
        "sst": write_sst(target, spec, seed),
        "snli": write_snli(target, spec, seed),
        "squad": write_squad(target, lexicon, spec, seed),
        "conll2012": write_conll2012(target, lexicon, spec, seed),
        "agnews": write_agnews(target, lexicon, spec, seed),
    }
    files = {str(p.relative_to(target)): p.stat().st_size for p in sorted(target.rglob("*")) if p.is_file()}
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "size": size,
        "sizes": asdict(spec),
        "corpus": corpus["files"],
        "vocabulary": {
            "corpus_train": vocabulary_stats(counts["train"]),
            "corpus_heldout_oov": oov_rate(counts["train"], counts["heldout"]),
            "name_stems": N_STEMS,
            "name_stems_held_out_of_labeled_train": N_STEMS // HELDOUT_STEM_EVERY,
        },
        "tasks": tasks,
        "files": files,
    }


def generate_world(out_dir: str | Path, seed: int = 0, size: str = "small", probes: bool = True) -> dict:
    """Generate (or reuse) the world in ``out_dir``; returns the content of its world.json.

    ``probes``: also write (or add to an existing world) the probe files of ``probes/``
    (:mod:`.probes`); they are not listed in world.json and change no other file.
    """
    out_dir = Path(out_dir)
    size_spec(size)  # fail fast on a bad size name
    existing = _existing_world(out_dir, seed, size)
    if existing is not None:
        if probes:
            ensure_probe_files(out_dir, seed, size)
        return existing
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / WORLD_JSON).exists():
        raise FileExistsError(f"{out_dir} exists, is not empty and holds no {WORLD_JSON}: "
                              "refusing to overwrite it; choose an empty or new directory")
    partial = out_dir.with_name(out_dir.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)   # left over from an interrupted run
    partial.mkdir(parents=True)
    world = _write_all(partial, seed, size)
    # world.json last, inside the partial directory, then one rename makes the world visible
    (partial / WORLD_JSON).write_text(json.dumps(world, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if out_dir.exists():
        stale = out_dir.with_name(out_dir.name + ".stale")
        if stale.exists():
            shutil.rmtree(stale)
        out_dir.rename(stale)   # a previous world (other seed/size/version)
        partial.rename(out_dir)
        shutil.rmtree(stale)
    else:
        partial.rename(out_dir)
    if probes:
        ensure_probe_files(out_dir, seed, size)
    return world

"""The ``probes`` comparison of a reproduction: the per-layer probes of :mod:`elmo_eval.probes`, once per
encoder, after its runs.

The probes train no task: :func:`elmo_eval.probes.run.run_probes` runs WSD (where the data has
senses), POS and nearest neighbours on the encoder's frozen layers and its word-only vectors, and
writes its result file under the results folder, ``runs/<encoder id>/probes/probes-<data>-<encoder>.json``
(+ ``.md``), where the report reads it. The probe data is the generated world's ``probes/`` when the
encoder runs on the world, else a folder given with ``--probe-data`` (CoNLL-2003 or CoNLL-2012, detected
as ``elmo-eval probe --data`` detects it; given, it wins over the world's). A result computed from the
same encoder, data, word vectors and probe options is kept ("done already, skipped").
"""
from __future__ import annotations

import copy
import dataclasses
import json
import sys
from pathlib import Path

from elmo_eval.runner.results import PROBES_FOLDER

PROBE_OPTION_KEYS = ("max_sentences", "pos", "nn_words", "data_format")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def probe_folder(out_dir: Path, encoder_id: str) -> Path:
    return Path(out_dir) / "runs" / encoder_id / PROBES_FOLDER


def check_probe_options(options: dict | None) -> dict:
    """``probe_options`` of :func:`~elmo_eval.runner.api.reproduce`: ``max_sentences`` (first N sentences of
    each split), ``pos`` (options of the POS probe: epochs, lr, seed, min_updates, ...), ``nn_words``
    (query words of the nearest-neighbour table), ``data_format`` (of ``probe_data``; default detected)."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(PROBE_OPTION_KEYS))
    if unknown:
        raise ValueError(f"unknown probe option(s) {', '.join(unknown)}; known: {', '.join(PROBE_OPTION_KEYS)}")
    if options.get("max_sentences") is not None and int(options["max_sentences"]) < 1:
        raise ValueError("the probes' max_sentences must be >= 1")
    return options


def load_given_probe_data(probe_data, options: dict):
    """The ``--probe-data`` folder, read once (before any training, so a wrong folder fails fast), with a
    source label that names no machine path (result files are shared)."""
    from elmo_eval.probes.data import load_probe_data

    data = load_probe_data(probe_data, options.get("data_format"), options.get("max_sentences"))
    return dataclasses.replace(data, source=f"probe data folder {Path(probe_data).resolve().name}")


def encoder_probe_data(setup, given):
    """(probe data, None) for this encoder, or (None, why not)."""
    if given is not None:
        return given, None
    if setup.world_dir is None:
        return None, ("it runs on real data and no probe data was given (--probe-data DIR: a CoNLL-2003 or "
                      "CoNLL-2012 folder)")
    return "world", None


def _world_data(setup, options: dict):
    from elmo_eval.probes.data import load_probe_data

    data = load_probe_data(setup.world_dir, "world", options.get("max_sentences"))
    return dataclasses.replace(data, source=f"<cache>/{Path(setup.world_dir).name}/probes")


def _finished(path: Path, wanted: dict) -> bool:
    """Whether ``path`` is a probe result computed from these encoder, data, vectors and options."""
    try:
        with open(path, encoding="utf-8") as handle:
            result = json.load(handle)
        found = {"encoder": result["encoder"]["fingerprint"], "data": result["data"]["fingerprint"],
                 "vectors": result["vectors"]["fingerprint"], "options": result["options"]}
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return found == wanted


def run_encoder_probes(setup, out_dir: Path, cache_dir: Path, given_data=None, options: dict | None = None,
                       progress: bool = True) -> str:
    """Probe ``setup``'s encoder unless a matching result is there; returns what happened, in a few words."""
    import torch

    from elmo_eval.probes.run import PROBES, result_stem, run_probes

    options = check_probe_options(options)
    label = f"probes {setup.encoder_id}"
    data, why_not = encoder_probe_data(setup, given_data)
    if data is None:
        _say(f"{label}: skipped: {why_not}")
        return f"skipped: {why_not}"
    if data == "world":
        data = _world_data(setup, options)
    probes = [p for p in PROBES if p != "wsd" or data.has_wsd]
    pos = dict(options.get("pos") or {})
    pos.setdefault("seed", 0)
    nn_words = list(options["nn_words"]) if options.get("nn_words") else None
    # what the result is computed from, as its file records it (JSON round trip: tuples become lists)
    wanted = json.loads(json.dumps({
        "encoder": setup.encoder_fingerprint, "data": data.fingerprint(), "vectors": setup.vectors_fingerprint,
        "options": {"probes": probes, "pos": pos, "nn_words": nn_words}}))
    folder = probe_folder(out_dir, setup.encoder_id)
    target = folder / f"{result_stem(data.name, setup.encoder_id)}.json"
    if _finished(target, wanted):
        _say(f"{label} on {data.name}: done already, skipped")
        return "done already"
    again = target.exists() and not target.is_symlink()
    _say(f"{label} on {data.name} ({', '.join(probes)}): "
         + ("finished earlier with another encoder, data, word vectors or options; probing again" if again
            else "probing"))
    if target.is_symlink():  # never written through: a link may point anywhere
        target.unlink()
    vectors = setup.vectors
    if vectors is not None and getattr(vectors, "source", None):
        vectors = copy.copy(vectors)   # the result names the vectors' file, not where it lies
        vectors.source = Path(str(vectors.source)).name
    torch.manual_seed(pos["seed"])
    run_probes(setup.encoder, vectors, data, probes, out_dir=folder, cache_dir=Path(cache_dir).resolve(),
               encoder_id=setup.encoder_id, encoder_description=setup.description, pos_options=pos,
               nn_words=nn_words, progress=progress, command=None)
    return "written"

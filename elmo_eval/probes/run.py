"""Run the probes for one encoder (plus its word-only vectors) on one probe dataset; write the results.

Python API (what ``elmo-eval probe`` calls, and what a plug-in encoder uses)::

    run_probes(encoder, vectors, data, ["wsd", "pos", "nn"], out_dir=..., cache_dir=...,
               encoder_id="my-encoder") -> result dict

``encoder``: any object with ``embed(sentences) -> (layers [B, L, T, D], mask [B, T])``,
``num_layers``, ``output_dim`` and ``fingerprint()`` (None: only the word-vector row);
``vectors``: :class:`~elmo_eval.word_vectors.PretrainedVectors` or None.
Writes ``OUT/probes-<data>-<encoder id>.json`` (the result file) and ``.md`` (its tables). On real data
(anything but the generated world) those two hold scores only, and ``...text.json`` / ``...text.md``
beside them the same with the data's sentences and per-target answers (licensed data: keep them local).
"""
from __future__ import annotations

import copy
import re
import time
from pathlib import Path

from elmo_eval.errors import UsageError
from elmo_eval.probes.features import build_features, probe_cache_path
from elmo_eval.probes.tables import PAPER_POS, PAPER_WSD, probe_markdown

PROBES = ("wsd", "pos", "nn")
RESULT_KIND = "elmo_eval.probes"
# the local file with the probe data's own text (sentences, per-target answers), for data other than the world
TEXT_SUFFIX = ".text"


class ProbeUsageError(UsageError, ValueError):
    """A probe cannot run on this data or encoder (one line for the user)."""


def portable(value, cache_dir: Path):
    """``value`` with the cache folder written ``<cache>`` and the home folder ``~`` (result files are shared)."""
    if isinstance(value, dict):
        return {key: portable(item, cache_dir) for key, item in value.items()}
    if isinstance(value, list):
        return [portable(item, cache_dir) for item in value]
    if isinstance(value, str):
        return value.replace(str(Path(cache_dir).resolve()), "<cache>").replace(str(cache_dir), "<cache>") \
            .replace(str(Path.home()), "~")
    return value


def result_stem(data_name: str, encoder_id: str) -> str:
    return "probes-" + re.sub(r"[^A-Za-z0-9._-]+", "_", f"{data_name}-{encoder_id}")


def check_probes(probes, data) -> None:
    """Raise :class:`ProbeUsageError` for an unknown probe or a WSD probe on data without senses."""
    unknown = sorted(set(probes or ()) - set(PROBES))
    if unknown:
        raise ProbeUsageError(f"unknown probe(s) {', '.join(unknown)}; expected some of {', '.join(PROBES)}")
    if "wsd" in (probes or ()) and not data.has_wsd:
        raise ProbeUsageError(f"{data.name} data ({data.source}) has no word-sense targets; "
                              "run --probe pos nn on it, or give data with senses")


def run_probes(encoder, vectors, data, probes=PROBES, *, out_dir, cache_dir, encoder_id: str,
               encoder_description: dict | None = None, pos_options: dict | None = None,
               nn_words: list[str] | None = None, progress: bool = True, command: str | None = None) -> dict:
    """Compute the layers once, run each probe in ``probes``, write the result file and its tables."""
    from elmo_eval.io import atomic_write_bytes, atomic_write_json
    from elmo_eval.runner.results import versions

    check_probes(probes, data)
    started = time.time()
    fingerprint = encoder.fingerprint() if encoder is not None else None
    cache_path = probe_cache_path(cache_dir, data.name, data.fingerprint(), fingerprint) if encoder else None
    features = build_features(encoder, vectors,
                              [s.tokens for s in data.train] + [s.tokens for s in data.test],
                              cache_path, progress=progress)
    results: dict = {}
    timings: dict = {}
    try:
        for probe in probes:
            begun = time.time()
            if probe == "wsd":
                from elmo_eval.probes.wsd import wsd_probe

                results["wsd"] = wsd_probe(features, data)
            elif probe == "pos":
                from elmo_eval.probes.pos import pos_probe

                results["pos"] = pos_probe(features, data, **(pos_options or {}))
            else:
                from elmo_eval.probes.neighbours import neighbours_probe

                results["nn"] = neighbours_probe(features, data, nn_words)
            timings[probe] = round(time.time() - begun, 2)
    finally:
        if features.cache is not None:
            features.cache.close()
    result = {
        "kind": RESULT_KIND,
        "encoder": {"id": encoder_id, "fingerprint": fingerprint, "num_layers": getattr(encoder, "num_layers", 0),
                    "output_dim": getattr(encoder, "output_dim", None), "description": encoder_description or {}},
        "vectors": {"source": getattr(vectors, "source", None),
                    "fingerprint": vectors.fingerprint() if vectors is not None else None,
                    "dim": getattr(vectors, "dim", None)},
        "data": {"name": data.name, "source": data.source, "fingerprint": data.fingerprint(),
                 "sizes": data.sizes(), "notes": data.notes},
        "rows": features.rows,
        "options": {"probes": list(probes), "pos": dict(pos_options or {}), "nn_words": nn_words},
        "probes": results,
        "paper": {"wsd_f1_table5": PAPER_WSD, "pos_accuracy_table6": PAPER_POS},
        "seconds": {"total": round(time.time() - started, 2), **timings},
        "command": command,
        "versions": versions(),
    }
    result = portable(result, Path(cache_dir))
    out_dir = Path(out_dir)
    stem = result_stem(data.name, encoder_id)

    def write(name: str, content: dict) -> list[str]:
        """``name.json`` (the result) and ``name.md`` (its tables) under ``out_dir``."""
        atomic_write_json(out_dir / f"{name}.json", content, default=str)
        atomic_write_bytes(out_dir / f"{name}.md", probe_markdown(content).encode("utf-8"))
        return [str(out_dir / f"{name}.json"), str(out_dir / f"{name}.md")]

    text_files = []
    if data.name != "world":
        # real probe data may be licensed (CoNLL-2003, OntoNotes): its sentences and per-target answers go
        # to a separate local file, and the result file the report reads (and a repository may hold) keeps
        # only the scores
        text_files = write(stem + TEXT_SUFFIX, result)
        result = without_text(result, f"{stem}{TEXT_SUFFIX}.md")
    result["_files"] = [*write(stem, result), *text_files]
    return result


def without_text(result: dict, text_file: str) -> dict:
    """``result`` without the data's own text: no WSD answers or gold keys per target, no sentences in the
    nearest-neighbour rows (their words, counts and nearest static words stay); ``text_withheld``
    names the local file that has them."""
    out = copy.deepcopy(result)
    probes = out["probes"]
    if "wsd" in probes:
        probes["wsd"].pop("gold", None)
        for row in probes["wsd"]["rows"].values():
            row.pop("answers", None)
    if "nn" in probes:
        for entry in probes["nn"]["words"]:
            entry["rows"] = {}
    out["text_withheld"] = text_file
    return out

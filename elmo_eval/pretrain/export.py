"""What a finished pretraining run leaves in ``out_dir``, and how a run is recognised as complete.

``options.json`` + ``weights.hdf5`` (original bilm-tf layout, via the encoder's
``export_official``), ``vocab.txt``, and ``pretrain_result.json`` (paths, metrics and
the request that produced them), which is written last: its presence with
``"complete": true`` and the three files present means the export is complete.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..encoders.bilm import ElmoBiLM
from ..encoders.official_format import export_official
from ..io import atomic_write_json
from .vocab import Vocabulary

RESULT_NAME = "pretrain_result.json"
VOCAB_NAME = "vocab.txt"


def export_run(bilm: ElmoBiLM, vocab: Vocabulary, out_dir: Path, result: dict[str, Any],
               complete: bool = True) -> dict[str, Any]:
    """Write the model, the vocabulary and (last) the result file; returns the result.
    ``complete=False`` (an interrupted run): usable weights, but a re-run trains on."""
    out_dir.mkdir(parents=True, exist_ok=True)
    options_path, weights_path = export_official(bilm, out_dir)
    vocab_path = vocab.save(out_dir / VOCAB_NAME)
    result = dict(result, complete=complete, options=str(options_path), weights=str(weights_path),
                  vocab=str(vocab_path), fingerprint=bilm.fingerprint())
    atomic_write_json(out_dir / RESULT_NAME, result)
    return result


def completed_result(out_dir: Path, request: dict[str, Any]) -> dict[str, Any] | None:
    """The stored result when ``out_dir`` holds a complete export made for the same request."""
    result_path = out_dir / RESULT_NAME
    if not result_path.is_file():
        return None
    try:
        result = json.loads(result_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None
    if not result.get("complete") or result.get("request") != request:
        return None
    if not all(Path(result.get(key, "")).is_file() for key in ("options", "weights", "vocab")):
        return None
    return result

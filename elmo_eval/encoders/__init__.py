"""Contextual encoders: the ELMo biLM and its official weight format, the Hugging Face adapter
(:mod:`.hf`) and ``--encoder`` specs (:mod:`.spec`).

Names are imported on first use (PEP 562), so that parsing an ``--encoder`` spec on the command
line does not import torch.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "ElmoBiLM": ".bilm",
    "batch_to_char_ids": ".char_ids",
    "token_to_char_ids": ".char_ids",
    "OfficialFormatError": ".official_format",
    "OptionsError": ".official_format",
    "WeightsMismatchError": ".official_format",
    "export_official": ".official_format",
    "load_official_weights": ".official_format",
    "load_options": ".official_format",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

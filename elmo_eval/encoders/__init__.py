"""Contextual encoders: the ELMo biLM and its official weight format."""
from .bilm import ElmoBiLM
from .char_ids import batch_to_char_ids, token_to_char_ids
from .official_format import (
    OfficialFormatError,
    WeightsMismatchError,
    export_official,
    load_official_weights,
    load_options,
)

__all__ = [
    "ElmoBiLM",
    "OfficialFormatError",
    "WeightsMismatchError",
    "batch_to_char_ids",
    "export_official",
    "load_official_weights",
    "load_options",
    "token_to_char_ids",
]

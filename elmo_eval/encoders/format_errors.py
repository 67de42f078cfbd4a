"""The errors of the original (bilm-tf) model files: ``options.json`` and ``weights.hdf5``.

Kept apart from the readers so that :mod:`.options_schema` and :mod:`.official_format` share
them without importing each other; :mod:`.official_format` re-exports all three.
"""
from __future__ import annotations

from elmo_eval.errors import InputFileError, UsageError


class OfficialFormatError(UsageError, ValueError):
    """An options or weights file is missing, unreadable or malformed."""


class WeightsMismatchError(UsageError, ValueError):
    """A weights file does not fit the model its options describe: a dataset is missing, has another
    shape, or is one the model does not use (the options are another model's)."""


class OptionsError(OfficialFormatError, InputFileError):
    """One key of an options file has a wrong type or value, is missing or is unknown:
    ``"{options file}:{key}: {what was expected}, found {what was there}"``."""

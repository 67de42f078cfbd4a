"""The one error every reader raises for malformed input: file, line and what was expected."""
from __future__ import annotations

from pathlib import Path

from elmo_eval.errors import InputFileError


class DataFormatError(InputFileError):
    """Malformed data: ``"{path}:{line_no}: {message}"``.

    ``line_no`` is the 1-based line in the file, or another locator that the
    format makes more useful (a JSON path such as ``data[3].paragraphs[0]``).
    """

    def __init__(self, path: str | Path, line_no: int | str, message: str):
        super().__init__(path, line_no, message)

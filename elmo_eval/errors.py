"""The error classes of wrong user input (a bad option value, an unknown name, a malformed file).

The command line (:func:`elmo_eval.cli.main`) prints such an error as one line on stderr
and exits with status 2, like argparse does for a malformed command line; any other
exception is a bug and keeps its traceback. This module imports nothing, so any layer
of the package may raise them.

Every error a user can act on derives from :class:`UsageError`: the format errors of each
reader, vectors file, options file, corpus, cache or download subclass it (and keep their
older base, ``ValueError`` or ``RuntimeError``, so existing ``except`` clauses still hold).
"""
from __future__ import annotations


def located(path: object, where: int | str | None, message: str) -> str:
    """``"{path}:{where}: {message}"``, or ``"{path}: {message}"`` when there is no line or key to name."""
    return f"{path}:{where}: {message}" if where is not None else f"{path}: {message}"


class UsageError(Exception):
    """Input the user can fix: the message says what was wrong and, where it helps, what is expected."""


class InputFileError(UsageError, ValueError):
    """A file the user gave that cannot be read as what it should be: ``"{path}:{where}: {message}"``.

    ``where`` is the 1-based line number, or another locator that the format makes more useful
    (a JSON path such as ``data[3].paragraphs[0]``, an HDF5 dataset name, an options key).
    """

    def __init__(self, path: object, where: int | str | None, message: str):
        self.path = str(path)
        self.line_no = where
        self.message = message
        super().__init__(located(self.path, where, message))

"""The error class of wrong user input (a bad option value, an unknown name, a missing file).

The command line (:func:`elmo_eval.cli.main`) prints such an error as one line on stderr
and exits with status 2, like argparse does for a malformed command line; any other
exception is a bug and keeps its traceback. This module imports nothing, so any layer
of the package may raise it.
"""
from __future__ import annotations


class UsageError(Exception):
    """Input the user can fix: the message says what was wrong and, where it helps, what is expected."""

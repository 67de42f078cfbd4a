"""``--threads N`` for every command that computes: torch's CPU threads, set once, shown in the progress line.

On a machine other jobs also load, torch's default (one thread per core) can run several times slower
than one thread (pretraining measured 8x), because its threads wait for each other at every op; a
command that computes therefore takes ``--threads`` and says how many it uses. Importing this module
imports no torch (the command line stays fast); :func:`apply_threads` imports it when a command runs.
"""
from __future__ import annotations

import argparse

THREADS_HELP = "torch CPU threads (default: torch's choice, one per core; 1 on a machine shared with other jobs)"


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (a wrong value is a usage error: one line, exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def add_threads_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=positive_int, default=None, metavar="N", help=THREADS_HELP)


def apply_threads(threads: int | None) -> int:
    """Set torch's CPU threads when ``threads`` is given; returns the number in use."""
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    return torch.get_num_threads()

"""The ``elmo-eval`` command: one subcommand per job, each registered by the module that does it.

Building the parser imports only the registering modules, which import nothing heavy (no torch,
Lightning, scipy, matplotlib, pandas or h5py): ``--help``, ``data list`` and a usage error answer at
once, and each command imports what it computes with when it runs (tests/test_cli.py checks this).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
import warnings

from elmo_eval.errors import UsageError

# (module, what it adds); each module has register(subparsers) and sets args.func(args) -> int | None.
COMMAND_MODULES = (
    "elmo_eval.runner.cli",        # reproduce, report
    "elmo_eval.world.cli",         # world
    "elmo_eval.pretrain.cli",      # pretrain
    "elmo_eval.corpus.cli",        # corpus build
    "elmo_eval.assets.cli",        # fetch, data
    "elmo_eval.probes.cli",        # probe
    "elmo_eval.tools_cli",         # embed, srl-eval, coref-score
)
# Loggers whose INFO chatter (accelerators found, tips) is hidden unless --verbose.
CHATTY_LOGGERS = frozenset({"pytorch_lightning", "lightning", "lightning_fabric"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="elmo-eval",
        description="Reproduce and extend Peters et al. 2018 (ELMo): pretrain or load a biLM, cache its layers, "
                    "train the paper's task heads on them and write leaderboard reports.")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


class _QuietLightning(logging.Filter):
    """Drops Lightning's records below WARNING. Lightning sets its own logger to INFO when imported,
    so a level set before that is lost; a filter on the root handlers holds whenever it is imported
    (and spares commands that never train from importing it just to quieten it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".")[0] not in CHATTY_LOGGERS


def quieten_lightning() -> None:
    for handler in logging.getLogger().handlers:
        handler.addFilter(_QuietLightning())
    warnings.filterwarnings("ignore", message=".*LeafSpec.*")
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")


def one_line(error: BaseException) -> str:
    """The message of ``error`` on one line (a user error's message may hold a file's line)."""
    return " ".join(str(error).split())


def user_error_message(error: BaseException) -> str | None:
    """What to print for an error the user can act on, or None for a bug (which keeps its traceback).

    User errors are :class:`UsageError` (every reader's, loader's and downloader's error class derives
    from it) and operating-system errors on a named file (missing, unreadable, unwritable, a full disk):
    those name the file and the reason, which is all the user needs.
    """
    if isinstance(error, UsageError):
        return one_line(error)
    if isinstance(error, OSError) and error.filename is not None:
        reason = error.strerror or one_line(error)
        return f"{error.filename}: {reason}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if not args.verbose:
        quieten_lightning()
    # The one error boundary of the command line: a user error is one line and exit 2; with
    # --verbose it keeps its traceback too (for a bug report). Anything else is a bug: traceback.
    try:
        code = args.func(args)
    except KeyboardInterrupt as interrupt:  # Ctrl-C (130), or SIGTERM where a command turns it into one (143)
        code = getattr(interrupt, "exit_code", 130)
        print(f"elmo-eval {args.command}: {'terminated' if code != 130 else 'interrupted'}", file=sys.stderr)
        return code
    except Exception as error:
        message = user_error_message(error)
        if message is None or args.verbose:
            raise
        print(f"elmo-eval {args.command}: error: {message}", file=sys.stderr)
        return 2
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())

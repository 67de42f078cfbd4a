"""The ``elmo-eval`` command: one subcommand per job, each registered by the module that does it."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
import warnings

# (module, what it adds); each module has register(subparsers) and sets args.func(args) -> int | None.
COMMAND_MODULES = (
    "elmo_eval.runner.cli",        # reproduce, report, plan
    "elmo_eval.world.cli",         # world
    "elmo_eval.pretrain.cli",      # pretrain
    "elmo_eval.corpus.cli",        # corpus build
    "elmo_eval.encoders.embed_cli",  # embed
    "elmo_eval.assets.cli",        # fetch, data
    "elmo_eval.metrics.srl_eval",  # srl-eval
    "elmo_eval.metrics.coref",     # coref-score
    "elmo_eval.probes.cli",        # probe
)


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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        # Lightning announces accelerators and tips at INFO on every Trainer. It sets its logger's
        # level when imported, so import it first, then quieten it.
        import pytorch_lightning  # noqa: F401

        for name in ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric"):
            logging.getLogger(name).setLevel(logging.WARNING)
        warnings.filterwarnings("ignore", message=".*LeafSpec.*")
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    code = args.func(args)
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())

"""``elmo-eval pretrain``: train a biLM from text and export options.json + weights.hdf5 + vocab.txt.

Wired into the main CLI with :func:`register`; also runnable on its own as
``python -m elmo_eval.pretrain.cli pretrain ...`` (DDP's subprocess launcher re-runs
that same command line on every rank).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from elmo_eval.threads import add_threads_argument

from .presets import PRESETS


def _devices(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train", required=True, nargs="+",
                        help="training text: file(s), directory or glob of shards (one tokenized sentence per line)")
    parser.add_argument("--heldout", default=None, help="held-out text for perplexity (file, directory or glob)")
    parser.add_argument("--heldout-fraction", type=float, default=None,
                        help="without --heldout: hold out this fraction of the training lines")
    parser.add_argument("--out", required=True, help="output directory (resumes from out/checkpoints/last.ckpt)")
    parser.add_argument("--preset", default="tiny", choices=sorted(PRESETS))
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--dropout", type=float, default=None)
    parser.add_argument("--max-sentence-length", type=int, default=None)
    parser.add_argument("--min-count", type=int, default=None)
    parser.add_argument("--num-sampled", type=int, default=None, help="sampled softmax negatives (preset default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--max-time", default=None, metavar="DD:HH:MM:SS",
                        help="stop after this much wall time and export the biLM (e.g. 00:00:55:00)")
    add_threads_argument(parser)
    parser.add_argument("--devices", type=_devices, default=1)
    parser.add_argument("--num-nodes", type=int, default=1)
    parser.add_argument("--strategy", default="auto")
    parser.add_argument("--accelerator", default="cpu")
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--checkpoint-every", type=int, default=None, help="save last.ckpt every N steps")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--init-from", nargs="+", metavar="PATH", default=None,
                       help="continue training an existing biLM: OPTIONS.json WEIGHTS.hdf5, or a .ckpt")
    start.add_argument("--resume", metavar="CKPT", default=None,
                       help="alias of --init-from CKPT (to resume an interrupted run, just re-run with the same --out)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar / model summary")


def _valid_max_time(value: str) -> bool:
    parts = value.split(":")
    return len(parts) == 4 and all(p.isdigit() for p in parts) and any(int(p) for p in parts)


def run(args: argparse.Namespace) -> int:
    if args.max_time is not None and not _valid_max_time(args.max_time):
        print(f"error: --max-time {args.max_time!r}: expected DD:HH:MM:SS, e.g. 00:00:55:00", file=sys.stderr)
        return 2
    from .api import PretrainInterrupted, pretrain_bilm  # heavy imports only when the command runs

    init_from = args.init_from or ([args.resume] if args.resume else None)
    try:
        result = pretrain_bilm(
            train_files=args.train, heldout_file=args.heldout, out_dir=args.out, preset=args.preset,
            epochs=args.epochs, seed=args.seed, max_steps=args.max_steps, devices=args.devices,
            num_nodes=args.num_nodes, strategy=args.strategy, accelerator=args.accelerator, init_from=init_from,
            progress=not args.no_progress, batch_size=args.batch_size, lr=args.lr,
            heldout_fraction=args.heldout_fraction, max_sentence_length=args.max_sentence_length,
            min_count=args.min_count, num_sampled=args.num_sampled, dropout=args.dropout,
            num_workers=args.num_workers, checkpoint_every_n_steps=args.checkpoint_every, max_time=args.max_time,
            threads=args.threads)
    except PretrainInterrupted as stop:
        print(f"interrupted by {stop.signal_name} at step {stop.result.get('global_step')}: the weights so far are "
              f"in {stop.result.get('weights')} (result file marked incomplete); re-run the same command to resume",
              file=sys.stderr)
        return 130 if stop.signal_name == "SIGINT" else 143
    if result.get("complete"):
        summary = {key: result.get(key) for key in ("options", "weights", "vocab", "final_heldout_perplexity",
                                                    "unigram_perplexity", "words_per_second", "global_step")}
        print(json.dumps(summary, indent=2))
    return 0


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``pretrain`` subcommand; ``args.func(args)`` runs it."""
    parser = subparsers.add_parser("pretrain", help="pretrain a biLM (ELMo architecture) and export it",
                                   description=__doc__)
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m elmo_eval.pretrain.cli pretrain ...``: the same command, through the same error boundary."""
    from elmo_eval.cli import main as elmo_eval_main

    return elmo_eval_main(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())

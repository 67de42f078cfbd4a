"""``elmo-eval world``: generate the embedded default world (registered in :mod:`elmo_eval.cli`)."""

from __future__ import annotations

import argparse
import json
import time

from ..errors import UsageError
from .config import SIZES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "world",
        help="generate the synthetic world: unlabeled corpus + every task in its official format",
        description="Deterministic generator of a corpus and task files (CoNLL-2003, SST, SNLI, SQuAD 1.1, "
        "CoNLL-2012, AG News); reuses DIR if it already holds the same seed/size.",
    )
    parser.add_argument("--out", required=True, help="output directory DIR (written atomically via DIR.partial)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed+size = identical bytes)")
    parser.add_argument("--size", choices=sorted(SIZES), default="small", help="how much to generate")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .generate import generate_world

    started = time.perf_counter()
    try:
        world = generate_world(args.out, seed=args.seed, size=args.size)
    except FileExistsError as error:  # --out names a folder that holds something else
        raise UsageError(str(error)) from None
    elapsed = time.perf_counter() - started
    summary = {
        "out": str(args.out),
        "seed": world["seed"],
        "size": world["size"],
        "corpus_tokens": world["vocabulary"]["corpus_train"]["tokens"],
        "word_identity_baselines": {
            task: info["word_identity_baseline"]
            for task, info in world["tasks"].items()
            if "word_identity_baseline" in info
        },
        "seconds": round(elapsed, 2),
    }
    print(json.dumps(summary, indent=1))
    return 0

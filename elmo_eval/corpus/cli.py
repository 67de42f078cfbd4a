"""``elmo-eval corpus build``: raw English text -> tokenized, decontaminated pretraining shards.

Wired into the main CLI by ``register(subparsers)``. Heavy work (nltk) is imported only
when the command runs.
"""
from __future__ import annotations

import argparse
import sys


def run_build(args: argparse.Namespace) -> int:
    from .build import build_corpus
    from .exclude import ExcludeFileError
    from .sources import SourceError

    try:
        counts = build_corpus(args.sources, args.out, exclude=args.exclude or (), heldout_docs=args.heldout_docs,
                              shards=args.shards, overwrite=args.overwrite)
    except (SourceError, ExcludeFileError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ImportError as error:
        print(f"error: {error} (corpus building needs nltk: pip install 'elmo-eval[corpus]')", file=sys.stderr)
        return 2
    print(counts.table())
    dropped = counts.total().dropped_task_sentences
    print(f"decontamination: dropped {dropped:,} sentence(s) that occur in the {len(counts.excluded_task_sentences)} "
          f"task file(s) given with --exclude")
    print(f"wrote {args.out}/train/ (shards), {args.out}/heldout.txt, {args.out}/corpus.json")
    return 0


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("corpus", help="build a pretraining corpus from raw text",
                                   description=__doc__)
    commands = parser.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)
    build = commands.add_parser(
        "build", help="split, PTB-tokenize and decontaminate raw text into shards + a held-out file",
        description="Sources: plain text files, folders of one-document-per-file text (e.g. IMDb reviews), "
                    "WikiExtractor output (<doc> ... </doc>) and SGML newswire (Reuters-21578 .sgm, <BODY>). "
                    "Every sentence that also occurs in an --exclude task file is dropped (and counted).")
    build.add_argument("sources", nargs="+", metavar="SOURCE", help="a file or a directory (walked recursively)")
    build.add_argument("--out", required=True, help="output directory (train/ shards, heldout.txt, corpus.json)")
    build.add_argument("--exclude", nargs="+", metavar="TASKFILE", default=None,
                       help="dev/test files to decontaminate against: CoNLL columns, bracketed trees or "
                            "one sentence a line (.gz allowed)")
    build.add_argument("--heldout-docs", type=int, default=500, metavar="N",
                       help="whole documents kept out of training for perplexity (default 500)")
    build.add_argument("--shards", type=int, default=16, help="number of training shard files (default 16)")
    build.add_argument("--overwrite", action="store_true", help="replace a non-empty --out directory")
    build.set_defaults(func=run_build)
    return parser

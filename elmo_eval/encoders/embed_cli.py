"""``elmo-eval embed``: precompute a layer cache for a file of sentences.

Registered by the top-level CLI through :func:`register`.
"""
from __future__ import annotations

import argparse
from pathlib import Path


def read_sentences(path: Path) -> list[list[str]]:
    """One sentence per line, tokens separated by whitespace; blank lines are skipped."""
    try:
        with open(path, encoding="utf-8") as handle:
            return [line.split() for line in handle if line.strip()]
    except UnicodeDecodeError as error:
        raise SystemExit(f"{path}: not UTF-8 text ({error})") from error
    except OSError as error:
        raise SystemExit(f"cannot read {path}: {error}") from error


def run_embed(args: argparse.Namespace) -> int:
    import torch

    from ..cache import LayerCache
    from .bilm import ElmoBiLM

    if args.threads:
        torch.set_num_threads(args.threads)
    sentences = read_sentences(Path(args.input))
    bilm = ElmoBiLM.from_official(args.options, args.weights)
    cache = LayerCache.build(args.output, bilm, sentences, dtype=args.dtype, batch_size=args.batch_size,
                             progress=True)
    print(f"{args.output}: {len(cache)} sentences, {cache.num_layers} layers x {cache.dim} dims "
          f"({cache.dtype}), encoder {cache.fingerprint[:12]}")
    cache.close()
    return 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``embed`` subcommand; its handler is ``args.func(args) -> int``."""
    parser = subparsers.add_parser(
        "embed", help="compute the biLM layers of every sentence once and store them in an HDF5 cache",
        description="Run a frozen ELMo biLM over sentences (one per line, whitespace-tokenised) and store "
                    "all layers in a layer cache. Resumable: re-running continues an interrupted build.")
    parser.add_argument("--options", required=True, help="options.json of the biLM")
    parser.add_argument("--weights", required=True, help="weights.hdf5 of the biLM (bilm-tf layout)")
    parser.add_argument("--input", required=True, help="text file, one tokenised sentence per line")
    parser.add_argument("--output", required=True, help="cache file to create or extend (.h5)")
    parser.add_argument("--dtype", choices=["float16", "float32"], default="float16")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.set_defaults(func=run_embed)
    return parser

"""``elmo-eval probe``: the intrinsic probes of the paper's section 5.3 (Tables 4-6) per layer.

The encoder is chosen as ``elmo-eval reproduce`` chooses it: no flags = the
embedded default (the generated world and its tiny biLM, both cached);
``--bilm DIR`` or ``--options/--weights`` = a biLM's files.  The word-only row
uses ``--glove`` vectors, else the world's PPMI+SVD vectors where the probe data
is the world's.  The data is the world's ``probes/`` folder unless ``--data``
names a CoNLL-2003 or CoNLL-2012 folder.  Heavy imports happen in :func:`run`.
"""
from __future__ import annotations

import argparse
import shlex
import sys

from elmo_eval.threads import add_threads_argument, apply_threads

DEFAULT_PROBES = ("wsd", "pos", "nn")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "probe",
        help="per-layer probes of an encoder: WSD by nearest sense, linear POS tagging, nearest neighbours",
        description="Word sense disambiguation by nearest sense centroid (paper Table 5), POS tagging with a "
        "linear classifier per frozen layer (Table 6) and nearest neighbours (Table 4), for every layer of an "
        "encoder and its word-only vectors. Without --bilm/--options/--weights: the generated world and its "
        "tiny biLM (both cached). Writes a JSON result file and Markdown tables under --out.",
    )
    parser.add_argument("--probe", nargs="+", choices=DEFAULT_PROBES, metavar="PROBE",
                        help="wsd, pos and/or nn (default: all three; wsd only where the data has senses)")
    parser.add_argument("--bilm", help="a folder written by `elmo-eval pretrain` (options.json + weights.hdf5)")
    parser.add_argument("--options", help="biLM options.json (official AllenNLP format)")
    parser.add_argument("--weights", help="biLM weights.hdf5 (official AllenNLP format)")
    parser.add_argument("--encoder-name", help="the encoder's name in the result file")
    parser.add_argument("--glove", help="GloVe-format vectors for the word-only row")
    parser.add_argument("--data", help="probe data: a world folder, a CoNLL-2003 folder or a CoNLL-2012 folder "
                                       "(default: the generated world's probes/)")
    parser.add_argument("--data-format", choices=["world", "conll2003", "conll2012"],
                        help="format of --data (default: detected)")
    parser.add_argument("--max-sentences", type=int, help="use only the first N sentences of each split")
    parser.add_argument("--out", default="results/probes", help="folder of the result files (default %(default)s)")
    parser.add_argument("--cache-dir", help="world, biLM and layer caches (default $ELMO_EVAL_CACHE or "
                                            "~/.cache/elmo-eval)")
    parser.add_argument("--world-size", choices=["tiny", "small", "default", "large"], default="small")
    parser.add_argument("--world-seed", type=int, default=0)
    parser.add_argument("--pos-epochs", type=int, help="epochs of the linear POS classifiers (default 5)")
    parser.add_argument("--pos-lr", type=float, help="their Adam learning rate (default 0.003)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the POS classifiers")
    parser.add_argument("--nn-word", action="append", metavar="WORD",
                        help="query word of the nearest-neighbour table (repeatable; default: picked)")
    parser.add_argument("--no-progress", action="store_true")
    add_threads_argument(parser)
    parser.set_defaults(func=run)


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces this run (flags that differ from their defaults)."""
    defaults = {"out": "results/probes", "world_size": "small", "world_seed": 0, "seed": 0}
    parts = ["elmo-eval", "probe"]
    for key, value in sorted(vars(args).items()):
        if key in ("func", "command", "verbose") or value in (None, False) or defaults.get(key) == value:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            parts.append(flag)
        elif isinstance(value, list):
            parts += ([flag, *map(str, value)] if key == "probe" else [x for v in value for x in (flag, str(v))])
        else:
            parts += [flag, str(value)]
    return shlex.join(parts)


def _fail(message: str) -> int:
    print(f"elmo-eval probe: error: {message}", file=sys.stderr)
    return 2


def resolve_encoder(args: argparse.Namespace, cache_dir, progress: bool):
    """(encoder, vectors, encoder id, description, world dir or None) from the command's flags.

    This is the one place that turns flags into an encoder: a general ``--encoder SPEC`` plugs in here.
    """
    from pathlib import Path

    from elmo_eval.runner.encoders import default_world_setup, load_official, prepare_world, world_vectors
    from elmo_eval.word_vectors import PretrainedVectors

    vectors = PretrainedVectors.from_file(args.glove) if args.glove else None
    options, weights = args.options, args.weights
    if args.bilm:
        options, weights = Path(args.bilm) / "options.json", Path(args.bilm) / "weights.hdf5"
    if options is None and weights is None:
        setup = default_world_setup(cache_dir, args.world_size, args.world_seed, "tiny", progress)
        return (setup.encoder, vectors or setup.vectors, args.encoder_name or setup.encoder_id,
                setup.description, setup.world_dir)
    if options is None or weights is None:
        raise ValueError("--options and --weights go together")
    for path in (options, weights):
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path} does not exist")
    encoder = load_official(options, weights)
    name = args.encoder_name or (Path(args.bilm).name if args.bilm else Path(weights).stem)
    description = {"kind": "biLM files", "options": str(options), "weights": str(weights)}
    world_dir = None
    if args.data is None:   # the world's probes: its corpus vectors are the word-only row
        world_dir, _ = prepare_world(cache_dir, args.world_size, args.world_seed)
        vectors = vectors or world_vectors(world_dir, args.world_seed)
    return encoder, vectors, name, description, world_dir


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import torch

    from elmo_eval.probes.data import ProbeDataError, load_probe_data
    from elmo_eval.probes.run import ProbeUsageError, check_probes, run_probes
    from elmo_eval.runner.encoders import default_cache_dir

    if args.max_sentences is not None and args.max_sentences < 1:
        return _fail("--max-sentences must be >= 1")
    progress = not args.no_progress
    cache_dir = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    try:
        data = load_probe_data(args.data, args.data_format, args.max_sentences) if args.data else None
        if data is not None:
            check_probes(args.probe, data)   # before any encoder is loaded or pretrained
        encoder, vectors, name, description, world_dir = resolve_encoder(args, cache_dir, progress)
        if data is None:
            data = load_probe_data(world_dir, "world", args.max_sentences)
        probes = list(args.probe or [p for p in DEFAULT_PROBES if p != "wsd" or data.has_wsd])
        torch.manual_seed(args.seed)
        print(f"probes: torch threads {apply_threads(args.threads)}", file=sys.stderr, flush=True)
        result = run_probes(encoder, vectors, data, probes, out_dir=args.out, cache_dir=cache_dir,
                            encoder_id=name, encoder_description=description,
                            pos_options={"epochs": args.pos_epochs, "lr": args.pos_lr, "seed": args.seed},
                            nn_words=args.nn_word, progress=progress, command=_command(args))
    except (ProbeDataError, ProbeUsageError, FileNotFoundError, ValueError) as error:
        return _fail(str(error).splitlines()[0])
    from elmo_eval.probes.tables import probe_markdown

    print(probe_markdown(result))
    print("written: " + ", ".join(result["_files"]), file=sys.stderr)
    return 0

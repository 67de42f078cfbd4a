"""``elmo-eval reproduce`` and ``elmo-eval report``."""

from __future__ import annotations

import argparse
import json

from elmo_eval.runner.layer_mode import DEFAULT_DISK_SHARE, LAYER_MODES
from elmo_eval.runner.presets import PRESETS


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


def _data_roots(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        task, sep, path = pair.partition("=")
        if not sep:
            raise SystemExit(f"--data expects TASK=PATH, got {pair!r}")
        out[task] = path
    return out


def run_reproduce(args: argparse.Namespace) -> int:
    from elmo_eval.runner.api import reproduce

    roots = _data_roots(args.data)
    trainer = {
        "accelerator": args.accelerator,
        "devices": args.devices,
        "num_nodes": args.num_nodes,
        "strategy": args.strategy,
    }
    if not args.world and (args.options or args.weights or args.bilm):
        # a real biLM: real data where there is some (--data, fetched assets, copies registered by
        # `elmo-eval data check`); the embedded default always runs on its own world
        from elmo_eval.runner.data import resolve_real_data
        from elmo_eval.specs import available_specs, load_spec

        specs = [load_spec(name) for name in (args.tasks or available_specs())]
        roots = resolve_real_data(specs, roots, args.data_dir)
    summary = reproduce(
        args.profile,
        out_dir=args.out,
        cache_dir=args.cache_dir,
        tasks=args.tasks,
        tables=args.tables,
        seeds=args.seeds,
        hp_profile=args.hp_profile,
        options=args.options,
        weights=args.weights,
        bilm_dir=args.bilm,
        encoder_name=args.encoder_name,
        glove=args.glove,
        data_roots=roots,
        world_seed=args.world_seed,
        world_size=args.world_size,
        shard_spec=args.shard,
        dry_run=args.dry_run,
        trainer_options=trainer,
        progress=not args.no_progress,
        report=not args.no_report,
        significance_samples=args.significance_samples,
        layers=args.layers,
        cache_disk_share=args.cache_disk_share,
    )
    if not args.dry_run:
        print(json.dumps(summary, indent=1))
    return 0


def run_report(args: argparse.Namespace) -> int:
    from elmo_eval.runner.report import build_report

    page = build_report(args.results, samples=args.significance_samples)
    print(f"report written: {page}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    rep = subparsers.add_parser(
        "reproduce",
        help="run the paper's comparisons and write the leaderboard report",
        description="Plan task x representation x placement x fraction x seed, compute each layer cache once, "
        "train every run not yet finished (resumable), and write tables and figures. Without "
        "--options/--weights/--bilm it runs on the embedded default: a generated world and a tiny "
        "biLM pretrained on its corpus (both cached).",
    )
    rep.add_argument(
        "--profile",
        choices=sorted(PRESETS),
        default="default",
        help="default: Tables 1-2 + topic, 1 seed, CPU minutes; full: 3 seeds, every table and "
        "figure; paper: real data and paper-size heads",
    )
    rep.add_argument("--out", help="results folder (default results/<profile>)")
    rep.add_argument(
        "--cache-dir", help="world, biLM, layer caches, work files (default $ELMO_EVAL_CACHE or ~/.cache/elmo-eval)"
    )
    rep.add_argument("--tasks", nargs="+", help="task specs to run (default: every tasks/*.toml)")
    rep.add_argument(
        "--tables", nargs="+", choices=["table1", "table2", "table3", "figure1", "ablations", "topic", "variants"]
    )
    rep.add_argument("--seeds", type=int, help="number of seeds (0..N-1)")
    rep.add_argument("--hp-profile", help="override the task hyperparameter profile (tiny | paper)")
    rep.add_argument("--options", help="biLM options.json (official AllenNLP format)")
    rep.add_argument("--weights", help="biLM weights.hdf5 (official AllenNLP format)")
    rep.add_argument("--bilm", help="a folder written by `elmo-eval pretrain` (options.json + weights.hdf5)")
    rep.add_argument("--encoder-name", help="its name in the leaderboard")
    rep.add_argument(
        "--glove",
        help="GloVe-format word vectors for the baseline (default on the world: PPMI+SVD from the world's corpus)",
    )
    rep.add_argument("--data", action="append", metavar="TASK=PATH", help="data folder of a task (real data)")
    rep.add_argument("--data-dir", help="asset data directory (default $ELMO_EVAL_DATA or ~/.cache/elmo-eval)")
    rep.add_argument("--world", action="store_true",
                     help="use the generated world's data even where real data is fetched or registered")
    rep.add_argument("--world-seed", type=int, default=0)
    rep.add_argument(
        "--world-size",
        choices=["tiny", "small", "default", "large"],
        help="size of the generated world (default: the profile's)",
    )
    rep.add_argument("--shard", metavar="I/N", help="run every N-th planned run starting at I (cluster arrays)")
    rep.add_argument("--dry-run", action="store_true", help="print the plan and the caches it needs, run nothing")
    rep.add_argument("--accelerator", default="cpu")
    rep.add_argument("--devices", default=1, type=lambda v: v if v == "auto" else int(v))
    rep.add_argument("--num-nodes", type=int, default=1)
    rep.add_argument("--strategy", default="auto")
    rep.add_argument("--layers", choices=LAYER_MODES, default="auto",
                     help="ELMo layers from a float16 cache on disk (streamed), computed on the fly by the frozen "
                     "biLM in each training step, or auto: on the fly when a task's cache would take more than "
                     "--cache-disk-share of the free disk")
    rep.add_argument("--cache-disk-share", type=_share, default=DEFAULT_DISK_SHARE, metavar="F",
                     help=f"with --layers auto: largest share of free disk one layer cache may take "
                     f"(default {DEFAULT_DISK_SHARE})")
    rep.add_argument("--no-progress", action="store_true")
    rep.add_argument(
        "--no-report", action="store_true", help="run only; build the report later with `elmo-eval report`"
    )
    rep.add_argument("--significance-samples", type=int, default=10000)
    rep.set_defaults(func=run_reproduce)

    report = subparsers.add_parser(
        "report", help="rebuild a results folder's tables and figures from its result files alone"
    )
    report.add_argument("results", help="results folder (holds runs/)")
    report.add_argument("--significance-samples", type=int, default=10000)
    report.set_defaults(func=run_report)

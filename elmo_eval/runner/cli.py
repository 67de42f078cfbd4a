"""``elmo-eval reproduce`` and ``elmo-eval report``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from elmo_eval.errors import UsageError
from elmo_eval.runner import launch, parallel
from elmo_eval.runner.layer_mode import DEFAULT_DISK_SHARE, LAYER_MODES
from elmo_eval.runner.presets import PRESETS
from elmo_eval.threads import add_threads_argument, apply_threads

# the comparisons of elmo_eval.runner.comparisons.BOOK, spelt out so `--help` imports nothing (a test
# checks they agree)
TABLE_CHOICES = ["table1", "table1_char", "table2", "table3", "ablations", "figure1", "topic", "variants",
                 "probes"]


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


def _shard_value(value: str) -> str:
    """``--shard I/N`` checked when parsing (the plan takes the string)."""
    index, sep, count = value.partition("/")
    if not (sep and index.isdigit() and count.isdigit() and int(index) < int(count)):
        raise argparse.ArgumentTypeError(f"expected I/N with 0 <= I < N, got {value!r}")
    return value


def _jobs_value(value: str) -> int | str:
    """``--jobs N|auto`` checked when parsing."""
    try:
        return parallel.parse_jobs(value)
    except parallel.JobsError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--jobs ")) from None


def _data_value(value: str) -> tuple[str, str]:
    """``TASK=PATH``, or ``world`` (the tasks without real data run on the generated world)."""
    if value == "world":
        return "world", ""
    task, sep, path = value.partition("=")
    if not (sep and task and path):
        raise argparse.ArgumentTypeError(f"expected TASK=PATH or 'world', got {value!r}")
    return task, path


def _check_inputs(args: argparse.Namespace) -> None:
    """What can be wrong in the command line before anything heavy is imported: one-line errors."""
    from elmo_eval.specs import SpecError, load_spec

    if args.bilm and (args.options or args.weights):
        raise UsageError("give either --bilm or --options and --weights, not both")
    if bool(args.options) != bool(args.weights):
        raise UsageError("--options and --weights go together")
    if args.probe_max_sentences is not None and args.probe_max_sentences < 1:
        raise UsageError("--probe-max-sentences must be >= 1")
    for flag, path in (("--options", args.options), ("--weights", args.weights), ("--bilm", args.bilm),
                       ("--glove", args.glove), ("--probe-data", args.probe_data)):
        if path and not Path(path).exists():
            raise UsageError(f"{flag} {path}: no such file or directory")
    for name in args.tasks or []:
        try:
            load_spec(name)
        except SpecError as error:
            raise UsageError(str(error)) from None


def _usage_error(message: str) -> int:

    print(f"elmo-eval reproduce: error: {message}", file=sys.stderr)
    return 2


def run_reproduce(args: argparse.Namespace) -> int:
    _check_inputs(args)

    from elmo_eval.encoders.spec import EncoderSpecError, parse_encoder_spec
    from elmo_eval.runner.api import reproduce
    from elmo_eval.runner.execute import process_rank

    encoders = args.encoder or []
    try:
        for spec in encoders:
            parse_encoder_spec(spec)  # shape errors now, before any world or model is loaded
    except EncoderSpecError as error:
        return _usage_error(str(error))
    if encoders and (args.options or args.weights or args.bilm):
        return _usage_error("--encoder replaces --options/--weights/--bilm (elmo:OPTIONS,WEIGHTS or bilm:DIR)")
    if len(encoders) > 1 and args.encoder_name:
        return _usage_error("with several --encoder, name each one inside its spec (name=NAME)")
    pairs = dict(args.data or [])
    world_asked = pairs.pop("world", None) is not None
    roots = pairs
    trainer = {
        "accelerator": args.accelerator,
        "devices": args.devices,
        "num_nodes": args.num_nodes,
        "strategy": args.strategy,
    }
    if not args.world and (args.options or args.weights or args.bilm or encoders):
        # a real biLM: real data where there is some (--data, fetched assets, copies registered by
        # `elmo-eval data check`); the embedded default always runs on its own world
        from elmo_eval.runner.data import resolve_real_data
        from elmo_eval.specs import available_specs, load_spec

        specs = [load_spec(name) for name in (args.tasks or available_specs())]
        roots = resolve_real_data(specs, roots, args.data_dir)
    request = dict(
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
        use_world=True if (args.world or world_asked) else None,
        encoder_specs=encoders,
        layers=args.layers,
        cache_disk_share=args.cache_disk_share,
        probe_data=args.probe_data,
        probe_options={"max_sentences": args.probe_max_sentences} if args.probe_max_sentences else None,
    )
    launcher = pool = None
    try:
        if args.launcher:  # one array job, a task per run (runner/launch.py)
            if args.jobs not in (None, parallel.AUTO, 1):
                raise parallel.JobsError("--jobs runs processes here; with --launcher use --array-parallelism")
            request, launcher = launch.prepare(args.profile, request, args)
        elif not args.dry_run:  # several runs side by side in worker processes (runner/parallel.py)
            jobs, per_run = parallel.resolve_jobs(args.jobs or parallel.default_jobs(), args.threads, trainer)
            if jobs > 1:
                pool = parallel.LocalPool(args.profile, launch.plain_request(args.profile, request), jobs, per_run)
                request = pool.request
        if not args.dry_run:
            apply_threads(args.threads)
        summary = reproduce(args.profile, **request, launcher=launcher, pool=pool)
    except (launch.LaunchError, parallel.JobsError, EncoderSpecError) as error:
        return _usage_error(str(error))
    if not args.dry_run and process_rank() == 0:
        print(json.dumps(summary, indent=1))
    return 1 if summary.get("failed") else 0


def run_upgrade(args: argparse.Namespace) -> int:
    from elmo_eval.runner.upgrade import upgrade_results

    count = upgrade_results(args.results, args.world_version, args.trust_pickles)
    print(f"{count} runs converted under {args.results}; rebuild its report with `elmo-eval report {args.results}`")
    return 0


def run_report(args: argparse.Namespace) -> int:
    if not Path(args.results).is_dir():
        raise UsageError(f"{args.results}: no such results folder")

    from elmo_eval.runner.goals import load_goals, parse_goal, save_goals
    from elmo_eval.runner.report import build_report

    goals = None  # None: the folder's own goals.json
    if args.goal or args.clear_goals:
        goals = {} if args.clear_goals else load_goals(Path(args.results))
        goals.update(parse_goal(text) for text in args.goal or [])
    try:
        page = build_report(args.results, samples=args.significance_samples, goals=goals)
    except FileNotFoundError as error:  # a folder without result files
        raise UsageError(str(error)) from None
    if goals is not None:  # kept for later rebuilds once the report they shaped is written
        save_goals(Path(args.results), goals)
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
        "figure and the probes; paper: real data and paper-size heads",
    )
    rep.add_argument("--out", help="results folder (default results/<profile>)")
    rep.add_argument(
        "--cache-dir", help="world, biLM, layer caches, work files (default $ELMO_EVAL_CACHE or ~/.cache/elmo-eval)"
    )
    rep.add_argument("--tasks", nargs="+", help="task specs to run (default: every tasks/*.toml)")
    rep.add_argument(
        "--tables", nargs="+", choices=TABLE_CHOICES,
        help="comparisons to run (default: the profile's); probes = the per-layer probes of Tables 5-6, once "
        "per encoder after its runs (no training runs)"
    )
    rep.add_argument("--probe-data", metavar="DIR",
                     help="with the probes: a CoNLL-2003 or CoNLL-2012 folder to probe on (format detected as "
                     "`elmo-eval probe --data` does; default: the world's probe data for an encoder on the world, "
                     "none for one on real data)")
    rep.add_argument("--probe-max-sentences", type=int, metavar="N",
                     help="with the probes: the first N sentences of each split of the probe data")
    rep.add_argument("--seeds", type=int, help="number of seeds (0..N-1)")
    rep.add_argument("--hp-profile", help="override the task hyperparameter profile (tiny | paper)")
    rep.add_argument("--options", help="biLM options.json (official AllenNLP format)")
    rep.add_argument("--weights", help="biLM weights.hdf5 (official AllenNLP format)")
    rep.add_argument("--bilm", help="a folder written by `elmo-eval pretrain` (options.json + weights.hdf5)")
    rep.add_argument(
        "--encoder",
        action="append",
        metavar="SPEC",
        help="an encoder to evaluate (repeat for several, each run in turn into the same results folder): "
        "elmo:OPTIONS,WEIGHTS | bilm:DIR | hf:NAME_OR_PATH[,pieces=first|mean][,window=N][,stride=N] | "
        "python:MODULE:FACTORY[,key=value]; any of them ,name=NAME (see docs/encoders.md)",
    )
    rep.add_argument("--encoder-name", help="its name in the leaderboard")
    rep.add_argument(
        "--glove",
        help="GloVe-format word vectors for the baseline (default on the world: PPMI+SVD from the world's corpus)",
    )
    rep.add_argument("--data", action="append", type=_data_value, metavar="TASK=PATH",
                     help="data folder of a task (real data; the names `elmo-eval data check` accepts), or "
                     "'world': run the tasks that have no real data on the generated world. An encoder other than "
                     "the embedded default stops on a task without data unless told so")
    rep.add_argument("--data-dir", help="asset data directory (default $ELMO_EVAL_DATA or ~/.cache/elmo-eval)")
    rep.add_argument("--world", action="store_true",
                     help="use the generated world's data even where real data is fetched or registered")
    rep.add_argument("--world-seed", type=int, default=0)
    rep.add_argument(
        "--world-size",
        choices=["tiny", "small", "default", "large"],
        help="size of the generated world (default: the profile's)",
    )
    rep.add_argument("--shard", type=_shard_value, metavar="I/N",
                     help="run every N-th planned run starting at I (cluster arrays)")
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
    add_threads_argument(rep)
    rep.add_argument("--jobs", type=_jobs_value, metavar="N|auto",
                     help="train N runs at a time in worker processes on this machine, --threads torch threads "
                     "each (default $ELMO_EVAL_JOBS or auto: on the CPU, one run per --threads cores, "
                     "--threads 1 by default; on an accelerator one at a time)")
    rep.add_argument(
        "--no-report", action="store_true", help="run only; build the report later with `elmo-eval report`"
    )
    rep.add_argument("--significance-samples", type=int, default=10000)
    launch.add_arguments(rep)
    rep.set_defaults(func=run_reproduce)

    report = subparsers.add_parser(
        "report", help="rebuild a results folder's tables and figures from its result files alone"
    )
    report.add_argument("results", help="results folder (holds runs/)")
    report.add_argument("--significance-samples", type=int, default=10000)
    report.add_argument(
        "--goal", action="append", metavar="COMPARISON=GAIN",
        help="hold a gain comparison to a goal, e.g. table1_char=1.5: the table gets a column saying per task "
        "whether +ELMo beats its baseline by at least GAIN points with paired p < 0.05, or by how much it falls "
        "short; kept in the folder's goals.json for later rebuilds (repeatable)")
    report.add_argument("--clear-goals", action="store_true",
                        help="remove the folder's goals (before any --goal given with it)")
    report.set_defaults(func=run_report)

    upgrade = subparsers.add_parser(
        "upgrade-results", help="convert a results folder written before result files carried their setup",
        description="One-off: give each older run a spec snapshot, its data source and per-instance statistics "
        "(from its pickled predictions, then deleted), and drop machine paths. Unpickling runs code: only with "
        "--trust-pickles, on results you wrote yourself.")
    upgrade.add_argument("results", help="results folder (holds runs/)")
    upgrade.add_argument("--world-version", help="generator version of the world the runs used (e.g. 1.9)")
    upgrade.add_argument("--trust-pickles", action="store_true", help="allow reading the runs' pickled predictions")
    upgrade.set_defaults(func=run_upgrade)

"""``elmo-eval fetch`` and ``elmo-eval data {list,check}``.

Wired into the main CLI by ``register(subparsers)``; every sub-command sets ``func``,
which takes the parsed arguments and returns the process exit code.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from elmo_eval.readers.errors import DataFormatError

from ..errors import UsageError
from .archive import ArchiveError
from .catalogue import Asset, UnknownAssetError, default_catalogue, get_asset
from .check import CHECK_TASKS, SPLITS, NoUsableSplit, check_dataset, register_report
from .datadir import DATA_DIR_ENV, load_registry, resolve_data_dir
from .status import all_statuses

_DATA_DIR_HELP = f"data directory (default: ${DATA_DIR_ENV}, else ~/.cache/elmo-eval)"
_LICENSED_HELP = "see docs/data.md for where to obtain it"


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, help=_DATA_DIR_HELP)


def _parse_digests(given: list[str] | None) -> dict[str, str]:
    """``--sha256 FILE=HEX`` values as ``{FILE: HEX}``."""
    digests = {}
    for item in given or []:
        filename, equals, digest = item.partition("=")
        if not equals or not filename or not digest:
            raise UsageError(f"--sha256 {item!r}: expected FILE=HEX, e.g. --sha256 weights.hdf5=<64 hex digits>")
        digests[filename] = digest
    return digests


def run_fetch(args: argparse.Namespace) -> int:
    from .download import DownloadError, fetch

    catalogue = default_catalogue()
    names = list(catalogue) if args.names == ["all"] else args.names
    assets = []
    for name in names:
        try:
            assets.append(get_asset(name, catalogue))
        except UnknownAssetError as error:
            raise UsageError(str(error)) from None
    digests = _parse_digests(args.sha256)
    owned = {remote.filename for asset in assets for remote in asset.files}
    for filename in digests:
        if filename not in owned:
            raise UsageError(f"--sha256 {filename}=...: no file {filename!r} in {', '.join(names)} "
                             f"(their files: {', '.join(sorted(owned))})")
    for name, asset in zip(names, assets):
        mine = {f: d for f, d in digests.items() if f in {remote.filename for remote in asset.files}}
        try:
            path = fetch(name, args.data_dir, progress=not args.no_progress, catalogue=catalogue, force=args.force,
                         digests=mine)
        except (UnknownAssetError, DownloadError, ArchiveError, OSError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"{name}: {path}")
    return 0


def format_asset_table(data_dir: Path, catalogue: dict[str, Asset] | None = None) -> str:
    """What ``data list`` prints: every catalogue asset, then every licensed task and its registration."""
    catalogue = default_catalogue() if catalogue is None else catalogue
    lines = [f"data directory: {data_dir}", "",
             f"{'asset':<20} {'state':<10} {'checksum':<9} {'tasks':<24} path / note"]
    for status in all_statuses(data_dir, catalogue):
        asset = catalogue[status.name]
        where = status.detail or (str(status.path) if status.state != "absent"
                                  else f"elmo-eval fetch {status.name}")
        lines.append(f"{status.name:<20} {status.state:<10} {status.verification:<9} "
                     f"{','.join(asset.tasks):<24} {where}")
    lines += ["", f"{'checked data':<20} {'state':<10} {'counts':<9} {'splits':<24} path / note"]
    registry = load_registry(data_dir)
    for task in CHECK_TASKS.values():
        entry = registry.get(task.name)
        if entry is None:
            state, counts, splits = "absent", "-", "-"
            where = f"elmo-eval data check {task.name} PATH ({_LICENSED_HELP})"
        else:
            present = all(Path(p).exists() for p in (entry.get("splits") or {}).values()) \
                and Path(entry["path"]).exists()
            state = "registered" if present else "missing"
            counts = {True: "match", False: "differ", None: "n/a"}[entry.get("matches_published")]
            splits = ",".join(s for s in SPLITS if s in (entry.get("splits") or {})) or "-"
            where = entry["path"] if present else f"{entry['path']} (or a split) no longer exists; check it again"
        lines.append(f"{task.name:<20} {state:<10} {counts:<9} {splits:<24} {where}")
    return "\n".join(lines)


def run_data_list(args: argparse.Namespace) -> int:
    print(format_asset_table(resolve_data_dir(args.data_dir)))
    return 0


def run_data_check(args: argparse.Namespace) -> int:
    try:
        report = check_dataset(args.task, args.path, split=args.split)
    except (KeyError, DataFormatError, FileNotFoundError, NoUsableSplit) as error:
        message = error.args[0] if isinstance(error, KeyError) else error
        print(f"error: {message}", file=sys.stderr)
        return 2
    print(f"{report.task}: {report.fmt.dataset} at {report.path}")
    print(report.table())
    for note in report.notes:
        print(f"note: {note}")
    task = CHECK_TASKS[report.task]
    print("found: " + ", ".join(f"{split} ({path})" for split, path in report.split_paths.items()))
    for difference in report.mismatches():
        print(f"warning: {difference} (counts differ from the published release)", file=sys.stderr)
    if args.strict and report.comparable and report.mismatches():
        print("not registered (--strict and the counts differ from the published ones)", file=sys.stderr)
        return 1
    try:
        registration = register_report(report, args.data_dir, replace=args.replace)
    except ValueError as error:  # an unreadable registry: say so, change nothing
        print(f"error: {error}", file=sys.stderr)
        return 2
    for split, path in registration.kept.items():
        print(f"kept from the earlier registration: {split} ({path})")
    for split, path in registration.replaced.items():
        print(f"replaced the earlier registration of {split} ({path})")
    for split, path in registration.dropped.items():
        why = "--replace" if args.replace else "it was of another format"
        print(f"warning: dropped the earlier registration of {split} ({path}): {why}", file=sys.stderr)
    registered = registration.entry["splits"]
    missing = [split for split in SPLITS if split not in registered]
    for split in missing:
        if split in task.optional:
            print(f"note: no {split} split: {task.optional[split]}")
        else:
            print(f"warning: no {split} split registered (expected {report.fmt.expected(split)}); training "
                  f"needs it: check it with `elmo-eval data check {report.task} PATH`", file=sys.stderr)
    if not report.comparable:
        verdict = "no published sizes to compare with"
    elif report.mismatches():
        verdict = "counts differ from the published release"
    else:
        checked = ", ".join(s for s in report.counts if s in report.published)
        verdict = f"counts match the published release ({checked})"
    print(f"registered {report.task} {', '.join(registered)} in {registration.registry} "
          f"({verdict})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``fetch`` and ``data`` (``list``, ``check``) to the main parser's sub-commands."""
    names = ", ".join(default_catalogue())
    fetch_parser = subparsers.add_parser(
        "fetch", help="download, verify and install public assets (ELMo weights, datasets, GloVe)",
        description=f"Download, verify and install assets. Known: {names}; 'all' fetches every one.")
    fetch_parser.add_argument("names", nargs="+", metavar="name", help="asset name(s) or alias(es), or 'all'")
    _add_data_dir(fetch_parser)
    fetch_parser.add_argument("--force", action="store_true", help="download again even if installed")
    fetch_parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    fetch_parser.add_argument("--sha256", action="append", metavar="FILE=HEX",
                              help="the SHA-256 a file must have (repeatable), for a file the catalogue pins no "
                                   "digest for; needed to install a file whose server sends no length")
    fetch_parser.set_defaults(func=run_fetch)

    data_parser = subparsers.add_parser("data", help="list installed data; check and register licensed data")
    data_commands = data_parser.add_subparsers(dest="data_command", required=True)
    list_parser = data_commands.add_parser("list", help="every asset: present or not, verified or not, where")
    _add_data_dir(list_parser)
    list_parser.set_defaults(func=run_data_list)
    check_parser = data_commands.add_parser(
        "check", help="validate a task's data (ner, sst, snli, squad, srl, coref, topic) and register it",
        description="Find the train/dev/test splits of a dataset copy, count them with the readers training "
                    "uses, compare with the published sizes and register them in the data directory (merged "
                    "with an earlier registration of the task: other splits are kept). " + _LICENSED_HELP)
    check_parser.add_argument("task", help="ner (CoNLL-2003), sst, snli, squad, srl (CoNLL-2012 or CoNLL-2005), "
                              "coref (CoNLL-2012), topic (AG News), or an alias")
    check_parser.add_argument("path", type=Path, help="the dataset's folder, one split's folder, or one split file")
    check_parser.add_argument("--split", choices=SPLITS, default=None,
                              help="the split PATH is, when its name does not say (e.g. a renamed file)")
    check_parser.add_argument("--replace", action="store_true",
                              help="drop the task's earlier registered splits that this check does not find")
    _add_data_dir(check_parser)
    check_parser.add_argument("--strict", action="store_true",
                              help="refuse to register unless every published count matches")
    check_parser.set_defaults(func=run_data_check)

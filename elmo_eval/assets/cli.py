"""``elmo-eval fetch`` and ``elmo-eval data {list,check}``.

Wired into the main CLI by ``register(subparsers)``; every sub-command sets ``func``,
which takes the parsed arguments and returns the process exit code.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError
from .archive import ArchiveError
from .catalogue import Asset, UnknownAssetError, default_catalogue, get_asset
from .check import LICENSED_TASKS, DataFormatError, check_dataset, register_report
from .datadir import DATA_DIR_ENV, load_registry, resolve_data_dir
from .status import all_statuses

_DATA_DIR_HELP = f"data directory (default: ${DATA_DIR_ENV}, else ~/.cache/elmo-eval)"
_LICENSED_HELP = "see docs/data.md for where to obtain it"


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, help=_DATA_DIR_HELP)


def run_fetch(args: argparse.Namespace) -> int:
    from .download import DownloadError, fetch

    catalogue = default_catalogue()
    names = list(catalogue) if args.names == ["all"] else args.names
    for name in names:
        try:
            get_asset(name, catalogue)
        except UnknownAssetError as error:
            raise UsageError(str(error)) from None
    for name in names:
        try:
            path = fetch(name, args.data_dir, progress=not args.no_progress, catalogue=catalogue, force=args.force)
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
    lines += ["", f"{'licensed task':<20} {'state':<10} {'counts':<9} {'dataset':<24} path / note"]
    registry = load_registry(data_dir)
    for task in LICENSED_TASKS.values():
        entry = registry.get(task.name)
        if entry is None:
            state, counts, where = "absent", "-", f"elmo-eval data check {task.name} PATH ({_LICENSED_HELP})"
        else:
            present = Path(entry["path"]).exists()
            state = "registered" if present else "missing"
            counts = {True: "match", False: "differ", None: "n/a"}[entry.get("matches_published")]
            where = entry["path"] if present else f"{entry['path']} no longer exists; check it again"
        lines.append(f"{task.name:<20} {state:<10} {counts:<9} {task.dataset[:24]:<24} {where}")
    return "\n".join(lines)


def run_data_list(args: argparse.Namespace) -> int:
    print(format_asset_table(resolve_data_dir(args.data_dir)))
    return 0


def run_data_check(args: argparse.Namespace) -> int:
    try:
        report = check_dataset(args.task, args.path)
    except (KeyError, DataFormatError, FileNotFoundError) as error:
        message = error.args[0] if isinstance(error, KeyError) else error
        print(f"error: {message}", file=sys.stderr)
        return 2
    print(f"{report.task}: {report.path}")
    print(report.table())
    mismatches = report.mismatches()
    for difference in mismatches:
        print(f"warning: {difference}", file=sys.stderr)
    missing_splits = [split for split in report.published if split not in report.counts]
    if missing_splits:
        print(f"warning: no {', '.join(missing_splits)} split found", file=sys.stderr)
    if args.strict and report.comparable and not report.complete:
        print("not registered (--strict and the counts differ from the published ones)", file=sys.stderr)
        return 1
    registry = register_report(report, args.data_dir)
    if not report.comparable:
        verdict = "no published split sizes to compare with"
    else:
        verdict = "matches the published split sizes" if report.complete else \
            "differs from the published split sizes"
    print(f"registered in {registry} ({verdict})")
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
    fetch_parser.set_defaults(func=run_fetch)

    data_parser = subparsers.add_parser("data", help="list installed data; check and register licensed data")
    data_commands = data_parser.add_subparsers(dest="data_command", required=True)
    list_parser = data_commands.add_parser("list", help="every asset: present or not, verified or not, where")
    _add_data_dir(list_parser)
    list_parser.set_defaults(func=run_data_list)
    check_parser = data_commands.add_parser(
        "check", help="validate a licensed dataset (ner, srl, coref) and register it",
        description="Count documents/sentences per split of a user-supplied dataset, compare with the "
                    "published sizes and register it in the data directory. " + _LICENSED_HELP)
    check_parser.add_argument("task", help="ner (CoNLL-2003), srl or coref (CoNLL-2012), or an alias")
    check_parser.add_argument("path", type=Path, help="the dataset's directory (or one file)")
    _add_data_dir(check_parser)
    check_parser.add_argument("--strict", action="store_true",
                              help="refuse to register unless every published count matches")
    check_parser.set_defaults(func=run_data_check)

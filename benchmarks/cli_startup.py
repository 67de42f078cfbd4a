"""Command-line start-up: wall time of the commands that should answer at once.

Run: ``python benchmarks/cli_startup.py [--repeats N]`` from the repository root. Writes
``results/benchmarks/cli_startup.json``.

Each command line runs as a fresh ``python -m elmo_eval ...`` process (what a user waits for,
interpreter start-up included), ``--repeats`` times; the JSON holds every time, the median
and the maximum per command, and ``python -c pass`` as the floor. The target is under 1.5 s
each; the check that no heavy library is imported on the way is tests/test_cli.py.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.5


def command_lines(data_dir: str, results_dir: str) -> dict[str, list[str]]:
    sys.path.insert(0, str(PROJECT_ROOT))
    from elmo_eval.cli import build_parser

    subcommands = sorted(build_parser()._subparsers._group_actions[0].choices)
    lines = {"--help": ["--help"]}
    lines.update({f"{name} --help": [name, "--help"] for name in subcommands})
    lines["data list"] = ["data", "list", "--data-dir", data_dir]
    # usage errors: one caught by argparse, then ones the commands check before importing anything heavy
    lines["usage error: reproduce --shard 3/2"] = ["reproduce", "--shard", "3/2"]
    lines["usage error: reproduce --tasks no-such-task"] = ["reproduce", "--tasks", "no-such-task"]
    lines["usage error: report (no results folder)"] = ["report", results_dir]
    lines["usage error: srl-eval (missing files)"] = ["srl-eval", "no-gold.props", "no-pred.props"]
    return lines


def time_once(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *argv], capture_output=True, env=env, cwd=PROJECT_ROOT)
    return time.perf_counter() - started, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=str(PROJECT_ROOT / "results" / "benchmarks" / "cli_startup.json"))
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    with tempfile.TemporaryDirectory() as scratch:
        lines = command_lines(str(Path(scratch) / "data"), str(Path(scratch) / "no-results"))
        floor = [time_once(["-c", "pass"], env)[0] for _ in range(args.repeats)]
        rows = {}
        # interleave the repeats so a burst of load on a shared machine hits every command alike
        times: dict[str, list[float]] = {name: [] for name in lines}
        codes: dict[str, set[int]] = {name: set() for name in lines}
        for _ in range(args.repeats):
            for name, argv in lines.items():
                seconds, code = time_once(["-m", "elmo_eval", *argv], env)
                times[name].append(seconds)
                codes[name].add(code)
    for name in lines:
        # the scratch folder is this run's: record it as SCRATCH, not as a machine path
        rows[name] = {"argv": [a.replace(scratch, "SCRATCH") for a in lines[name]],
                      "exit_codes": sorted(codes[name]),
                      "seconds": [round(t, 3) for t in times[name]],
                      "median_s": round(statistics.median(times[name]), 3), "max_s": round(max(times[name]), 3)}
    worst = max(row["median_s"] for row in rows.values())
    record = {
        "benchmark": "cli_startup",
        "command": f"python benchmarks/cli_startup.py --repeats {args.repeats}",
        "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
        "python_c_pass_median_s": round(statistics.median(floor), 3),
        "target_s": TARGET_S, "worst_median_s": worst, "all_medians_under_target": worst < TARGET_S,
        "commands": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    width = max(map(len, rows))
    for name, row in rows.items():
        print(f"{name:<{width}}  median {row['median_s']:.2f} s  max {row['max_s']:.2f} s  exit {row['exit_codes']}")
    print(f"python -c pass: {record['python_c_pass_median_s']:.2f} s; worst median {worst:.2f} s "
          f"(target < {TARGET_S} s); written {out}")


if __name__ == "__main__":
    main()

"""The command line answers help, listing and usage errors without importing the heavy libraries,
and a usage error is one line on stderr with exit status 2 (no traceback).

Nothing here is timed (the wall times are measured by benchmarks/cli_startup.py); what makes
the command line slow is importing torch and friends, and that is what these tests check.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from elmo_eval.cli import build_parser, main
from elmo_eval.readers.errors import DataFormatError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "pytorch_lightning", "lightning", "lightning_fabric", "scipy", "matplotlib", "pandas", "h5py",
         "sklearn")

# Runs in a fresh interpreter (this one has torch imported already): every listed command line
# through main(), then which heavy top-level modules got imported.
_PROBE = """
import contextlib, io, json, sys
from elmo_eval.cli import build_parser, main
commands = sorted(build_parser()._subparsers._group_actions[0].choices)
argvs = [["--help"], *[[name, "--help"] for name in commands], ["data", "list", "--data-dir", sys.argv[1]],
         ["data", "check", "--help"], ["data", "list", "--help"]]
codes = {}
for argv in argvs:
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            codes[" ".join(argv)] = main(argv)
        except SystemExit as stop:
            codes[" ".join(argv)] = stop.code
heavy = sorted(name for name in sys.modules if name.split(".")[0] in set(sys.argv[2].split(",")))
print(json.dumps({"commands": commands, "codes": codes, "heavy": heavy}))
"""


def _run_python(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=120,
                          cwd=cwd)


def test_help_and_data_list_import_no_heavy_library(tmp_path):
    done = _run_python("-c", _PROBE, str(tmp_path), ",".join(HEAVY))
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout)
    assert {"reproduce", "report", "world", "pretrain", "fetch", "data", "embed", "srl-eval",
            "coref-score"} <= set(probe["commands"])
    assert set(probe["codes"].values()) == {0}, probe["codes"]
    assert probe["heavy"] == [], f"imported while answering help / data list: {probe['heavy'][:10]}"


@pytest.mark.parametrize("argv, expected", [
    (["reproduce", "--tasks", "no-such-task"], "no-such-task"),
    (["reproduce", "--options", "x.json"], "--options and --weights go together"),
    (["reproduce", "--bilm", "no/such/folder"], "--bilm no/such/folder: no such file or directory"),
    (["report", "no/such/results"], "no/such/results: no such results folder"),
    (["srl-eval", "no-gold.props", "no-pred.props"], "no-gold.props"),
    (["coref-score", "no-key.conll", "no-response.conll"], "no-key.conll"),
    (["embed", "--options", "o.json", "--weights", "w.hdf5", "--input", "in.txt", "--output", "c.h5"],
     "o.json"),
    (["fetch", "no-such-asset"], "unknown asset 'no-such-asset'"),
])
def test_usage_error_is_one_line_and_exit_2(argv, expected, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"elmo-eval {argv[0]}: error: ") and expected in err, err
    assert "Traceback" not in err


def test_usage_error_names_the_malformed_file(tmp_path, capsys):
    gold = tmp_path / "gold.props"
    gold.write_text("-\t(A0*\neat\t(V*)\n\n")
    pred = tmp_path / "pred.props"
    pred.write_text("")
    assert main(["srl-eval", str(gold), str(pred)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pred.props" in err, err


@pytest.mark.parametrize("argv", [["reproduce", "--shard", "3/2"], ["reproduce", "--shard", "x"],
                                  ["reproduce", "--data", "no-equals-sign"], ["no-such-command"]])
def test_malformed_command_line_exits_2_before_running(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith("elmo-eval")


def test_module_entry_point_exit_status(tmp_path):
    """``python -m elmo_eval`` passes main()'s status to the shell; stderr holds one line, no traceback."""
    done = _run_python("-m", "elmo_eval", "report", str(tmp_path / "absent"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "absent: no such results folder" in done.stderr, done.stderr


def test_shard_value_reaches_the_plan_unchanged():
    args = build_parser().parse_args(["reproduce", "--shard", "1/4", "--data", "ner=/data/conll"])
    assert args.shard == "1/4" and args.data == [("ner", "/data/conll")]


@pytest.mark.parametrize("command", ["reproduce", "probe", "pretrain", "embed"])
def test_every_computing_command_takes_threads(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--threads", "0"])
    assert stop.value.code == 2
    assert "--threads: expected a whole number >= 1, got 0" in capsys.readouterr().err


def _raise(error):
    def func(*args, **kwargs):
        raise error
    return func


@pytest.mark.parametrize("error, expected", [
    (DataFormatError("data/train.txt", 2, "label '7' is not an integer 0-4"),
     "data/train.txt:2: label '7' is not an integer 0-4"),
    (PermissionError(13, "Permission denied", "out/cache.h5"), "out/cache.h5: Permission denied"),
    (IsADirectoryError(21, "Is a directory", "some/folder"), "some/folder: Is a directory"),
])
def test_the_error_boundary_prints_a_user_error_as_one_line(error, expected, monkeypatch, capsys, tmp_path):
    """Whatever command raises it, deep inside: a user error (or an OS error on a named file) is one line, exit 2;
    with --verbose the traceback is kept (for a bug report)."""
    import elmo_eval.runner.api as api

    monkeypatch.setattr(api, "reproduce", _raise(error))
    argv = ["reproduce", "--out", str(tmp_path / "r"), "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == f"elmo-eval reproduce: error: {expected}\n"
    with pytest.raises(type(error)):
        main(["--verbose", *argv])


def test_a_bug_keeps_its_traceback(monkeypatch, tmp_path):
    import elmo_eval.runner.api as api

    monkeypatch.setattr(api, "reproduce", _raise(ZeroDivisionError("a bug")))
    with pytest.raises(ZeroDivisionError):
        main(["reproduce", "--out", str(tmp_path / "r"), "--no-progress"])
    # an OS error with no file named is not the user's to fix either
    monkeypatch.setattr(api, "reproduce", _raise(OSError("device lost")))
    with pytest.raises(OSError):
        main(["reproduce", "--out", str(tmp_path / "r"), "--no-progress"])

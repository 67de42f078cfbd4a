"""``reproduce --launcher``: the plan as one array job through submitit.

The local launcher really runs the two runs of a tiny plan as two processes and builds the report; the
SLURM launcher is checked up to the submission (a stand-in ``sbatch`` records the script it is given)."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from test_runner_ddp import TINY_BILM

from elmo_eval.cli import main
from elmo_eval.encoders.bilm import ElmoBiLM
from elmo_eval.encoders.official_format import export_official
from elmo_eval.runner.launch import LaunchError, parse_time_limit

pytest.importorskip("submitit", reason="the launcher needs submitit (pip install 'elmo-eval[slurm]')")

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _command(root: Path, out: Path, *extra: str) -> list[str]:
    return ["reproduce", "--bilm", str(root / "bilm"), "--world", "--world-size", "tiny", "--tasks", "topic",
            "--tables", "table1", "--seeds", "1", "--hp-profile", "tiny", "--out", str(out),
            "--cache-dir", str(root / "cache"), "--no-progress", "--significance-samples", "20", *extra]


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    """One local launch of a 2-run plan (the baseline and the +ELMo run on topic)."""
    root = tmp_path_factory.mktemp("launch")
    export_official(ElmoBiLM.from_options(TINY_BILM, seed=0), root / "bilm")
    patch = pytest.MonkeyPatch()
    # the runs are child processes: they must import this checkout and stay on one thread each
    patch.setenv("PYTHONPATH", os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]))
    patch.setenv("OMP_NUM_THREADS", "1")
    code = main(_command(root, root / "results", "--launcher", "local", "--array-parallelism", "2",
                         "--cpus-per-task", "1"))
    patch.undo()
    return root, code


@pytest.mark.slow
def test_local_launcher_runs_each_planned_run_and_builds_the_report(launched, capsys) -> None:
    root, code = launched
    assert code == 0
    results = sorted((root / "results").glob("runs/*/topic/*/result.json"))
    assert len(results) == 2  # the baseline and the +ELMo run, one process each
    for path in results:
        assert json.loads(path.read_text())["metrics"]["test"]["accuracy"] > 0
    assert (root / "results" / "leaderboard.md").exists()
    assert not list((root / "results").rglob("*.pkl"))  # submitit's pickles stay in the cache
    logs = list((root / "cache" / "launch").glob("*/*/*_log.err"))
    assert len(logs) == 2 and all("topic" in log.read_text() for log in logs)


@pytest.fixture
def fake_slurm(tmp_path, monkeypatch):
    """``srun`` and an ``sbatch`` that keeps the script it is given and answers with job 4242."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = tmp_path / "submitted.sh"
    (bin_dir / "sbatch").write_text(f'#!/bin/sh\ncp "$1" {script}\necho "Submitted batch job 4242"\n')
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 1\n")
    for name in ("sbatch", "srun"):
        (bin_dir / name).chmod(stat.S_IRWXU)
    monkeypatch.setenv("PATH", os.pathsep.join([str(bin_dir), os.environ["PATH"]]))
    return script


@pytest.mark.slow
def test_slurm_launcher_submits_one_array_with_the_resources_asked(launched, fake_slurm, tmp_path,
                                                                   capsys) -> None:
    root, _ = launched
    out = tmp_path / "results"
    code = main(_command(root, out, "--launcher", "slurm", "--no-wait", "--accelerator", "gpu",
                         "--slurm-partition", "gpu-short", "--time-limit", "1:30:00", "--array-parallelism", "1",
                         "--cpus-per-task", "4", "--slurm-mem-gb", "16", "--slurm-option", "qos=high"))
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["job_id"] == "4242" and summary["submitted"] == 2
    assert summary["report_command"] == f"elmo-eval report {out}"
    sbatch = fake_slurm.read_text()
    for line in ("--array=0-1%1", "--partition=gpu-short", "--time=90", "--gpus-per-node=1",
                 "--cpus-per-task=4", "--mem=16GB", "--qos=high", "--ntasks-per-node=1"):
        assert f"#SBATCH {line}" in sbatch, line
    assert not (out / "runs").exists() and not (out / "leaderboard.md").exists()  # nothing ran, no report


@pytest.mark.slow
def test_finished_runs_are_not_submitted_again(launched, fake_slurm, capsys) -> None:
    root, _ = launched
    code = main(_command(root, root / "results", "--launcher", "slurm", "--no-wait", "--no-report"))
    assert code == 0
    assert json.loads(capsys.readouterr().out)["submitted"] == 0
    assert not fake_slurm.exists()  # sbatch was never called


@pytest.mark.parametrize("text, minutes", [("90", 90), ("1:30:00", 90), ("0:00:30", 1), ("2-00:00:00", 2880)])
def test_time_limit_forms(text: str, minutes: int) -> None:
    assert parse_time_limit(text) == minutes


@pytest.mark.parametrize("text", ["", "1h", "0", "1:30"])
def test_bad_time_limit_is_a_usage_error(text: str) -> None:
    with pytest.raises(LaunchError, match="--time-limit"):
        parse_time_limit(text)


@pytest.mark.parametrize("extra, message", [
    (["--launcher", "local", "--devices", "2"], "one process per run"),
    (["--launcher", "local", "--no-wait"], "--no-wait is for --launcher slurm"),
    (["--launcher", "local", "--slurm-partition", "gpu"], "--slurm-* options need --launcher slurm"),
    (["--launcher", "slurm", "--slurm-option", "qos"], "KEY=VALUE"),
    (["--launcher", "slurm", "--time-limit", "soon"], "--time-limit"),
])
def test_launcher_usage_errors_exit_2_with_one_line(extra, message, tmp_path, capsys) -> None:
    code = main(["reproduce", "--world-size", "tiny", "--tasks", "topic", "--out", str(tmp_path / "r"),
                 "--cache-dir", str(tmp_path / "cache"), *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "cache").exists()  # refused before anything was planned or built

"""``reproduce --jobs N``: a plan's runs trained side by side in worker processes (runner/parallel.py).

One small plan (topic and NER on the tiny world, baseline and +ELMo) is trained twice: in two worker
processes and in this process, one thread each; every run must give the same numbers both ways.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_runner_ddp import TINY_BILM

from elmo_eval.cli import main
from elmo_eval.encoders.bilm import ElmoBiLM
from elmo_eval.encoders.official_format import export_official
from elmo_eval.runner import parallel
from elmo_eval.runner.plan import PlannedRun
from elmo_eval.runner.stages import StageClock, record, stage


def _command(root: Path, out: Path, *extra: str) -> list[str]:
    return ["reproduce", "--bilm", str(root / "bilm"), "--world", "--world-size", "tiny", "--tasks", "topic", "ner",
            "--tables", "table1", "--seeds", "1", "--hp-profile", "tiny", "--out", str(out), "--threads", "1",
            "--cache-dir", str(root / "cache"), "--no-progress", "--significance-samples", "20", *extra]


def _scores(out: Path) -> dict[str, dict]:
    scores = {}
    for path in sorted(out.glob("runs/*/*/*/result.json")):
        record_ = json.loads(path.read_text())
        scores[f"{path.parent.parent.name}/{record_['run_id']}"] = (record_["metrics"], record_["dev_history"])
    return scores


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory):
    """The same 4-run plan with --jobs 2 and with --jobs 1."""
    root = tmp_path_factory.mktemp("jobs")
    export_official(ElmoBiLM.from_options(TINY_BILM, seed=0), root / "bilm")
    parallel_code = main(_command(root, root / "parallel", "--jobs", "2"))
    serial_code = main(_command(root, root / "serial", "--jobs", "1"))
    return root, parallel_code, serial_code


@pytest.mark.slow
def test_runs_in_worker_processes_equal_the_same_runs_in_process(both_ways, capsys) -> None:
    root, parallel_code, serial_code = both_ways
    assert parallel_code == 0 and serial_code == 0
    side_by_side, one_by_one = _scores(root / "parallel"), _scores(root / "serial")
    assert len(side_by_side) == 4 and side_by_side.keys() == one_by_one.keys()
    assert side_by_side == one_by_one  # same seed, same threads: the same numbers, epoch by epoch
    assert (root / "parallel" / "leaderboard.md").exists()
    timings = (root / "parallel" / "timings.md").read_text()
    assert "in 2 processes, 1 thread(s) each" in timings and "Runs trained side by side" in timings
    assert str(root) not in timings  # committed with the results: no machine paths
    logs = list((root / "cache" / "launch").glob("parallel-*/workers/worker-*.log"))
    assert 1 <= len(logs) <= 2 and any("== topic/" in log.read_text() for log in logs)
    assert any("  epoch 1/" in log.read_text() for log in logs)  # a worker's log says where its run is


@pytest.mark.slow
def test_a_second_call_reuses_every_finished_run_without_starting_workers(both_ways, capsys) -> None:
    root, _, _ = both_ways
    before = {p: p.stat().st_mtime_ns for p in (root / "parallel").glob("runs/*/*/*/result.json")}
    assert main(_command(root, root / "parallel", "--jobs", "2", "--no-report")) == 0
    err = capsys.readouterr().err
    assert err.count("done already, skipped") == 4 and "processes" not in err.split("time per stage")[0]
    assert before == {p: p.stat().st_mtime_ns for p in (root / "parallel").glob("runs/*/*/*/result.json")}


@pytest.mark.parametrize("extra, message", [
    (["--jobs", "0"], "--jobs"),
    (["--jobs", "many"], "--jobs"),
    (["--jobs", "2", "--devices", "2"], "one process per run"),
    (["--jobs", "2", "--launcher", "local"], "--array-parallelism"),
])
def test_jobs_usage_errors_exit_2_with_one_line(extra, message, tmp_path, capsys) -> None:
    (tmp_path / "bilm").mkdir()
    with pytest.raises(SystemExit) as exit_info:  # argparse's own errors exit here
        code = main(_command(tmp_path, tmp_path / "out", *extra))
        raise SystemExit(code)
    err = capsys.readouterr().err.strip()
    # the error is the last line (argparse's own errors print the usage above it)
    assert exit_info.value.code == 2 and message in err.splitlines()[-1] and "error" in err.splitlines()[-1]
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_auto_gives_one_run_per_core_on_the_cpu_and_one_on_an_accelerator(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "available_cores", lambda: 8)
    cpu = {"accelerator": "cpu", "devices": 1, "num_nodes": 1}
    assert parallel.resolve_jobs("auto", None, cpu) == (8, 1)
    assert parallel.resolve_jobs("auto", 2, cpu) == (4, 2)
    assert parallel.resolve_jobs("auto", 16, cpu) == (1, 16)
    assert parallel.resolve_jobs("auto", None, {**cpu, "accelerator": "gpu"}) == (1, 1)
    assert parallel.resolve_jobs("auto", None, {**cpu, "devices": 2}) == (1, 1)
    assert parallel.resolve_jobs(3, None, cpu) == (3, 1)


def test_the_environment_sets_the_default(monkeypatch) -> None:
    monkeypatch.setenv("ELMO_EVAL_JOBS", "3")
    assert parallel.default_jobs() == 3
    monkeypatch.setenv("ELMO_EVAL_JOBS", "auto")
    assert parallel.default_jobs() == "auto"
    monkeypatch.delenv("ELMO_EVAL_JOBS")
    assert parallel.default_jobs() == "auto"
    monkeypatch.setenv("ELMO_EVAL_JOBS", "-1")
    with pytest.raises(parallel.JobsError, match="ELMO_EVAL_JOBS"):
        parallel.default_jobs()


def _run(task: str, seed: int = 0, fraction: float = 1.0) -> PlannedRun:
    from elmo_eval.representations.config import RepresentationConfig

    return PlannedRun(task, RepresentationConfig(name="baseline", elmo=None), fraction, seed, "tiny")


def test_longest_first_orders_by_recorded_times_then_by_training_data(tmp_path, monkeypatch) -> None:
    out = tmp_path / "out"
    for task, seconds in (("coref", 300.0), ("ner", 40.0)):
        folder = out / "runs" / "baseline-x" / task / "old-run"
        folder.mkdir(parents=True)
        (folder / "result.json").write_text(json.dumps({"seconds": {"total": seconds}}))
    sizes = {"snli": 5_000, "sst": 9_000}
    monkeypatch.setattr(parallel, "_training_bytes", lambda spec, setup, roots: sizes[spec])
    runs = [_run("sst"), _run("ner"), _run("snli"), _run("coref", fraction=0.1), _run("coref")]
    monkeypatch.setattr("elmo_eval.runner.execute.run_owner", lambda setup, run: "baseline-x")
    ordered = parallel.longest_first(runs, {name: name for name in sizes}, None, {}, out)
    assert [(r.task, r.fraction) for r in ordered] == [("coref", 1.0), ("ner", 1.0), ("coref", 0.1),
                                                       ("sst", 1.0), ("snli", 1.0)]


def test_side_by_side_runs_are_listed_apart_and_not_added_to_the_total() -> None:
    with StageClock(announce=False) as clock:
        with stage("training 2 runs in 2 processes"):
            pass
        record("run a", 100.0, parallel=True)
        record("run b", 50.0, parallel=True)
    table = clock.table()
    assert "| run a | 100.0 |" in table and "2 runs, 150.0 s in all" in table
    total = float(table.split("**total** | **")[1].split("**")[0])
    assert total < 10  # the runs' own seconds overlap the pool's wall time; they are not summed into it


def test_a_failing_run_comes_back_as_plain_data_saying_whether_it_is_a_usage_error(tmp_path, capsys) -> None:
    """What a worker sends back when its run fails (an exception object might not survive pickling)."""
    request = {"out_dir": tmp_path / "out", "cache_dir": tmp_path / "cache", "tasks": ["topic"], "seeds": 1,
               "tables": ["table1"], "world_size": "tiny", "progress": False, "report": False,
               "bilm_dir": tmp_path / "missing-bilm", "use_world": True}
    outcome = parallel._train_one(("default", request, "topic/no-such-run"))
    assert outcome["ok"] is False and outcome["run"] == "topic/no-such-run"
    assert outcome["traceback"].startswith("Traceback") and outcome["message"]
    assert isinstance(outcome["usage"], bool)


def test_the_request_workers_get_keeps_a_registered_copys_format(tmp_path, monkeypatch) -> None:
    """A registered CoNLL-2005 copy is ``{split: path, "options": {"format": ...}}``: its paths are made
    absolute for the workers, its options passed as they are."""
    from elmo_eval.runner.launch import plain_request

    monkeypatch.chdir(tmp_path)
    request = plain_request("default", {"data_roots": {
        "srl": {"train": "release/train", "dev": "release/devel", "options": {"format": "conll2005"}},
        "ner": "conll2003"}})
    assert request["data_roots"]["srl"] == {"train": tmp_path / "release" / "train",
                                            "dev": tmp_path / "release" / "devel",
                                            "options": {"format": "conll2005"}}
    assert request["data_roots"]["ner"] == tmp_path / "conll2003"


@pytest.mark.slow
def test_several_encoders_each_get_their_own_runs_in_the_workers(tmp_path) -> None:
    for name, seed in (("a", 0), ("b", 1)):
        export_official(ElmoBiLM.from_options(TINY_BILM, seed=seed), tmp_path / name)
    out = tmp_path / "out"
    code = main(["reproduce", "--encoder", f"bilm:{tmp_path / 'a'},name=first", "--encoder",
                 f"bilm:{tmp_path / 'b'},name=second", "--world", "--world-size", "tiny", "--tasks", "topic",
                 "--tables", "table1", "--seeds", "1", "--hp-profile", "tiny", "--out", str(out), "--threads", "1",
                 "--cache-dir", str(tmp_path / "cache"), "--no-progress", "--significance-samples", "20",
                 "--jobs", "2", "--no-report"])
    assert code == 0
    owners = sorted(p.parent.parent.parent.name for p in out.glob("runs/*/topic/*/result.json"))
    assert owners[-2:] == ["first", "second"] and len(owners) == 3  # one shared baseline, one run per encoder


@pytest.mark.slow
def test_one_encoder_keeps_its_given_name_in_the_workers(tmp_path) -> None:
    export_official(ElmoBiLM.from_options(TINY_BILM, seed=0), tmp_path / "bilm")
    out = tmp_path / "out"
    code = main(["reproduce", "--encoder", f"bilm:{tmp_path / 'bilm'}", "--encoder-name", "mine", "--world",
                 "--world-size", "tiny", "--tasks", "topic", "--tables", "table1", "--seeds", "1", "--hp-profile",
                 "tiny", "--out", str(out), "--threads", "1", "--cache-dir", str(tmp_path / "cache"),
                 "--no-progress", "--jobs", "2", "--no-report"])
    assert code == 0 and len(list(out.glob("runs/mine/topic/*/result.json"))) == 1


_POOL_SCRIPT = """
import sys, time
from pathlib import Path
from elmo_eval.runner.parallel import worker_pool
logs = Path(sys.argv[1])
try:
    with worker_pool(2, 1, logs) as pool:
        futures = [pool.submit(time.sleep, 600) for _ in range(2)]
        while len(list(logs.glob("worker-*.log"))) < 2:
            time.sleep(0.1)
        print("started", flush=True)
        futures[0].result()
except KeyboardInterrupt as interrupt:  # as the command line does
    sys.exit(getattr(interrupt, "exit_code", 130))
"""


def _worker_pids(logs: Path) -> list[int]:
    return [int(path.stem.split("-")[1]) for path in logs.glob("worker-*.log")]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a child of a process that died is reaped by init; until then it shows as a zombie
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


def _wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.2)
    return [pid for pid in pids if _alive(pid)]


@pytest.mark.skipif(sys.platform != "linux", reason="checks processes through /proc and POSIX signals")
@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_ending_the_parent_ends_its_busy_workers(how, tmp_path) -> None:
    """SIGTERM to ``reproduce --jobs N`` stops the pool as Ctrl-C does (exit 143); after a SIGKILL the
    workers notice their parent is gone and end themselves (before: both left them training)."""
    parent = subprocess.Popen([sys.executable, "-c", _POOL_SCRIPT, str(tmp_path)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "started", parent.stderr.read()
        workers = _worker_pids(tmp_path)
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
        parent.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGKILL)
        code = parent.wait(timeout=30)
        assert code == (143 if how == "sigterm" else -signal.SIGKILL)
        assert _wait_gone(workers, 15) == []
    finally:
        parent.kill()
        for pid in _worker_pids(tmp_path):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)

"""``reproduce --jobs N``: the plan's unfinished runs trained N at a time in worker processes on this machine.

The heads are small: one run rarely keeps more than one core busy (its recurrences are sequential and
its matrices narrow), so on a CPU machine N runs side by side, one thread each, finish the plan far
sooner than one run after another on N threads. This module does that with nothing beyond the standard
library (``--launcher local`` does the same through submitit, for GPU slots and cluster-like logs).

How a reproduction runs with ``--jobs N``:

1. The calling process plans, prepares the shared setup (the world, its biLM, the word vectors, or the
   given encoder) and builds every layer cache the unfinished runs read, on all its threads, so no
   worker waits on another's cache lock.
2. The unfinished runs go to a pool of N spawned processes, longest first (by the wall time a run of the
   same task took before, where one is on record, else by the task's training tokens), so the long ones
   do not end up alone at the tail. Each worker re-plans from the same plain request and trains its one
   run through the usual path (:func:`elmo_eval.runner.launch.run_one`): the same seed, the same
   result file, written atomically. Its output goes to a log file under the cache folder; this process
   prints one line per finished run.
3. Back here: the time table (each run's own seconds, and the wall time of the pool) and the report.

Same seed, same numbers: a run trained in a worker with T threads equals the run trained in-process
with T threads (``tests/test_runner_parallel.py``).
"""
from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

from elmo_eval.errors import UsageError

AUTO = "auto"


class JobsError(UsageError, ValueError):
    """A ``--jobs`` value that cannot work (one line, exit 2)."""


def parse_jobs(text: str) -> int | str:
    """argparse type of ``--jobs``: ``auto`` or a whole number >= 1."""
    if text == AUTO:
        return AUTO
    try:
        value = int(text)
    except ValueError:
        raise JobsError(f"--jobs expects a whole number >= 1 or 'auto', got {text!r}") from None
    if value < 1:
        raise JobsError(f"--jobs expects a whole number >= 1 or 'auto', got {value}")
    return value


def default_jobs() -> int | str:
    """``--jobs`` when not given: ``$ELMO_EVAL_JOBS`` (N or auto), else auto."""
    value = os.environ.get("ELMO_EVAL_JOBS", "").strip()
    if not value:
        return AUTO
    try:
        return parse_jobs(value)
    except JobsError as error:
        raise JobsError(f"ELMO_EVAL_JOBS={value!r}: {str(error).removeprefix('--jobs ')}") from None


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def resolve_jobs(jobs: int | str, threads: int | None, trainer_options: dict | None) -> tuple[int, int]:
    """How many runs at once and how many torch threads each: ``(jobs, threads_per_run)``.

    ``auto``: on the CPU with one device per run, one run per ``threads`` cores (``--threads``
    defaults to 1 here); on an accelerator, or with several devices or processes per run, one run
    at a time (the runs there share devices, not cores).
    """
    per_run = threads or 1
    options = trainer_options or {}
    on_cpu = str(options.get("accelerator", "cpu")).lower() == "cpu"
    single = options.get("devices", 1) in (1, "1") and int(options.get("num_nodes", 1)) == 1
    if jobs == AUTO:
        return (max(1, available_cores() // per_run) if on_cpu and single else 1), per_run
    if jobs > 1 and not single:
        raise JobsError("--jobs runs one process per run: use --devices 1 --num-nodes 1 with it "
                        "(several devices per run: --launcher slurm)")
    return int(jobs), per_run


def _run_key(run) -> str:
    return f"{run.task}/{run.run_id}"


def _label(run) -> str:
    return f"{run.task} {run.rep.name} @{run.rep.placement} f={run.fraction:g} seed={run.seed}"


class LocalPool:
    """Trains a plan's unfinished runs in ``jobs`` worker processes (see the module docstring).

    ``request`` holds ``reproduce``'s keyword arguments with absolute paths
    (:func:`elmo_eval.runner.launch.plain_request`): each worker rebuilds the plan from it.
    """

    def __init__(self, profile: str, request: dict, jobs: int, threads: int):
        self.profile, self.request, self.jobs, self.threads = profile, request, jobs, threads

    def run(self, runs, specs: dict, setup, data_roots: dict, layer_policy=None,
            encoder_spec: str | None = None) -> list[Path]:
        """Train every unfinished run of ``runs`` (one encoder's plan); returns all their result files.
        A run that fails stops the pool (the others running are stopped too; finished ones are kept)."""
        from elmo_eval.runner.execute import run_dir, run_owner
        from elmo_eval.runner.launch import jobs_folder, unfinished
        from elmo_eval.runner.results import RESULT_FILE
        from elmo_eval.runner.stages import record, stage

        out_dir, cache_dir = Path(self.request["out_dir"]), Path(self.request["cache_dir"])
        fingerprints: dict[str, str] = {}  # each task's data hashed once, here and for the layer caches
        pending = unfinished(runs, specs, setup, out_dir, data_roots, fingerprints)
        todo = {_run_key(run) for run in pending}
        for position, run in enumerate(runs, 1):
            if _run_key(run) not in todo:
                _say(f"[{position}/{len(runs)}] {_label(run)}: done already, skipped")
                record(f"[{position}/{len(runs)}] {_label(run)}", 0.0, computed=False)
        if pending:
            self._build_layer_caches(pending, specs, setup, data_roots, cache_dir, layer_policy, fingerprints)
            ordered = longest_first(pending, specs, setup, data_roots, out_dir)
            request = dict(self.request)
            if len(request.get("encoder_specs") or []) > 1:  # several --encoder: each worker loads this one only
                request.update(encoder_specs=[encoder_spec], encoder_name=None)  # (named in its spec, as here)
            logs = jobs_folder(cache_dir, out_dir) / "workers"
            jobs = min(self.jobs, len(ordered))
            # the stage's name goes into timings.md, which a results folder commits: no machine path in it
            with stage(f"training {len(ordered)} runs in {jobs} processes, {self.threads} thread(s) each"):
                _say(f"  {len(ordered)} runs, longest first; each worker's output: {logs}")
                seconds = self._train(ordered, request, jobs, logs, out_dir, setup, specs, len(runs), runs)
            for run in ordered:
                record(f"run {_label(run)}", seconds.get(_run_key(run), 0.0), parallel=True)
        return [run_dir(out_dir, run_owner(setup, run), run) / RESULT_FILE for run in runs]

    def _build_layer_caches(self, pending, specs, setup, data_roots, cache_dir, layer_policy,
                            fingerprints: dict[str, str]) -> None:
        """Every layer cache the pending runs read, built here once (each worker then only opens it);
        ``fingerprints``: each task's data fingerprint, as :func:`unfinished` hashed it."""
        from elmo_eval.runner.execute import TaskData, run_inputs

        seen = set()
        for run in pending:
            if not run.reads_encoder:
                continue
            spec = specs[run.task]
            hp, _ = run_inputs(run, spec, setup, fingerprints[run.task])
            key = (run.task, json.dumps(hp.get("data", {}), sort_keys=True))
            if key in seen:
                continue
            seen.add(key)
            TaskData(spec, setup, data_roots, cache_dir, hp.get("data")).layers(
                self.request.get("progress", True), layer_policy, self.request.get("trainer_options"))

    def _train(self, ordered, request: dict, jobs: int, logs: Path, out_dir: Path, setup, specs, total: int,
               runs) -> dict[str, float]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        logs.mkdir(parents=True, exist_ok=True)
        position = {_run_key(run): i for i, run in enumerate(runs, 1)}
        seconds: dict[str, float] = {}
        with worker_pool(jobs, self.threads, logs) as pool:
            # submitted longest first; the pool starts them in that order as workers free up
            waiting = {pool.submit(_train_one, (self.profile, request, _run_key(run))): run for run in ordered}
            while waiting:
                finished, _ = wait(waiting, return_when=FIRST_COMPLETED)
                for future in finished:
                    run = waiting.pop(future)
                    label = f"[{position[_run_key(run)]}/{total}] {_label(run)}"
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        raise RuntimeError(f"{label}: a worker process died while training (killed, or out of "
                                           f"memory?); its output is in {logs}") from None
                    if not outcome["ok"]:
                        if outcome["usage"]:
                            raise UsageError(f"{label}: {outcome['message']}")
                        raise RuntimeError(f"{label} failed in a worker process (log: {outcome['log']}):\n"
                                           f"{outcome['traceback']}")
                    seconds[outcome["run"]] = outcome["seconds"]
                    _say(f"{label}: {_score(run, specs, out_dir, setup)} ({outcome['seconds']:.0f}s; "
                         f"{len(seconds)} of {len(ordered)} done)")
        return seconds


def _score(run, specs: dict, out_dir: Path, setup) -> str:
    """``metric=value`` of a finished run, from its result file (test split, else dev)."""
    from elmo_eval.runner.execute import run_dir, run_owner
    from elmo_eval.runner.results import RESULT_FILE, read_result

    result = read_result(run_dir(out_dir, run_owner(setup, run), run) / RESULT_FILE)
    metric = specs[run.task].metric
    value = result["metrics"].get("test" if "test" in result["metrics"] else "dev", {}).get(metric)
    return f"{metric}={value:.2f}" if isinstance(value, (int, float)) else "no score"


class Terminated(KeyboardInterrupt):
    """SIGTERM to a ``reproduce --jobs`` process: raised in its main thread so the pool is stopped as on
    Ctrl-C (the command line exits 143 for it, 130 for Ctrl-C)."""

    exit_code = 128 + signal.SIGTERM


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


@contextmanager
def worker_pool(jobs: int, threads: int, logs: Path):
    """``jobs`` spawned worker processes (``threads`` torch threads each, output to ``logs``), stopped
    with everything they run on any exception, on Ctrl-C and on SIGTERM to this process.

    Why spawn: a fresh interpreter per worker (no forked torch thread pools); a worker that dies
    (killed, out of memory) breaks the pool with an error instead of leaving its run waited for forever.
    A worker also ends itself when this process is gone (SIGKILL, a crash): see :func:`_watch_parent`.
    """
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(threads, str(logs), os.getpid()))
    # Python's default SIGTERM ends this process at once and leaves the workers training for nobody
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_terminated) if in_main_thread else None
    try:
        yield pool
    except BaseException:
        _stop(pool)  # Ctrl-C, SIGTERM or a failed run: stop the others now (their runs write nothing partial)
        raise
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
    pool.shutdown()


def _stop(pool, grace_seconds: float = 10.0) -> None:
    """Cancel the runs not started and end the running ones now (``ProcessPoolExecutor`` has no public
    way to stop a busy worker before Python 3.14's ``terminate_workers``): SIGTERM, then SIGKILL for a
    worker still there after ``grace_seconds``."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() drops the reference
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + grace_seconds
    for process in processes:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join(timeout=5)


def longest_first(pending, specs: dict, setup, data_roots: dict, out_dir: Path) -> list:
    """The runs in the order that ends the pool soonest: longest first. A run's expected length is the
    wall time recorded for the same run before (or the mean of its task's runs in ``out_dir``), else
    the task's training tokens times its fraction; runs with a recorded time come first."""
    from elmo_eval.runner.execute import run_dir, run_owner
    from elmo_eval.runner.results import RESULT_FILE

    recorded: dict[Path, float] = {}  # each result file in out_dir read once: its run's wall time
    task_seconds: dict[str, list[float]] = {}
    for path in sorted(Path(out_dir).glob(f"runs/*/*/*/{RESULT_FILE}")):
        try:
            recorded[path] = float(json.loads(path.read_text(encoding="utf-8"))["seconds"]["total"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        task_seconds.setdefault(path.parent.parent.name, []).append(recorded[path])
    tokens: dict[str, int] = {}

    def expected(run) -> tuple[int, float]:
        own = recorded.get(run_dir(out_dir, run_owner(setup, run), run) / RESULT_FILE)
        if own is not None:
            return 1, own
        if task_seconds.get(run.task):
            return 1, sum(task_seconds[run.task]) / len(task_seconds[run.task]) * run.fraction
        if run.task not in tokens:
            tokens[run.task] = _training_bytes(specs[run.task], setup, data_roots)
        return 0, tokens[run.task] * run.fraction

    return sorted(pending, key=expected, reverse=True)


def _training_bytes(spec, setup, data_roots: dict) -> int:
    """Size of a task's training split on disk: a cheap proxy for its training time."""
    from elmo_eval.runner.execute import task_data_paths

    path = task_data_paths(spec, setup, data_roots).get("train")
    if path is None:
        return 0
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    return sum(f.stat().st_size for f in files)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _start_worker(threads: int, logs: str, parent_pid: int) -> None:
    """A worker process: its output to its own log file, ``threads`` torch threads, Ctrl-C left to the
    parent (which stops the pool), SIGTERM ends it, and it ends itself once ``parent_pid`` is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    log = open(Path(logs) / f"worker-{os.getpid()}.log", "a", buffering=1, encoding="utf-8")  # noqa: SIM115
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = sys.stderr = log
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="watch-parent", daemon=True).start()
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)


def _watch_parent(parent_pid: int, every_seconds: float = 1.0) -> None:
    """End this worker once the process that started it is gone (killed with SIGKILL, crashed): an
    orphaned worker would otherwise train on for nobody. Its run writes nothing partial (result files
    are written atomically), so ending at once is safe."""
    while True:
        time.sleep(every_seconds)
        if os.getppid() != parent_pid:
            print(f"parent process {parent_pid} is gone: this worker stops", flush=True)
            os._exit(1)


def _train_one(call: tuple) -> dict:
    """One run in a worker: plain data back (an exception object may not survive pickling)."""
    from elmo_eval.runner.launch import run_one

    profile, request, key = call
    started = time.time()
    print(f"== {key}", flush=True)
    try:
        run_one(profile, request, key)
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which decides
        traceback.print_exc()
        from pytorch_lightning.utilities.exceptions import SIGTERMException

        if isinstance(error, SIGTERMException):  # Lightning's form of SIGTERM: the parent stops us
            sys.stdout.flush()
            os._exit(128 + signal.SIGTERM)
        return {"run": key, "ok": False, "usage": isinstance(error, UsageError),
                "message": str(error).splitlines()[0] if str(error) else type(error).__name__,
                "traceback": traceback.format_exc(), "log": getattr(sys.stdout, "name", "")}
    return {"run": key, "ok": True, "seconds": time.time() - started}

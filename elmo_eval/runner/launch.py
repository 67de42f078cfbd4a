"""``reproduce --launcher local|slurm``: the plan as one array job, one task per planned run.

Through `submitit <https://github.com/facebookincubator/submitit>`_ (the ``slurm`` extra). The
submitting process plans, prepares the shared setup once (the generated world, its biLM and word
vectors, or loads the given biLM), then submits one array task per run that is not finished. Each
task re-plans from the same plain arguments, keeps its one run (``reproduce(only_run=...)``) and
trains it through the usual execute path, so it shares the cache folder with its siblings: each
layer cache is built by the first task that needs it, under its lock, while the others wait and
reuse it. When the array ends, the submitting process builds the report (or, with ``--no-wait``,
prints the job id and the command that builds it later).

What submitit pickles and sends is our own :func:`run_one` and plain arguments (strings, numbers,
lists, dicts); the job folder (pickles, logs) lives under the cache, never in the results folder.
``local`` runs each task as a process on this machine (at most ``parallelism`` at once, each on
its own GPUs when runs use GPUs): for multi-GPU boxes and tests.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from elmo_eval.errors import UsageError

DEFAULT_TIME_LIMIT = "4:00:00"
GPU_ACCELERATORS = ("gpu", "cuda")


class LaunchError(UsageError, ValueError):
    """A launcher option that cannot work (a usage error: one line, exit 2)."""


@dataclass(frozen=True)
class LaunchOptions:
    """How to launch the array. gpus_per_task/tasks_per_run/nodes follow the runs' trainer options
    (``--accelerator gpu --devices N``): a run with N devices gets N GPUs and, on SLURM, N tasks
    (one per Lightning rank)."""

    kind: str  # "local" | "slurm"
    time_min: int
    gpus_per_task: int = 0
    tasks_per_run: int = 1
    nodes: int = 1
    cpus_per_task: int | None = None
    parallelism: int | None = None
    wait: bool = True
    partition: str | None = None
    account: str | None = None
    mem_gb: float | None = None
    sbatch_options: dict = field(default_factory=dict)
    setup_lines: tuple[str, ...] = ()


def parse_time_limit(text: str) -> int:
    """Minutes from ``MINUTES``, ``H:MM:SS`` or ``D-H:MM:SS`` (SLURM's common forms); rounded up."""
    match = re.fullmatch(r"(?:(\d+)-)?(\d+):(\d{1,2}):(\d{1,2})", text.strip())
    if text.strip().isdigit():
        minutes = int(text)
    elif match:
        days, hours, mins, secs = (int(g or 0) for g in match.groups())
        minutes = days * 1440 + hours * 60 + mins + (1 if secs else 0)
    else:
        raise LaunchError(f"--time-limit expects MINUTES, H:MM:SS or D-H:MM:SS, got {text!r}")
    if minutes <= 0:
        raise LaunchError(f"--time-limit must be positive, got {text!r}")
    return minutes


def _key_values(pairs, flag: str) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise LaunchError(f"{flag} expects KEY=VALUE, got {pair!r}")
        out[key.strip().lstrip("-")] = value
    return out


def options_from_args(args) -> LaunchOptions:
    """The launcher options of ``elmo-eval reproduce``'s namespace; LaunchError on a bad combination."""
    kind = args.launcher
    uses_gpu = str(args.accelerator).lower() in GPU_ACCELERATORS
    if args.devices == "auto":
        raise LaunchError("--launcher needs a number for --devices (the devices each run gets)")
    if kind == "local" and (args.devices > 1 or args.num_nodes > 1):
        raise LaunchError("--launcher local runs one process per run: use --devices 1 --num-nodes 1 "
                          "(several devices per run: --launcher slurm)")
    if kind == "local" and not args.wait:
        raise LaunchError("--no-wait is for --launcher slurm (local runs are child processes of this one)")
    if kind == "local" and (args.slurm_partition or args.slurm_account or args.slurm_mem_gb
                            or args.slurm_option or args.slurm_setup):
        raise LaunchError("--slurm-* options need --launcher slurm")
    if args.array_parallelism is not None and args.array_parallelism < 1:
        raise LaunchError("--array-parallelism must be at least 1")
    if args.slurm_mem_gb is not None and args.slurm_mem_gb <= 0:
        raise LaunchError("--slurm-mem-gb must be positive")
    if args.cpus_per_task is not None and args.cpus_per_task < 1:
        raise LaunchError("--cpus-per-task must be at least 1")
    return LaunchOptions(
        kind=kind,
        time_min=parse_time_limit(args.time_limit or DEFAULT_TIME_LIMIT),
        gpus_per_task=args.devices if uses_gpu else 0,
        tasks_per_run=args.devices if kind == "slurm" and args.devices > 1 else 1,
        nodes=args.num_nodes,
        cpus_per_task=args.cpus_per_task,
        parallelism=args.array_parallelism,
        wait=args.wait,
        partition=args.slurm_partition,
        account=args.slurm_account,
        mem_gb=args.slurm_mem_gb,
        sbatch_options=_key_values(args.slurm_option, "--slurm-option"),
        setup_lines=tuple(args.slurm_setup or ()),
    )


def import_submitit():
    try:
        import submitit
    except ImportError:
        raise LaunchError("--launcher needs the submitit package: pip install 'elmo-eval[slurm]'") from None
    return submitit


def jobs_folder(cache_dir: Path, out_dir: Path) -> Path:
    """submitit's folder (submitted pickles, logs) for a results folder: under the cache, keyed by the
    results folder's absolute path, so the results folder never holds pickles."""
    key = hashlib.sha1(str(Path(out_dir).resolve()).encode()).hexdigest()[:8]
    return Path(cache_dir) / "launch" / f"{Path(out_dir).resolve().name}-{key}"


def run_one(profile: str, request: dict, run_key: str, threads: int | None = None) -> dict:
    """One array task: re-plan from the plain ``request`` and train the run ``run_key`` (task/run_id).

    Runs in the array task's process; the shared setup was prepared by the submitting process, so
    resolving it here only reuses the cache.
    """
    if threads:
        import torch

        torch.set_num_threads(threads)
    from elmo_eval.runner.api import reproduce

    _quiet_lightning()
    request = {**request, "only_run": run_key, "report": False, "progress": False, "dry_run": False}
    summary = reproduce(profile, **request)
    return {"run": run_key, "finished": summary.get("finished", 0)}


def _quiet_lightning() -> None:
    """What ``elmo-eval``'s entry point does for every command: Lightning's INFO banners and tips off
    (an array task starts through submitit, not through that entry point)."""
    import logging
    import warnings

    import pytorch_lightning  # noqa: F401  (sets its loggers' levels when imported: import first)

    for name in ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*LeafSpec.*")
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")


def plain_request(profile: str, request: dict) -> dict:
    """``reproduce``'s keyword arguments as the array tasks get them: the results and cache folders
    (and every given path) made absolute, so a task finds them whatever folder it starts in."""
    from elmo_eval.runner.encoders import default_cache_dir

    def absolute(path):
        return None if path is None else Path(path).expanduser().resolve()

    out = dict(request)
    out["out_dir"] = absolute(request.get("out_dir") or Path("results") / profile)
    out["cache_dir"] = absolute(request.get("cache_dir") or default_cache_dir())
    for name in ("options", "weights", "bilm_dir", "glove"):
        out[name] = absolute(request.get(name))
    # a registered copy is {split: path, "options": {...}} (its format): only the paths are made absolute
    out["data_roots"] = {task: {split: p if split == "options" else absolute(p) for split, p in where.items()}
                         if isinstance(where, dict) else absolute(where)
                         for task, where in (request.get("data_roots") or {}).items()}
    return out


def prepare(profile: str, request: dict, args) -> tuple[dict, object]:
    """The request to send and the hook ``reproduce(launcher=...)`` calls with the planned runs and the
    prepared setup; LaunchError (before anything is planned or built) when an option cannot work."""
    options = options_from_args(args)
    import_submitit()
    request = plain_request(profile, request)
    return request, partial(submit_array, profile, request, options)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _executor(submitit, folder: Path, options: LaunchOptions, runs: int):
    """A submitit executor with the array's resources (SLURM) or the per-process ones (local)."""
    if options.kind == "local":
        executor = submitit.LocalExecutor(folder=folder / "%j")
        executor.update_parameters(timeout_min=options.time_min)
        return executor
    executor = submitit.SlurmExecutor(folder=folder / "%j", max_num_timeout=0)
    parameters = dict(job_name="elmo-eval", time=options.time_min, nodes=options.nodes,
                      ntasks_per_node=options.tasks_per_run,
                      array_parallelism=min(options.parallelism or runs, runs))
    if options.gpus_per_task:
        parameters["gpus_per_node"] = options.gpus_per_task
    for name, value in (("cpus_per_task", options.cpus_per_task), ("partition", options.partition),
                        ("account", options.account), ("mem", _sbatch_memory(options.mem_gb))):
        if value is not None:
            parameters[name] = value
    if options.sbatch_options:
        parameters["additional_parameters"] = dict(options.sbatch_options)
    if options.setup_lines:
        parameters["setup"] = list(options.setup_lines)
    executor.update_parameters(**parameters)
    return executor


def _sbatch_memory(gigabytes: float | None) -> str | None:
    """sbatch's --mem value (a bare number would mean megabytes)."""
    if gigabytes is None:
        return None
    return f"{int(gigabytes)}GB" if gigabytes == int(gigabytes) else f"{round(gigabytes * 1024)}MB"


def _visible_gpus() -> list[int]:
    """This machine's GPUs as the indices CUDA_VISIBLE_DEVICES names (so a child process given index
    k sees the same device as this process's k-th)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and all(part.strip().isdigit() for part in visible.split(",") if part.strip()):
        return [int(part) for part in visible.split(",") if part.strip()]
    import torch

    return list(range(torch.cuda.device_count()))


def _run_local(executor, calls: list[tuple], options: LaunchOptions) -> list:
    """Start one process per call, at most ``parallelism`` at once, each on its own GPU slot."""
    if options.gpus_per_task:
        gpus = _visible_gpus()
        slots = [tuple(gpus[i:i + options.gpus_per_task])
                 for i in range(0, len(gpus) - options.gpus_per_task + 1, options.gpus_per_task)]
        if not slots:
            raise LaunchError(f"--launcher local with --accelerator gpu needs {options.gpus_per_task} "
                              f"visible GPU(s) per run; this machine shows {len(gpus)}")
        slots = slots[:options.parallelism or len(slots)]
    else:
        slots = [()] * (options.parallelism or 1)
    free, running, jobs = list(slots), {}, []
    for call in calls:
        while not free:
            time.sleep(0.5)
            for job in list(running):
                if job.done():
                    free.append(running.pop(job))
        slot = free.pop(0)
        executor.update_parameters(visible_gpus=slot, gpus_per_node=len(slot))
        job = executor.submit(*call)
        running[job] = slot
        jobs.append(job)
    return jobs


def unfinished(runs, specs: dict, setup, out_dir: Path, data_roots: dict,
               fingerprints: dict[str, str] | None = None) -> list:
    """The runs without a result computed from their current inputs (the others are not submitted).
    ``fingerprints``: filled with each task's data fingerprint (hashed once), for the caller to reuse."""
    from elmo_eval.runner.execute import (
        _finished_with,
        data_fingerprint,
        run_dir,
        run_inputs,
        run_owner,
        task_data_paths,
    )
    from elmo_eval.runner.results import RESULT_FILE

    fingerprints = {} if fingerprints is None else fingerprints
    pending = []
    for run in runs:
        spec = specs[run.task]
        if run.task not in fingerprints:
            fingerprints[run.task] = data_fingerprint(task_data_paths(spec, setup, data_roots))
        _, digest = run_inputs(run, spec, setup, fingerprints[run.task])
        if not _finished_with(run_dir(out_dir, run_owner(setup, run), run) / RESULT_FILE, digest):
            pending.append(run)
    return pending


def submit_array(profile: str, request: dict, options: LaunchOptions, runs, specs: dict, setup,
                 data_roots: dict) -> dict:
    """Submit the runs not finished yet as one array job; wait and report unless told not to."""
    from elmo_eval.runner.report import build_report

    submitit = import_submitit()
    out_dir, cache_dir = Path(request["out_dir"]), Path(request["cache_dir"])
    folder = jobs_folder(cache_dir, out_dir)
    keys = [f"{run.task}/{run.run_id}" for run in unfinished(runs, specs, setup, out_dir, data_roots)]
    summary: dict = {"launcher": options.kind, "submitted": len(keys), "jobs_folder": str(folder)}
    failed: list[str] = []
    if keys:
        executor = _executor(submitit, folder, options, len(keys))
        calls = [(run_one, profile, request, key, options.cpus_per_task) for key in keys]
        if options.kind == "local":
            jobs = _run_local(executor, calls, options)
            summary["job_id"] = [str(job.job_id) for job in jobs]
            _say(f"{len(runs) - len(keys)} runs finished already; {len(keys)} run as local processes "
                 f"{', '.join(summary['job_id'])} (logs: {folder})")
        else:
            jobs = executor.map_array(*(list(column) for column in zip(*calls)))
            summary["job_id"] = str(jobs[0].job_id).split("_")[0]
            _say(f"{len(runs) - len(keys)} runs finished already; {len(keys)} submitted as SLURM array job "
                 f"{summary['job_id']} (logs: {folder})")
        if not options.wait:
            summary["report_command"] = f"elmo-eval report {out_dir}"
            _say(f"not waiting: follow it with `squeue -j {summary['job_id']}`; once it has ended, build the "
                 f"report with `{summary['report_command']}` (or run this reproduce command again: finished "
                 "runs are reused and only the others are submitted)")
            return summary
        key_of = {str(job.job_id): key for job, key in zip(jobs, keys)}
        poll = 1 if options.kind == "local" else 30
        try:
            for job in submitit.helpers.as_completed(jobs, poll_frequency=poll):
                if job.exception() is not None:
                    failed.append(key_of[str(job.job_id)])
                    _say(f"{key_of[str(job.job_id)]}: FAILED (log: {job.paths.stderr})")
                else:
                    _say(f"{key_of[str(job.job_id)]}: done")
        except KeyboardInterrupt:
            if options.kind == "local":
                raise
            _say(f"stopped waiting; SLURM job {summary['job_id']} keeps running: once it has ended, build the "
                 f"report with `elmo-eval report {out_dir}`")
            raise SystemExit(130) from None
    summary.update(finished=len(runs) - len(failed), failed=failed)
    if failed:
        _say(f"error: {len(failed)} of {len(keys)} runs failed; their logs are named above. The report below "
             "covers the finished runs; run the same command again to retry the failed ones")
    if request.get("report", True):
        summary["report"] = str(build_report(out_dir, name=Path(out_dir).name,
                                             samples=request.get("significance_samples", 10000)))
    return summary


def add_arguments(parser) -> None:
    """``reproduce``'s launcher options (kept here so the command's module stays small)."""
    group = parser.add_argument_group(
        "launcher", "run the plan as one array job (one task per run) and build the report when it ends; "
        "each run gets --devices GPUs with --accelerator gpu")
    group.add_argument("--launcher", choices=["local", "slurm"],
                       help="slurm: one SLURM array job; local: one process per run on this machine "
                            "(default: run everything in this process)")
    group.add_argument("--array-parallelism", type=int, metavar="N",
                       help="at most N runs at once (default: slurm every run; local one per free GPU, or 1)")
    group.add_argument("--time-limit", metavar="T",
                       help=f"time limit of each run: MINUTES, H:MM:SS or D-H:MM:SS (default {DEFAULT_TIME_LIMIT})")
    group.add_argument("--cpus-per-task", type=int, metavar="N", help="CPUs of each run (also its torch threads)")
    group.add_argument("--no-wait", dest="wait", action="store_false",
                       help="slurm: submit, print the job id and the report command, and return")
    group.add_argument("--slurm-partition", metavar="NAME")
    group.add_argument("--slurm-account", metavar="NAME")
    group.add_argument("--slurm-mem-gb", type=float, metavar="GB", help="memory of each run")
    group.add_argument("--slurm-option", action="append", metavar="KEY=VALUE",
                       help="any other sbatch option, e.g. qos=high or constraint=a100 (repeatable)")
    group.add_argument("--slurm-setup", action="append", metavar="COMMAND",
                       help="a shell line run before each task, e.g. 'module load cuda' (repeatable)")

"""``reproduce``: plan, run and report in one call (the Python face of ``elmo-eval reproduce``)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from elmo_eval.encoders.spec import EncoderSpecError
from elmo_eval.errors import UsageError
from elmo_eval.runner.baseline_vectors import bilm_corpus, glove_vectors, real_data_vectors
from elmo_eval.runner.data import split_paths
from elmo_eval.runner.encoders import (
    EncoderSetup,
    default_cache_dir,
    default_world_setup,
    load_official,
    prepare_encoder,
    prepare_world,
    run_device,
    world_vectors,
)
from elmo_eval.runner.execute import execute, process_rank
from elmo_eval.runner.plan import build_plan, shard
from elmo_eval.runner.presets import PRESETS
from elmo_eval.runner.report import build_report
from elmo_eval.runner.stages import TIMINGS_FILE, StageClock, current_clock, stage
from elmo_eval.specs import available_specs, load_spec


def resolve_setup(profile: dict, cache_dir: Path, *, options=None, weights=None, bilm_dir=None, encoder=None,
                  encoder_name=None, glove=None, world_seed: int = 0, use_world: bool = True,
                  progress: bool = True, encoder_spec: str | None = None) -> EncoderSetup:
    """The encoder under evaluation and the data it runs on (see :mod:`elmo_eval.runner.encoders`).

    Without a biLM or encoder, a tiny biLM is pretrained on the generated world. With one, the runs
    use the generated world too unless ``use_world`` is False (real data given per task).
    ``encoder_spec`` is an ``--encoder`` value (:func:`elmo_eval.encoders.spec.load_encoder`).
    """
    description = None
    if encoder_spec is not None:
        from elmo_eval.encoders.spec import load_encoder, parse_encoder_spec

        parsed = parse_encoder_spec(encoder_spec)
        if parsed.kind == "bilm":
            bilm_dir = Path(parsed.parts[0]).expanduser()
        loaded = load_encoder(encoder_spec)
        encoder, encoder_name, description = loaded.encoder, encoder_name or loaded.name, dict(loaded.description)
    if bilm_dir is not None and encoder is None:
        options, weights = Path(bilm_dir) / "options.json", Path(bilm_dir) / "weights.hdf5"
    if options is None and weights is None and encoder is None:
        setup = default_world_setup(cache_dir, profile["world_size"], world_seed, profile["bilm_preset"], progress)
        if glove:
            setup.vectors, setup.description["baseline_vectors"] = glove_vectors(glove)
        return setup
    if encoder is None:
        if options is None or weights is None:
            raise ValueError("--options and --weights go together")
        encoder = load_official(options, weights)
        name = encoder_name or (Path(bilm_dir).name if bilm_dir else Path(weights).stem)
        description = {"kind": "biLM files", "options": Path(options).name, "weights": Path(weights).name}
    else:
        name = encoder_name or type(encoder).__name__
        description = description or {"kind": "user encoder", "class": type(encoder).__name__}
    world_dir = None
    if bilm_dir is not None:
        files, tokens = bilm_corpus(bilm_dir)
        if tokens:
            description.setdefault("corpus", f"the pretraining corpus of {Path(bilm_dir).name} ({len(files)} files)")
            description.setdefault("corpus_tokens", tokens)
    if use_world:
        world_dir, _ = prepare_world(cache_dir, profile["world_size"], world_seed)
        if glove:
            vectors, label = glove_vectors(glove)
        else:
            vectors, label = world_vectors(world_dir, world_seed), "PPMI + truncated SVD (50d) over the world's corpus"
        description["world"] = world_dir.name
    else:  # real data: never silently random vectors (see runner/baseline_vectors.py)
        vectors, label = real_data_vectors(glove, bilm_dir, cache_dir)
    description["baseline_vectors"] = label
    return EncoderSetup(name, encoder, vectors, world_dir, description)


def reproduce(profile: str = "default", *, out_dir=None, cache_dir=None, tasks=None, tables=None, seeds=None,
              hp_profile=None, fractions=None, options=None, weights=None,
              bilm_dir=None, encoder=None, encoder_name=None, glove=None, data_roots=None, world_seed: int = 0,
              shard_spec: str | None = None, dry_run: bool = False, trainer_options=None, progress: bool = True,
              report: bool = True, significance_samples: int = 10000, world_size: str | None = None,
              use_world: bool | None = None, launcher=None, only_run: str | None = None,
              encoder_specs: list[str] | None = None, layers: str = "auto",
              cache_disk_share: float | None = None, probe_data=None, probe_options: dict | None = None,
              pool=None) -> dict:
    """Plan the matrix, run what is not finished, rebuild the report. Returns a summary dict.

    Data: the embedded default (no encoder given) runs on the generated world. Any other encoder runs
    on real data (``data_roots``) and stops with :class:`MissingDataError` for a task that has none,
    unless ``use_world`` asks for the generated world for those tasks.
    ``encoder_specs``: ``--encoder`` values, evaluated one after another into the same ``out_dir``
    (each under its own name); the report is built once, after the last.
    launcher: hands the planned runs and the prepared setup to an array job instead of running them
    here (see :mod:`elmo_eval.runner.launch`); only_run: ``task/run_id``, the one run of an array task.
    ``pool``: a :class:`elmo_eval.runner.parallel.LocalPool` trains the runs that are not finished in
    worker processes on this machine (``--jobs N``); everything else (setup, caches, probes, report) is here.
    ``layers``: ``cache``, ``on-the-fly`` or ``auto`` (on the fly when a task's cache would take
    more than ``cache_disk_share`` of the free disk); see :mod:`elmo_eval.runner.layer_mode`.
    ``probe_data``, ``probe_options``: with the ``probes`` comparison among the tables, the probes run per
    encoder after its runs (rank 0), on the world's probe data when the encoder runs on the world, else on
    ``probe_data`` (a CoNLL-2003 or CoNLL-2012 folder; given, it wins), into ``runs/<encoder>/probes/``;
    see :mod:`elmo_eval.runner.probe_runs`.
    """
    from elmo_eval.runner.layer_mode import DEFAULT_DISK_SHARE, LayerPolicy

    layer_policy = LayerPolicy(layers, disk_share=cache_disk_share or DEFAULT_DISK_SHARE)
    if profile not in PRESETS:
        raise ValueError(f"unknown profile {profile!r}; known: {sorted(PRESETS)}")
    preset = dict(PRESETS[profile])
    if world_size:
        preset["world_size"] = world_size
    out_dir = Path(out_dir or Path("results") / profile)
    cache_dir = Path(cache_dir or default_cache_dir())
    # keyed by the spec's own name: --tasks may name a spec file elsewhere (a tuned copy, say)
    specs = {spec.name: spec for spec in map(load_spec, tasks or available_specs())}
    data_roots = {k: v if isinstance(v, dict) else Path(v) for k, v in (data_roots or {}).items()}
    user_encoder = any(x is not None for x in (options, weights, bilm_dir, encoder)) or bool(encoder_specs)
    if use_world is None:
        use_world = not user_encoder
    missing = [name for name in specs if name not in data_roots]
    if user_encoder and missing and not use_world:
        raise MissingDataError(missing)
    for name in [n for n in missing if not specs[n].has_world_data]:
        if process_rank() == 0:
            print(f"{name}: skipped: the generated world has no data for it (its spec has no [data.world]); "
                  f"give it with --data {name}=PATH", file=sys.stderr, flush=True)
        del specs[name]
    names = list(specs)
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds or preset["seeds"])
    table_list = list(tables or preset["tables"])
    runs = build_plan(list(specs.values()), table_list, seed_list,
                      hp_profile or preset["hp_profile"], list(fractions or preset["fractions"]))
    runs = shard(runs, shard_spec)
    if only_run is not None:  # one task of a launched array: its run alone
        runs = [run for run in runs if f"{run.task}/{run.run_id}" == only_run]
        if not runs:
            raise ValueError(f"run {only_run} is not in the plan (task specs changed since it was submitted?)")
    summary = {"profile": profile, "runs": len(runs), "tasks": names, "out_dir": str(out_dir),
               "cache_dir": str(cache_dir)}
    probing, probe_why_not = probes_wanted(table_list, shard_spec, only_run, launcher)
    if probe_data is not None and "probes" not in table_list and process_rank() == 0:
        print("--probe-data: not read (the probes comparison is not among the tables; add --tables probes)",
              file=sys.stderr, flush=True)
    given_probe_data = None
    if probing:
        from elmo_eval.probes.data import ProbeDataError
        from elmo_eval.runner.probe_runs import check_probe_options, load_given_probe_data

        probe_options = check_probe_options(probe_options)
        try:  # before any training: a wrong folder fails fast
            given_probe_data = load_given_probe_data(probe_data, probe_options) if probe_data else None
        except ProbeDataError as error:
            raise UsageError(f"--probe-data: {str(error).splitlines()[0]}") from None
    elif probe_why_not and process_rank() == 0:
        print(f"probes: not run here: {probe_why_not}", file=sys.stderr, flush=True)
    if encoder_specs and (options or weights or bilm_dir or encoder is not None):
        raise ValueError("give encoders either as encoder specs or as options/weights/bilm_dir/encoder, not both")
    if dry_run:
        owners = planned_encoder_names(preset, encoder_specs, options, weights, bilm_dir, encoder, encoder_name)
        print_plan(runs, specs, preset, cache_dir, user_encoder, data_roots, out_dir, world_seed, owners)
        if probing:
            print("probes: per encoder after its runs (wsd where the data has senses, pos, nn), on "
                  + (f"{given_probe_data.name} data ({given_probe_data.source})" if given_probe_data is not None
                     else "the world's probe data (skipped for an encoder on real data: give --probe-data)")
                  + f", into {out_dir / 'runs' / '<encoder>' / 'probes'}")
        return summary
    # a worker's one run (an array task, a --jobs process) says nothing of stages: its caller times it
    main_call = process_rank() == 0 and only_run is None
    with StageClock(announce=main_call) as clock:
        summary = _run_encoders(summary, runs, specs, preset, cache_dir, out_dir, data_roots, trainer_options,
                                progress, report, significance_samples, launcher, encoder_specs, layer_policy,
                                probing, given_probe_data, probe_options, pool, main_call,
                                dict(options=options, weights=weights, bilm_dir=bilm_dir, encoder=encoder,
                                     encoder_name=encoder_name, glove=glove, world_seed=world_seed,
                                     use_world=use_world, shard_spec=shard_spec))
    if main_call and launcher is None:
        print("time per stage:\n" + clock.table(), file=sys.stderr, flush=True)
        if clock.computed:  # a rerun that only found everything done keeps the record of the one that computed
            summary["timings"] = str(write_timings(clock, out_dir, shard_spec))
    return summary


def write_timings(clock: StageClock, out_dir: Path, shard_spec: str | None) -> Path:
    """``timings.md`` in the results folder (one per shard of a sharded run), linked from its report."""
    if not shard_spec:
        return clock.write(out_dir / TIMINGS_FILE, f"Time per stage: {out_dir.name}")
    name = TIMINGS_FILE.replace(".md", f"-shard-{shard_spec.replace('/', '-of-')}.md")
    return clock.write(out_dir / name, f"Time per stage: {out_dir.name}, shard {shard_spec}")


def _run_encoders(summary: dict, runs, specs, preset, cache_dir: Path, out_dir: Path, data_roots, trainer_options,
                  progress: bool, report: bool, significance_samples: int, launcher, encoder_specs, layer_policy,
                  probing: bool, given_probe_data, probe_options, pool, main_call: bool, encoder_args: dict) -> dict:
    """Each encoder in turn: set up (world, pretraining, vectors), train its runs, its probes; then the report."""
    options, weights, bilm_dir, encoder = (encoder_args[k] for k in ("options", "weights", "bilm_dir", "encoder"))
    encoder_name, glove = encoder_args["encoder_name"], encoder_args["glove"]
    world_seed, use_world = encoder_args["world_seed"], encoder_args["use_world"]
    started = time.time()
    device = run_device(trainer_options)
    finished: dict[str, int] = {}
    probed: dict[str, str] = {}
    if launcher is not None and len(encoder_specs or []) > 1:
        raise UsageError("--launcher takes one encoder at a time")
    for encoder_spec in encoder_specs or [None]:
        setup = resolve_setup(preset, cache_dir, options=options, weights=weights, bilm_dir=bilm_dir,
                              encoder=encoder, encoder_name=None if encoder_specs and len(encoder_specs) > 1
                              else encoder_name, glove=glove, world_seed=world_seed, use_world=use_world,
                              progress=progress, encoder_spec=encoder_spec)
        if setup.encoder_id in finished:
            raise EncoderSpecError(f"two encoders are named {setup.encoder_id!r}; give one another name with name=...")
        # an array job's tasks put the encoder on their own devices; this (submitting) process may have none
        prepare_encoder(setup, device if launcher is None else "cpu")
        if main_call:
            import torch

            how = (f"{pool.jobs} runs at a time, {pool.threads} torch thread(s) each" if pool is not None
                   else f"torch threads: {torch.get_num_threads()}")
            print(f"encoder {setup.encoder_id}: {len(runs)} runs -> {out_dir} ({how})", file=sys.stderr, flush=True)
        if launcher is not None:  # the setup is prepared once, here; the array's tasks only reuse it
            summary.update(launcher(runs, specs, setup, data_roots))
            return summary
        if pool is not None:
            written = pool.run(runs, specs, setup, data_roots, layer_policy, encoder_spec)
        else:
            written = execute(runs, specs, setup, out_dir, cache_dir, data_roots, trainer_options, progress,
                              layer_policy)
        finished[setup.encoder_id] = len(written)
        if probing and process_rank() == 0:  # the other ranks of a multi-process run only train
            from elmo_eval.runner.probe_runs import run_encoder_probes

            with stage(f"probes of {setup.encoder_id}"):
                probed[setup.encoder_id] = run_encoder_probes(setup, out_dir, cache_dir, given_probe_data,
                                                              probe_options, progress)
        setup.encoder = None  # free its weights before the next encoder loads
    summary.update(finished=sum(finished.values()), seconds=time.time() - started,
                   encoder=", ".join(finished), encoders=finished)
    if probed:
        summary["probes"] = probed
    if report and process_rank() == 0:  # the other ranks of a multi-process run only train
        clock = current_clock()
        if clock is not None and clock.computed:  # written now so the report links it; again after, with its time
            write_timings(clock, out_dir, encoder_args.get("shard_spec"))
        with stage(f"report ({out_dir.name})", work=False):  # the name only: timings.md is committed
            summary["report"] = str(build_report(out_dir, name=out_dir.name, samples=significance_samples))
    return summary


def probes_wanted(tables: list[str], shard_spec: str | None, only_run: str | None, launcher) -> tuple[bool, str]:
    """Whether this call runs the probes comparison, and if not while it was asked for, why."""
    if "probes" not in tables:
        return False, ""
    if only_run is not None:  # an array job's task: its one training run (the submitting call said why)
        return False, ""
    if launcher is not None:
        return False, ("an array job runs training runs only; run `elmo-eval reproduce --tables probes` "
                       "without --launcher afterwards")
    if shard_spec and int(shard_spec.split("/")[0]) != 0:
        return False, f"shard {shard_spec}: the probes run in shard 0 only"
    return True, ""


class MissingDataError(UsageError):
    """An encoder other than the embedded default, and tasks with no real data: say how to get it."""

    def __init__(self, tasks: list[str]):
        self.tasks = tasks
        super().__init__(
            f"no real data for {', '.join(tasks)}: get it with `elmo-eval fetch NAME` (public sets) or "
            "`elmo-eval data check TASK PATH` (licensed ones), pass --data TASK=PATH, drop the task from --tasks, "
            "or pass --data world to evaluate on the generated world")


def planned_encoder_names(preset: dict, encoder_specs, options, weights, bilm_dir, encoder, encoder_name
                          ) -> list[str | None]:
    """The results folder of each encoder a call evaluates, as far as it is known without loading it
    (None where the name comes from the loaded model)."""
    from elmo_eval.encoders.spec import parse_encoder_spec, safe_name

    if encoder_specs:
        names = []
        for text in encoder_specs:
            parsed = parse_encoder_spec(text)
            named = parsed.options.get("name") or (encoder_name if len(encoder_specs) == 1 else None)
            if named is None and parsed.kind == "bilm":
                named = safe_name(Path(parsed.parts[0]).expanduser().resolve().name)
            names.append(named)
        return names
    if encoder is not None:
        return [encoder_name or type(encoder).__name__]
    if bilm_dir is not None:
        return [encoder_name or Path(bilm_dir).name]
    if options is not None or weights is not None:
        return [encoder_name or Path(weights).stem]
    return [f"world-bilm-{preset['bilm_preset']}"]


def print_plan(runs, specs, preset, cache_dir: Path, user_encoder: bool, data_roots: dict, out_dir: Path,
               world_seed: int = 0, encoders: list[str | None] | None = None) -> None:
    """What ``--dry-run`` prints: the runs per task and table, the data each task reads, how many of
    its runs are already in ``out_dir``, and the caches they need."""
    from collections import Counter

    from elmo_eval.runner.execute import data_fingerprint
    from elmo_eval.runner.results import RESULT_FILE

    print(f"{len(runs)} runs (hp profile {runs[0].hp_profile if runs else '-'}, "
          f"seeds {sorted({r.seed for r in runs})})")
    per_table = Counter(t for r in runs for t in r.tables)
    print("per table/figure: " + ", ".join(f"{t}={n}" for t, n in sorted(per_table.items())))
    world = cache_dir / f"world-{preset['world_size']}-seed{world_seed}"
    for task, spec in specs.items():
        task_runs = [r for r in runs if r.task == task]
        if not task_runs:
            continue
        reps = sorted({f"{r.rep.name}@{r.rep.placement}" + (f"[{r.variant}]" if r.variant else "")
                       for r in task_runs})
        # a baseline run is shared by every encoder; an encoder's runs are counted in its own folder only
        done = sum(any((out_dir / "runs").glob(f"baseline-*/{task}/{r.run_id}/{RESULT_FILE}"))
                   for r in task_runs if not r.reads_encoder)
        own = [r for r in task_runs if r.reads_encoder]
        counts = [f"{sum((out_dir / 'runs' / name / task / r.run_id / RESULT_FILE).is_file() for r in own)} "
                  f"of {len(own)} for {name}" for name in (encoders or []) if name]
        if task in data_roots:
            paths = split_paths(spec, data_roots[task])
            present = {k: p for k, p in paths.items() if p.exists()}
            data = (f"real data {', '.join(f'{k}={p}' for k, p in paths.items())}; sha256 "
                    + (data_fingerprint(present)[:12] if len(present) == len(paths) else "- (files missing)"))
        else:
            data = f"generated world {world.name}"
        unknown = " (encoder runs: the encoder's name is known once it loads)" if None in (encoders or []) else ""
        print(f"  {task}: {len(task_runs)} runs per encoder; with result files in {out_dir}: "
              f"{done} of {len(task_runs) - len(own)} baseline{', ' if counts else ''}{', '.join(counts)}{unknown}: "
              f"{', '.join(reps)}")
        print(f"    data: {data}")
    elmo_tasks = sorted({r.task for r in runs if r.rep.elmo})
    print(f"layer caches needed (one per task, shared by all its runs): {', '.join(elmo_tasks) or 'none'}")
    if not user_encoder:
        bilms = sorted(cache_dir.glob(f"bilm-{preset['bilm_preset']}-{world.name}-*/weights.hdf5"))
        print(f"world: {world} ({'cached' if (world / 'world.json').exists() else 'to generate'}); "
              f"biLM: {'cached' if bilms and (world / 'world.json').exists() else 'to pretrain'} "
              f"(preset {preset['bilm_preset']})")

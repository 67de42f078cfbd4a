"""``reproduce``: plan, run and report in one call (the Python face of ``elmo-eval reproduce``)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from elmo_eval.runner.encoders import (
    EncoderSetup,
    default_cache_dir,
    default_world_setup,
    load_official,
    prepare_world,
    world_vectors,
)
from elmo_eval.runner.execute import execute
from elmo_eval.runner.plan import FIGURE1_TASKS_DEFAULT, build_plan, shard
from elmo_eval.runner.presets import PRESETS
from elmo_eval.runner.report import build_report
from elmo_eval.specs import available_specs, load_spec
from elmo_eval.word_vectors import PretrainedVectors


def resolve_setup(profile: dict, cache_dir: Path, *, options=None, weights=None, bilm_dir=None, encoder=None,
                  encoder_name=None, glove=None, world_seed: int = 0, use_world: bool = True,
                  progress: bool = True) -> EncoderSetup:
    """The encoder under evaluation and the data it runs on (see :mod:`elmo_eval.runner.encoders`).

    Without a biLM or encoder, a tiny biLM is pretrained on the generated world. With one, the runs
    use the generated world too unless ``use_world`` is False (real data given per task).
    """
    vectors = PretrainedVectors.from_file(glove) if glove else None
    if bilm_dir is not None:
        options, weights = Path(bilm_dir) / "options.json", Path(bilm_dir) / "weights.hdf5"
    if options is None and weights is None and encoder is None:
        setup = default_world_setup(cache_dir, profile["world_size"], world_seed, profile["bilm_preset"], progress)
        setup.vectors = vectors or setup.vectors
        return setup
    if encoder is None:
        if options is None or weights is None:
            raise ValueError("--options and --weights go together")
        encoder = load_official(options, weights)
        name = encoder_name or (Path(bilm_dir).name if bilm_dir else Path(weights).stem)
        description = {"kind": "biLM files", "options": str(options), "weights": str(weights)}
    else:
        name = encoder_name or type(encoder).__name__
        description = {"kind": "user encoder", "class": type(encoder).__name__}
    world_dir = None
    if use_world:
        world_dir, _ = prepare_world(cache_dir, profile["world_size"], world_seed)
        vectors = vectors or world_vectors(world_dir, world_seed)
        description["world"] = str(world_dir)
    return EncoderSetup(name, encoder, vectors, world_dir, description)


def reproduce(profile: str = "default", *, out_dir=None, cache_dir=None, tasks=None, tables=None, seeds=None,
              hp_profile=None, fractions=None, figure1_tasks=FIGURE1_TASKS_DEFAULT, options=None, weights=None,
              bilm_dir=None, encoder=None, encoder_name=None, glove=None, data_roots=None, world_seed: int = 0,
              shard_spec: str | None = None, dry_run: bool = False, trainer_options=None, progress: bool = True,
              report: bool = True, significance_samples: int = 10000, world_size: str | None = None,
              layers: str = "auto", cache_disk_share: float | None = None) -> dict:
    """Plan the matrix, run what is not finished, rebuild the report. Returns a summary dict.

    ``layers``: ``cache``, ``on-the-fly`` or ``auto`` (on the fly when a task's cache would take
    more than ``cache_disk_share`` of the free disk); see :mod:`elmo_eval.runner.layer_mode`."""
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
    names = list(specs)
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds or preset["seeds"])
    runs = build_plan(list(specs.values()), list(tables or preset["tables"]), seed_list,
                      hp_profile or preset["hp_profile"], list(fractions or preset["fractions"]), figure1_tasks)
    runs = shard(runs, shard_spec)
    summary = {"profile": profile, "runs": len(runs), "tasks": names, "out_dir": str(out_dir),
               "cache_dir": str(cache_dir)}
    if dry_run:
        print_plan(runs, specs, preset, cache_dir, options or bilm_dir or encoder)
        return summary
    started = time.time()
    setup = resolve_setup(preset, cache_dir, options=options, weights=weights, bilm_dir=bilm_dir, encoder=encoder,
                          encoder_name=encoder_name, glove=glove, world_seed=world_seed,
                          use_world=not data_roots, progress=progress)
    print(f"encoder {setup.encoder_id}: {len(runs)} runs -> {out_dir}", file=sys.stderr, flush=True)
    roots = {k: v if isinstance(v, dict) else Path(v) for k, v in (data_roots or {}).items()}
    written = execute(runs, specs, setup, out_dir, cache_dir, roots,
                      trainer_options, progress, layer_policy)
    summary.update(finished=len(written), seconds=time.time() - started, encoder=setup.encoder_id)
    if report:
        summary["report"] = str(build_report(out_dir, name=profile, samples=significance_samples))
    return summary


def print_plan(runs, specs, preset, cache_dir: Path, user_encoder) -> None:
    """What ``--dry-run`` prints: the runs per task and table, and the caches they need."""
    from collections import Counter

    print(f"{len(runs)} runs (hp profile {runs[0].hp_profile if runs else '-'}, "
          f"seeds {sorted({r.seed for r in runs})})")
    per_table = Counter(t for r in runs for t in r.tables)
    print("per table/figure: " + ", ".join(f"{t}={n}" for t, n in sorted(per_table.items())))
    for task in specs:
        task_runs = [r for r in runs if r.task == task]
        if task_runs:
            reps = sorted({f"{r.rep.name}@{r.rep.placement}" + (f"[{r.variant}]" if r.variant else "")
                           for r in task_runs})
            print(f"  {task}: {len(task_runs)} runs: {', '.join(reps)}")
    elmo_tasks = sorted({r.task for r in runs if r.rep.elmo})
    print(f"layer caches needed (one per task, shared by all its runs): {', '.join(elmo_tasks) or 'none'}")
    if not user_encoder:
        world = cache_dir / f"world-{preset['world_size']}-seed0"
        bilms = sorted(cache_dir.glob(f"bilm-{preset['bilm_preset']}-{world.name}-*/weights.hdf5"))
        print(f"world: {world} ({'cached' if (world / 'world.json').exists() else 'to generate'}); "
              f"biLM: {'cached' if bilms and (world / 'world.json').exists() else 'to pretrain'} "
              f"(preset {preset['bilm_preset']})")

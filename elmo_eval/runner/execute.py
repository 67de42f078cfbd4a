"""Run a planned matrix: shared layer caches, one Lightning run each, atomic result files, resume."""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from elmo_eval.io import atomic_write_json, sha256_of
from elmo_eval.readers.splits import split_dev
from elmo_eval.runner.data import split_paths
from elmo_eval.runner.encoders import EncoderSetup
from elmo_eval.runner.plan import PlannedRun
from elmo_eval.runner.results import (
    RESULT_FILE,
    STATISTICS_FILE,
    CorruptResultError,
    read_result,
    versions,
    write_statistics,
)
from elmo_eval.runner.resultset import floor_reason
from elmo_eval.runner.stages import record as record_stage
from elmo_eval.runner.stages import stage
from elmo_eval.specs import TaskSpec
from elmo_eval.training.fields import flatten_text
from elmo_eval.training.fit import train_and_evaluate

log = logging.getLogger(__name__)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _reads_world(spec: TaskSpec, setup: EncoderSetup, data_roots: dict) -> bool:
    return setup.world_dir is not None and spec.name not in data_roots


def task_data_paths(spec: TaskSpec, setup: EncoderSetup, data_roots: dict) -> dict[str, Path]:
    """The files (or folders) of a task's splits: the world's, or the real data under ``data_roots``."""
    if _reads_world(spec, setup, data_roots):
        paths = spec.split_paths(setup.world_dir, world=True)
    elif spec.name in data_roots:
        paths = split_paths(spec, data_roots[spec.name])
    else:
        raise FileNotFoundError(
            f"no data for task {spec.name!r}: pass --data {spec.name}=PATH, `elmo-eval fetch` it or register "
            "a licensed copy with `elmo-eval data check` (see docs/data.md)"
        )
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        raise FileNotFoundError(f"task {spec.name!r}: missing data files {missing}")
    return paths


def data_fingerprint(paths: dict[str, Path]) -> str:
    """sha256 over every split's bytes (a folder split: each file under it, by relative path)."""
    digest = hashlib.sha256()
    for split, path in sorted(paths.items()):
        files = sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
        for file in files:
            name = file.relative_to(path).as_posix() if path.is_dir() else path.name
            digest.update(f"{split}\x1f{name}\x1f{sha256_of(file)}\n".encode())
    return digest.hexdigest()


def data_source(setup: EncoderSetup, world: bool, paths: dict[str, Path]) -> dict:
    """Which data a task's runs read, for result files and reports (no machine paths): the generated
    world (its generator version, size and seed) or real files (their names)."""
    if world:
        world = json.loads((setup.world_dir / "world.json").read_text(encoding="utf-8"))
        return {"kind": "world", "version": world.get("generator_version"), "size": world.get("size"),
                "seed": world.get("seed")}
    return {"kind": "real", "files": {split: path.name for split, path in sorted(paths.items())}}


class TaskData:
    """Reads a task's splits once and builds its layer cache once per encoder."""

    def __init__(self, spec: TaskSpec, setup: EncoderSetup, data_roots: dict, cache_dir: Path,
                 profile_options: dict | None = None):
        self.spec, self.setup, self.cache_dir = spec, setup, cache_dir
        # a registered copy may say which of the task's formats its files are in (SRL: CoNLL-2005 or 2012);
        # a hyperparameter profile may set data options too (sentence-level SST at CPU size)
        options = task_options(spec, data_roots, profile_options)
        self.task = spec.build_task(**options)
        world = _reads_world(spec, setup, data_roots)
        self.paths = paths = task_data_paths(spec, setup, data_roots)
        self.source = data_source(setup, world, paths)
        if not world and options.get("format"):  # which of the task's formats (datasets) the files are in
            self.source["format"] = options["format"]
        self.splits = {name: self.task.read(path) for name, path in paths.items()}
        if "dev" not in self.splits and spec.data.get("dev_from_train") and not world:
            # datasets without a dev split (AG News): a seeded slice of train, held out from training
            self.splits["train"], self.splits["dev"] = split_dev(
                self.splits["train"], float(spec.data["dev_from_train"]), seed=0
            )
        self._layers = None
        self.layer_mode: dict | None = None

    def sentences(self) -> list[list[str]]:
        """Every sentence the encoder must see for this task: all training instances and eval instances."""
        out: dict[tuple, None] = {}
        for name, examples in self.splits.items():
            instances = (
                self.task.training_instances(examples) if name == "train" else self.task.eval_instances(examples)
            )
            for inst in instances:
                for text in self.task.texts(inst).values():
                    for sent in flatten_text(text)[1]:
                        out.setdefault(tuple(sent))
        return [list(s) for s in out if len(s)]

    def layers(self, progress: bool, policy=None, trainer_options: dict | None = None):
        """The task's layer source, made once: a cache built (or reused) under ``cache_dir`` and
        streamed, or the live biLM (see :mod:`elmo_eval.runner.layer_mode`). The biLM runs on the
        trainer's accelerator for both. ``self.layer_mode`` describes the choice (for the record)."""
        if self._layers is None:
            from elmo_eval.cache import LayerCache
            from elmo_eval.runner.layer_mode import (
                LayerPolicy,
                bilm_device,
                choose_layer_mode,
                estimated_cache_bytes,
            )
            from elmo_eval.training.layers import CachedLayers, LiveLayers

            policy = policy or LayerPolicy()
            encoder = self.setup.encoder
            device = bilm_device(trainer_options)
            # the storage dtype is in the name: a float32 cache is never read as a float16 one
            name = f"{self.spec.name}.{policy.dtype}.h5"
            path = self.cache_dir / "layers" / self.setup.encoder_fingerprint[:16] / name
            sentences = self.sentences()
            estimate = estimated_cache_bytes(sentences, encoder.num_layers, encoder.output_dim, policy.dtype)
            mode, reason = choose_layer_mode(policy, path, estimate)
            if mode == "on-the-fly":
                self._layers = LiveLayers(encoder, device=device)
                self.layer_mode = {"mode": mode, "device": device, "reason": reason}
                _say(f"  layers on the fly on {device} ({reason})")
                return self._layers
            if isinstance(encoder, torch.nn.Module):
                encoder.to(device)
            path.parent.mkdir(parents=True, exist_ok=True)
            started = time.time()
            with stage(f"layer cache: {self.spec.name} ({len(sentences)} sentences)", computed=not path.exists()):
                cache = LayerCache.build(path, encoder, sentences, dtype=policy.dtype, progress=progress)
            self._layers = CachedLayers(cache)
            self.layer_mode = {"mode": mode, "dtype": policy.dtype, "streamed": not cache.preloaded,
                               "reason": reason}
            _say(f"  layer cache {path} ({len(sentences)} sentences, {policy.dtype}, "
                 f"{'streamed' if not cache.preloaded else 'in RAM'}, {time.time() - started:.1f}s)")
        return self._layers


def task_options(spec: TaskSpec, data_roots: dict, profile_options: dict | None = None) -> dict:
    """The data options a task is built with: the data location's (a registered copy's format) and
    the profile's ``[data]`` over the spec's ``[data.options]``."""
    location = data_roots.get(spec.name)
    return {**(location.get("options", {}) if isinstance(location, dict) else {}), **(profile_options or {})}


def non_default_options(spec: TaskSpec) -> dict:
    """The spec's ``[data.options]`` that differ from its Task class's defaults: they change what a run
    reads (SST's ``use_subtrees``), so they are part of its digest; options left at their defaults
    are not, so a spec that only spells its defaults out keeps its finished runs."""
    options = spec.data.get("options", {})
    if not options or spec.task_class is None:
        return {}
    params = inspect.signature(spec.task_class.__init__).parameters
    return {k: v for k, v in sorted(options.items()) if k not in params or params[k].default != v}


def run_owner(setup: EncoderSetup, run: PlannedRun) -> str:
    """The results folder a run belongs to: the encoder's, or, for a run that reads no encoder (the
    word-only baseline), one shared by every encoder with the same word vectors, so that the baseline
    is trained once per task, seed and data and never once per encoder."""
    if run.reads_encoder:
        return setup.encoder_id
    return f"baseline-{(setup.vectors_fingerprint or 'random-vectors')[:10]}"


def run_dir(out_dir: Path, owner: str, run: PlannedRun) -> Path:
    return out_dir / "runs" / owner / run.task / run.run_id


def inputs_digest(hp: dict, encoder_fingerprint: str | None, vectors_fingerprint: str | None,
                  data_fingerprint: str | None = None) -> str:
    """What a run's result was computed from: its hyperparameters, the encoder's weights, the
    baseline's word vectors and the task's data files. A finished run is only reused when this
    matches (a changed task spec, a regenerated world or split, another biLM under the same encoder
    name means training again)."""
    key = json.dumps({"hp": hp, "encoder": encoder_fingerprint, "vectors": vectors_fingerprint,
                      "data": data_fingerprint}, sort_keys=True, default=str)
    return hashlib.sha1(key.encode()).hexdigest()


def run_inputs(run: PlannedRun, spec: TaskSpec, setup: EncoderSetup, data_digest: str) -> tuple[dict, str]:
    """A run's hyperparameters and the digest of what its result is computed from (also used by
    :mod:`elmo_eval.runner.launch` to submit only unfinished runs)."""
    hp = spec.variant_hp(run.variant, run.hp_profile) if run.variant else spec.hp(run.hp_profile)
    if run.fraction >= 1.0 and "subset_updates" in hp["trainer"]:
        # it only changes runs on a fraction of the training set: not part of a full run's record or digest
        hp = {**hp, "trainer": {k: v for k, v in hp["trainer"].items() if k != "subset_updates"}}
    encoder_fingerprint = setup.encoder_fingerprint if run.reads_encoder else None
    keyed_hp = dict(hp)
    # the rerun policy changes what a run may end up as: part of the digest when a spec sets it
    if spec.setup.get("rerun_degenerate"):
        keyed_hp["_rerun_degenerate"] = spec.setup["rerun_degenerate"]
    spec_options = non_default_options(spec)
    if spec_options:  # the profile's own data options are in hp["data"] already
        keyed_hp["_data_options"] = spec_options
    return hp, inputs_digest(keyed_hp, encoder_fingerprint, setup.vectors_fingerprint, data_digest)


def result_state(result_file: Path, digest: str) -> tuple[str, str]:
    """Whether a planned run is done: ``("done" | "other" | "corrupt" | "absent", why)``.

    ``done``: the result file was computed from the inputs ``digest`` names; ``other``: from other
    inputs; ``corrupt``: it cannot be read as a result (cut off, not JSON, incomplete; ``why`` says
    so, naming the file). Only ``done`` is reused: the others are trained again and their file is
    replaced atomically once the run finishes, so a bad file never stands in for a finished run and
    a finished run's file is never left half-written.
    """
    try:
        record = read_result(result_file)
    except FileNotFoundError:
        return "absent", ""
    except CorruptResultError as error:
        return "corrupt", str(error)
    except OSError as error:
        return "corrupt", f"{result_file}: not a readable result file ({error.strerror or error})"
    return ("done", "") if record.get("inputs_digest") == digest else ("other", "")


def _finished_with(result_file: Path, digest: str) -> bool:
    """Whether ``result_file`` exists, is readable and was computed from the inputs ``digest`` names."""
    return result_state(result_file, digest)[0] == "done"


def process_rank() -> int:
    """This process's global rank: 0 unless a launcher (Lightning's DDP subprocesses, SLURM, torchrun)
    started it as another member of a multi-process run."""
    for name in ("RANK", "SLURM_PROCID", "LOCAL_RANK"):
        if os.environ.get(name, "").isdigit():
            if name == "LOCAL_RANK":  # Lightning's subprocess launcher sets LOCAL_RANK and NODE_RANK
                per_node = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ.get("WORLD_SIZE", "1")) or 1)
                return int(os.environ.get("NODE_RANK", "0")) * per_node + int(os.environ[name])
            return int(os.environ[name])
    return 0


def execute(
    runs: Sequence[PlannedRun],
    specs: dict[str, TaskSpec],
    setup: EncoderSetup,
    out_dir: Path,
    cache_dir: Path,
    data_roots: dict[str, Path] | None = None,
    trainer_options: dict | None = None,
    progress: bool = True,
    layer_policy=None,
) -> list[Path]:
    """Train and evaluate every run not already finished; returns the result files.

    With several processes (``--devices N``), every rank walks the same plan in the same order,
    because each ``Trainer.fit`` is a collective call; only rank 0 clears work folders, writes
    result files and predictions, and says what it does.
    """
    is_main = process_rank() == 0
    say = _say if is_main else (lambda message: None)
    data: dict[tuple[str, str], TaskData] = {}  # per task and profile data options
    data_fingerprints: dict[str, str] = {}  # hashed once per task, before its data is read
    written = []
    total = len(runs)
    for position, run in enumerate(runs, 1):
        owner = run_owner(setup, run)
        target = run_dir(out_dir, owner, run)
        label = (
            f"[{position}/{total}] {run.task} {run.rep.name} @{run.rep.placement} f={run.fraction:g} seed={run.seed}"
        )
        spec = specs[run.task]
        if run.task not in data_fingerprints:
            data_fingerprints[run.task] = data_fingerprint(task_data_paths(spec, setup, data_roots or {}))
        hp, digest = run_inputs(run, spec, setup, data_fingerprints[run.task])
        state, why = result_state(target / RESULT_FILE, digest)
        if state == "done":
            say(f"{label}: done already, skipped")
            record_stage(label, 0.0, computed=False)
            written.append(target / RESULT_FILE)
            continue
        if state == "other":
            say(f"{label}: finished earlier with other hyperparameters, encoder or word vectors; training again")
        elif state == "corrupt":
            say(f"{label}: {why}; training again (the file is replaced when the run finishes)")
        else:
            say(f"{label}: training")
        data_key = (run.task, json.dumps(hp.get("data", {}), sort_keys=True))
        if data_key not in data:
            data[data_key] = TaskData(spec, setup, data_roots or {}, cache_dir, hp.get("data"))
        task_data = data[data_key]
        layer_source = task_data.layers(progress and is_main, layer_policy, trainer_options) if run.rep.elmo else None
        work = cache_dir / "work" / owner / run.task / run.run_id
        if is_main and work.exists():
            shutil.rmtree(work)  # an interrupted earlier attempt: start this run afresh
        started = time.time()
        torch.set_num_threads(max(1, torch.get_num_threads()))
        reruns = int(spec.setup.get("rerun_degenerate", 0)) if single_process(trainer_options) else 0
        with stage(f"run {run.task} {run.rep.name} @{run.rep.placement} f={run.fraction:g} seed={run.seed}",
                   announce=False):
            result = _train_with_reruns(run, spec, task_data, layer_source, hp, work, setup, trainer_options,
                                        progress and is_main, reruns, say, label)
        if not is_main:
            continue  # rank 0 scored the run and writes its result
        record = _write_result(target, work, run, spec, setup, owner, task_data, hp, digest,
                               data_fingerprints[run.task], result, started)
        written.append(target / RESULT_FILE)
        main = record["metrics"].get("test", record["metrics"].get("dev", {})).get(spec.metric)
        say(f"{label}: {spec.metric}={main:.2f} ({record['wall_seconds']:.0f}s)")
    return written


RERUN_SEED_STEP = 1000


def _train_with_reruns(run: PlannedRun, spec: TaskSpec, task_data: TaskData, layer_source, hp: dict, work: Path,
                       setup: EncoderSetup, trainer_options: dict | None, progress: bool, reruns: int, say,
                       label: str) -> dict:
    """Train and score one planned run; a degenerate result is trained again up to ``reruns`` times."""
    is_main = process_rank() == 0
    for attempt in range(reruns + 1):
        # a rerun takes the next seed outside the plan's (seed + 1000 k): the planned seed stays the
        # run's name and its pairing in the significance test
        trained_seed = run.seed + RERUN_SEED_STEP * attempt
        result = train_and_evaluate(
            task_data.task,
            task_data.splits,
            run.rep,
            hp,
            work,
            layer_source=layer_source,
            vectors=setup.vectors,
            seed=trained_seed,
            train_fraction=run.fraction,
            trainer_options=trainer_options,
            progress=progress,
        )
        result["trained_seed"], result["reruns"] = trained_seed, attempt
        result["degenerate"] = degenerate_reason(result, spec.metric) if is_main else None
        if not result["degenerate"] or attempt == reruns:
            break
        say(f"{label}: degenerate ({result['degenerate']}); training again with seed {trained_seed + 1000}")
        shutil.rmtree(work, ignore_errors=True)
    return result


def single_process(trainer_options: dict | None) -> bool:
    """Reruns decide on rank 0's scores, which the other ranks of a multi-process run never see."""
    options = trainer_options or {}
    return options.get("devices", 1) in (1, "1", None) and int(options.get("num_nodes", 1) or 1) == 1


def degenerate_reason(result: dict, metric: str) -> str | None:
    """Why a finished run counts as diverged or degenerate (None if it does not): a constant prediction
    for every evaluation instance, or a dev metric that never left its floor (0)."""
    predictions = result.get("predictions", {})
    evaluated = predictions.get("test") or predictions.get("dev")
    if evaluated and constant_prediction(evaluated[1]):
        return "one constant prediction for every evaluation instance"
    return floor_reason(result.get("dev_history", []), metric)


def constant_prediction(predictions) -> bool:
    """Whether a system gave every instance the same answer: one class for all pairs, no clusters for
    any document, or one tag for every token of every sentence (a head stuck at a degenerate solution)."""
    if len(predictions) < 2:
        return False
    first = predictions[0]
    if all(p == first for p in predictions):
        return True
    items = [x for p in predictions if isinstance(p, (list, tuple)) for x in p]
    if not all(isinstance(p, (list, tuple)) for p in predictions) or not all(isinstance(x, (str, int)) for x in items):
        return False
    return len(set(items)) == 1


def _write_result(target: Path, work: Path, run: PlannedRun, spec: TaskSpec, setup: EncoderSetup, owner: str,
                  task_data: TaskData, hp: dict, digest: str, fingerprint: str, result: dict,
                  started: float) -> dict:
    """Copy a finished run's predictions and log out of its work folder and write its result file
    (last: its presence marks the run finished). Everything written is data: JSON, CSV and the
    official scorers' prediction files; no machine paths."""
    task = task_data.task
    predictions = result.pop("predictions")
    statistics = {
        split: task.score_statistics(instances, preds) for split, (instances, preds) in predictions.items()
    }
    record = {
        **run.describe(),
        "encoder": owner,
        "encoder_description": setup.description if run.reads_encoder else {
            "kind": "word-only baseline", "word_vectors": setup.description.get("baseline_vectors")},
        "encoder_fingerprint": setup.encoder_fingerprint if run.reads_encoder else None,
        "vectors_fingerprint": setup.vectors_fingerprint,
        "hp": hp,
        "inputs_digest": digest,
        "metric": spec.metric,
        "metric_label": spec.metric_label,
        "spec": spec.snapshot(),
        "data_source": {**task_data.source, "fingerprint": fingerprint},
        "layers": task_data.layer_mode if run.reads_encoder else None,
        **result,
        "wall_seconds": time.time() - started,
        "versions": versions(),
    }
    target.mkdir(parents=True, exist_ok=True)
    if task.statistics_aggregate and all(v is not None for v in statistics.values()):
        write_statistics(target / STATISTICS_FILE, task.statistics_aggregate, statistics)
        record["statistics"] = {"file": STATISTICS_FILE, "aggregate": task.statistics_aggregate}
    for name in ("dev", "test"):
        src = work / "predictions" / f"{name}{task.predictions_suffix}"
        if src.exists():
            shutil.copyfile(src, target / src.name)
    metrics_csv = work / "logs" / "metrics.csv"
    if metrics_csv.exists():
        shutil.copyfile(metrics_csv, target / "training_log.csv")
    atomic_write_json(target / RESULT_FILE, record, default=str)
    shutil.rmtree(work, ignore_errors=True)
    return record

"""Run a planned matrix: shared layer caches, one Lightning run each, atomic result files, resume."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from elmo_eval.assets.download import sha256_of
from elmo_eval.readers.splits import split_dev
from elmo_eval.runner.data import split_paths
from elmo_eval.runner.encoders import EncoderSetup
from elmo_eval.runner.plan import PlannedRun
from elmo_eval.runner.results import (
    PREDICTIONS_FILE,
    RESULT_FILE,
    atomic_write_json,
    versions,
    write_predictions_pickle,
)
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


class TaskData:
    """Reads a task's splits once and builds its layer cache once per encoder."""

    def __init__(self, spec: TaskSpec, setup: EncoderSetup, data_roots: dict, cache_dir: Path):
        self.spec, self.setup, self.cache_dir = spec, setup, cache_dir
        self.task = spec.build_task()
        world = _reads_world(spec, setup, data_roots)
        self.paths = paths = task_data_paths(spec, setup, data_roots)
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
            cache = LayerCache.build(path, encoder, sentences, dtype=policy.dtype, progress=progress)
            self._layers = CachedLayers(cache)
            self.layer_mode = {"mode": mode, "dtype": policy.dtype, "streamed": not cache.preloaded,
                               "reason": reason}
            _say(f"  layer cache {path} ({len(sentences)} sentences, {policy.dtype}, "
                 f"{'streamed' if not cache.preloaded else 'in RAM'}, {time.time() - started:.1f}s)")
        return self._layers


def run_dir(out_dir: Path, encoder_id: str, run: PlannedRun) -> Path:
    return out_dir / "runs" / encoder_id / run.task / run.run_id


def inputs_digest(hp: dict, encoder_fingerprint: str | None, vectors_fingerprint: str | None,
                  data_fingerprint: str | None = None) -> str:
    """What a run's result was computed from: its hyperparameters, the encoder's weights, the
    baseline's word vectors and the task's data files. A finished run is only reused when this
    matches (a changed task spec, a regenerated world or split, another biLM under the same encoder
    name means training again)."""
    key = json.dumps({"hp": hp, "encoder": encoder_fingerprint, "vectors": vectors_fingerprint,
                      "data": data_fingerprint}, sort_keys=True, default=str)
    return hashlib.sha1(key.encode()).hexdigest()


def _finished_with(result_file: Path, digest: str) -> bool:
    """Whether ``result_file`` exists and was computed from the inputs ``digest`` names."""
    try:
        return json.loads(result_file.read_text(encoding="utf-8")).get("inputs_digest") == digest
    except (OSError, ValueError):
        return False


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
    """Train and evaluate every run not already finished; returns the result files."""
    data: dict[str, TaskData] = {}
    data_fingerprints: dict[str, str] = {}  # hashed once per task, before its data is read
    written = []
    total = len(runs)
    for position, run in enumerate(runs, 1):
        target = run_dir(out_dir, setup.encoder_id, run)
        label = (
            f"[{position}/{total}] {run.task} {run.rep.name} @{run.rep.placement} f={run.fraction:g} seed={run.seed}"
        )
        spec = specs[run.task]
        hp = spec.variant(run.variant, run.hp_profile)[1] if run.variant else spec.hp(run.hp_profile)
        if run.task not in data_fingerprints:
            data_fingerprints[run.task] = data_fingerprint(task_data_paths(spec, setup, data_roots or {}))
        digest = inputs_digest(hp, setup.encoder_fingerprint, setup.vectors_fingerprint, data_fingerprints[run.task])
        if _finished_with(target / RESULT_FILE, digest):
            _say(f"{label}: done already, skipped")
            written.append(target / RESULT_FILE)
            continue
        if (target / RESULT_FILE).exists():
            _say(f"{label}: finished earlier with other hyperparameters, encoder or word vectors; training again")
        else:
            _say(f"{label}: training")
        if run.task not in data:
            data[run.task] = TaskData(spec, setup, data_roots or {}, cache_dir)
        task_data = data[run.task]
        layer_source = task_data.layers(progress, layer_policy, trainer_options) if run.rep.elmo else None
        work = cache_dir / "work" / setup.encoder_id / run.task / run.run_id
        if work.exists():
            shutil.rmtree(work)  # an interrupted earlier attempt: start this run afresh
        started = time.time()
        torch.set_num_threads(max(1, torch.get_num_threads()))
        result = train_and_evaluate(
            task_data.task,
            task_data.splits,
            run.rep,
            hp,
            work,
            layer_source=layer_source,
            vectors=setup.vectors,
            seed=run.seed,
            train_fraction=run.fraction,
            trainer_options=trainer_options,
            progress=progress,
        )
        predictions = result.pop("predictions")
        record = {
            **run.describe(),
            "encoder": setup.encoder_id,
            "encoder_description": setup.description,
            "hp": hp,
            "inputs_digest": digest,
            "metric": spec.metric,
            "metric_label": spec.metric_label,
            "data": {k: str(v) for k, v in task_data.paths.items()},
            **result,
            "wall_seconds": time.time() - started,
            "versions": versions(),
        }
        if "test" in predictions:
            write_predictions_pickle(target / PREDICTIONS_FILE, *predictions["test"])
        for name in ("dev", "test"):
            src = work / "predictions" / f"{name}{task_data.task.predictions_suffix}"
            if src.exists():
                target.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target / src.name)
        metrics_csv = work / "logs" / "metrics.csv"
        if metrics_csv.exists():
            shutil.copyfile(metrics_csv, target / "training_log.csv")
        atomic_write_json(target / RESULT_FILE, record)  # last: its presence marks the run finished
        shutil.rmtree(work, ignore_errors=True)
        main = record["metrics"].get("test", record["metrics"].get("dev", {})).get(spec.metric)
        _say(f"{label}: {spec.metric}={main:.2f} ({record['wall_seconds']:.0f}s)")
        written.append(target / RESULT_FILE)
    return written

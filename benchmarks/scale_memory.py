"""Memory and time of feeding ELMo layers to a head at scale: streamed caches, and the biLM on the fly.

Run: ``python benchmarks/scale_memory.py [--parts scale otf small] [--dir /tmp]`` (one torch thread).
Writes ``results/benchmarks/scale_memory.json`` (a part run alone replaces only its own entry).

Parts (each measurement runs in its own subprocess, so ``ru_maxrss`` is that run's peak RSS):

- ``scale``: synthetic float16 caches of 0.5, 1, 2 and 4 GB in the original ELMo shape (3 layers
  x 1024), written batch by batch (building one never holds it in memory); one training epoch
  plus a dev pass of a small head (mean-pooled scalar mix -> linear classifier, batch 32) reading
  them through :class:`~elmo_eval.training.layers.CachedLayers`. Targets: peak RSS within 10% from
  the smallest to the largest cache and under 3 GiB. For contrast, the whole-file load (the
  runner's behaviour before streaming) at 0.5 and 1 GB, and its epoch time.
- ``otf``: the full-size ELMo architecture (random weights written in the original
  ``options.json`` + ``weights.hdf5`` layout and loaded back, 93.6M parameters) run on the fly
  inside each step (:class:`~elmo_eval.training.layers.LiveLayers`) for one epoch over 1,000
  passages of 120-150 tokens (SQuAD length) and a dev pass over 32 of them, same head. Target:
  peak RSS under 4 GiB.
- ``small``: at the ``small`` pretraining preset's architecture (random weights), one epoch from
  a float16 cache (and the cache's build time) vs one epoch on the fly, 3,000 sentences of 10-40
  tokens.

The synthetic caches are deleted after each measurement. The committed JSON was measured with
``--parts scale``, ``--parts otf --otf-fraction 0.064`` (a full-size epoch over 1,000 passages
takes hours on a shared 2-core CPU; 64 passages = 2 full batches) and ``--parts small``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
OUT_FILE = PROJECT_ROOT / "results" / "benchmarks" / "scale_memory.json"
GIB = 2**30
ELMO_LAYERS, ELMO_DIM = 3, 1024
FULL_OPTIONS = {
    "lstm": {"cell_clip": 3, "use_skip_connections": True, "n_layers": 2, "proj_clip": 3,
             "projection_dim": 512, "dim": 4096},
    "char_cnn": {"embedding": {"dim": 16},
                 "filters": [[1, 32], [2, 32], [3, 64], [4, 128], [5, 256], [6, 512], [7, 1024]],
                 "n_highway": 2, "n_characters": 262, "max_characters_per_token": 50, "activation": "relu"},
}
HP = {"lr": 1e-3, "batch_size": 32, "eval_batch_size": 32, "max_epochs": 1, "patience": 1}
DEV_SIZE = 256
OTF_DEV_SIZE = 8  # the full-size biLM on a CPU: keep the dev pass short, the epoch is what is measured


# ---------------------------------------------------------------------------- synthetic data
def synthetic_sentences(n: int, min_len: int, max_len: int, seed: int) -> list[list[str]]:
    """``n`` sentences of random words from a 5,000-word vocabulary; the same seed gives the same list."""
    rng = random.Random(seed)
    return [[f"w{rng.randrange(5000)}" for _ in range(rng.randint(min_len, max_len))] for _ in range(n)]


class RandomLayers:
    """A stand-in encoder whose layers are seeded noise (for writing synthetic caches)."""

    def __init__(self, num_layers: int, dim: int):
        self.num_layers, self.output_dim = num_layers, dim
        self.calls = 0

    def fingerprint(self) -> str:
        return f"random-layers-{self.num_layers}x{self.output_dim}"

    def embed(self, sentences):
        import torch

        self.calls += 1
        lengths = torch.tensor([len(s) for s in sentences])
        longest = int(lengths.max())
        mask = torch.arange(longest).unsqueeze(0) < lengths.unsqueeze(1)
        g = torch.Generator().manual_seed(self.calls)
        layers = torch.randn(len(sentences), self.num_layers, longest, self.output_dim, generator=g)
        return layers * mask[:, None, :, None], mask


def _task_class():
    """A sentence classification task with the smallest head: the cost is in the layers."""
    import numpy as np
    import torch
    from torch import nn

    from elmo_eval.tasks.base import Task

    class Head(nn.Module):
        def __init__(self, input_dim):
            super().__init__()
            self.proj = nn.Linear(input_dim, 2)

        def forward(self, inputs, outputs, batch):
            mask = batch.fields["tokens"].mask.unsqueeze(-1).float()
            logits = self.proj((inputs["tokens"] * mask).sum(1) / mask.sum(1).clamp(min=1))
            out = {"logits": logits}
            if "label" in batch.targets:
                out["loss"] = nn.functional.cross_entropy(logits, batch.targets["label"])
            return out

    class BenchTask(Task):
        name = "bench"
        main_metric = "accuracy"

        def read(self, path):
            raise NotImplementedError

        def texts(self, inst):
            return {"tokens": inst[0]}

        def targets(self, instances):
            return {"label": torch.tensor([i[1] for i in instances])}

        def build_head(self, input_dim, output_dim, hp):
            return Head(input_dim)

        def decode(self, output, batch):
            return output["logits"].argmax(-1).tolist()

        def evaluate(self, instances, predictions):
            return {"accuracy": 100.0 * float(np.mean([i[1] == p for i, p in zip(instances, predictions)]))}

        def write_predictions(self, path, instances, predictions):
            Path(path).write_text("".join(f"{p}\n" for p in predictions))

    return BenchTask


def _splits(sentences: list[list[str]], dev_size: int) -> dict:
    train = [(s, len(s) % 2) for s in sentences]
    return {"train": train, "dev": train[:dev_size]}


def _rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


# ---------------------------------------------------------------------------- child measurements
def child(spec: dict) -> dict:
    """One measurement in this process (a fresh subprocess): train one epoch, report peak RSS."""
    import torch

    torch.set_num_threads(1)
    from elmo_eval.cache import LayerCache
    from elmo_eval.representations.config import standard_representation
    from elmo_eval.training.fit import train_and_evaluate
    from elmo_eval.training.layers import CachedLayers, LiveLayers

    sentences = synthetic_sentences(spec["n"], spec["min_len"], spec["max_len"], spec["seed"])
    out: dict = {"sentences": len(sentences), "tokens": sum(map(len, sentences))}
    if spec["source"] == "cache":
        if spec.get("build"):
            encoder = _small_bilm() if spec["build"] == "small" else RandomLayers(ELMO_LAYERS, ELMO_DIM)
            started = time.time()
            LayerCache.build(spec["cache"], encoder, sentences, progress=False).close()
            out["cache_build_seconds"] = time.time() - started
        cache = LayerCache(spec["cache"])
        source = CachedLayers(cache, preload_max_bytes=spec["preload_max_bytes"])
        out.update(cache_bytes=cache.nbytes, cache_file_bytes=os.path.getsize(spec["cache"]),
                   preloaded=cache.preloaded, dtype=cache.dtype, chunk_rows=cache._rows.chunks[0])
    else:
        if spec["bilm"] == "full":
            from elmo_eval.encoders import ElmoBiLM

            bilm = ElmoBiLM.from_official(Path(spec["bilm_dir"]) / "options.json",
                                          Path(spec["bilm_dir"]) / "weights.hdf5")
        else:
            bilm = _small_bilm()
        out["bilm_parameters"] = sum(p.numel() for p in bilm.parameters())
        source = LiveLayers(bilm, batch_size=64, device="cpu")
    out["rss_before_training_bytes"] = _rss()
    rep = standard_representation("elmo_mix_l0.001", placement="input")
    with tempfile.TemporaryDirectory() as work:
        splits = _splits(sentences, spec.get("dev", DEV_SIZE))
        result = train_and_evaluate(_task_class()(), splits, rep, HP, work, layer_source=source, seed=0,
                                    train_fraction=spec.get("fraction", 1.0))
    out.update(fit_seconds=result["seconds"]["fit"], epochs=result["epochs"],
               trained_examples=result["sizes"]["train_examples"],
               peak_rss_bytes=_rss(), dev_accuracy=result["metrics"]["dev"]["accuracy"])
    return out


def _small_bilm():
    from elmo_eval.encoders import ElmoBiLM
    from elmo_eval.pretrain.presets import get_preset

    return ElmoBiLM.from_options(get_preset("small").options_copy(), seed=0)


def run_child(spec: dict) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
    started = time.time()
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"measurement {spec} failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.time() - started
    print(f"  {spec.get('label', spec['source'])}: peak RSS {result['peak_rss_bytes'] / GIB:.2f} GiB, "
          f"fit {result['fit_seconds']:.1f}s", file=sys.stderr, flush=True)
    return result


# ---------------------------------------------------------------------------- parts
def part_scale(work: Path, sizes_gb: list[float]) -> dict:
    from elmo_eval.cache import LayerCache

    rows = []
    bytes_per_token = ELMO_LAYERS * ELMO_DIM * 2
    for size in sizes_gb:
        n = int(size * 1e9 / bytes_per_token / 25)  # sentences of 10-40 tokens, 25 on average
        spec = {"n": n, "min_len": 10, "max_len": 40, "seed": 1, "source": "cache",
                "cache": str(work / f"synthetic-{size:g}gb.float16.h5"), "label": f"{size:g} GB streamed"}
        started = time.time()
        LayerCache.build(spec["cache"], RandomLayers(ELMO_LAYERS, ELMO_DIM),
                         synthetic_sentences(n, 10, 40, 1), progress=False).close()
        build_seconds = time.time() - started
        streamed = run_child({**spec, "preload_max_bytes": 256 * 2**20})
        row = {"size_gb": size, "write_seconds": build_seconds, "streamed": streamed}
        if size <= 1:  # the whole-file load, for contrast
            row["whole_file_load"] = run_child({**spec, "preload_max_bytes": None, "label": f"{size:g} GB loaded"})
        os.remove(spec["cache"])
        rows.append(row)
    peaks = [r["streamed"]["peak_rss_bytes"] for r in rows]
    growth = peaks[-1] / peaks[0] - 1
    return {"layers": ELMO_LAYERS, "dim": ELMO_DIM, "dtype": "float16", "hp": HP, "dev_sentences": DEV_SIZE,
            "rows": rows, "peak_rss_gib": [p / GIB for p in peaks], "growth_smallest_to_largest": growth,
            "targets": {"growth <= 10%": growth <= 0.10, "peak < 3 GiB": max(peaks) < 3 * GIB}}


def part_otf(work: Path, passages: int, fraction: float) -> dict:
    from elmo_eval.encoders import ElmoBiLM, export_official

    bilm_dir = work / "full-elmo-random"
    bilm = ElmoBiLM.from_options(FULL_OPTIONS, seed=0)
    parameters = sum(p.numel() for p in bilm.parameters())
    export_official(bilm, bilm_dir)
    del bilm
    spec = {"n": passages, "min_len": 120, "max_len": 150, "seed": 2, "source": "live", "bilm": "full",
            "bilm_dir": str(bilm_dir), "dev": OTF_DEV_SIZE, "fraction": fraction,
            "label": f"full ELMo on the fly, {passages} passages x {fraction:g}"}
    result = run_child(spec)
    shutil.rmtree(bilm_dir)
    trained = result["trained_examples"]
    measured = (f"one training epoch over all {passages} passages" if trained == passages else
                f"one training epoch over {trained} of the {passages} passages (train_fraction {fraction:g}: "
                f"{-(-trained // HP['batch_size'])} steps at batch {HP['batch_size']}; all {passages} are read "
                "and held); the peak is set by one batch and the model, not by the number of steps")
    return {"options": FULL_OPTIONS, "parameters": parameters, "passages": passages, "passage_tokens": "120-150",
            "hp": HP, "live_batch_size": 64, "dev_passages": min(OTF_DEV_SIZE, passages),
            "measured": measured + f", plus a dev pass over {min(OTF_DEV_SIZE, passages)} passages, on the CPU",
            "result": result, "targets": {"peak < 4 GiB": result["peak_rss_bytes"] < 4 * GIB}}


def part_small(work: Path, sentences: int) -> dict:
    base = {"n": sentences, "min_len": 10, "max_len": 40, "seed": 3}
    cache = str(work / "small-preset.float16.h5")
    cached = run_child({**base, "source": "cache", "cache": cache, "build": "small", "preload_max_bytes": None,
                        "label": "small preset, from cache"})
    os.remove(cache)
    live = run_child({**base, "source": "live", "bilm": "small", "label": "small preset, on the fly"})
    return {"preset": "small", "sentences": sentences, "sentence_tokens": "10-40", "hp": HP,
            "measured": "fit seconds of one epoch plus one dev pass (Lightning setup included, same for both); "
                        "the cache's build time is separate",
            "cache": cached, "on_the_fly": live,
            "on_the_fly_over_cache_epoch": live["fit_seconds"] / cached["fit_seconds"],
            "on_the_fly_over_cache_including_build": live["fit_seconds"]
            / (cached["fit_seconds"] + cached["cache_build_seconds"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", nargs="+", choices=["scale", "otf", "small"], default=["scale", "otf", "small"])
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where the synthetic caches are written")
    parser.add_argument("--sizes-gb", nargs="+", type=float, default=[0.5, 1, 2, 4])
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--otf-fraction", type=float, default=1.0,
                        help="train the on-the-fly epoch on this share of the passages (a slow CPU)")
    parser.add_argument("--small-sentences", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=OUT_FILE)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    import torch

    torch.set_num_threads(1)
    work = Path(tempfile.mkdtemp(prefix="scale-memory-", dir=args.dir))
    out_file = args.out
    results: dict = {}
    results["machine"] = {"python": platform.python_version(), "torch": torch.__version__, "threads": 1,
                          "cpu_count": os.cpu_count(),
                          "free_disk_gb_at_start": shutil.disk_usage(work).free / 1e9}
    results["note"] = ("peak RSS is each measurement's own subprocess (resource.getrusage ru_maxrss), including "
                       "Python, torch and Lightning; times are on a 2-core CPU shared with other jobs (see loadavg)")
    try:
        for part in args.parts:
            print(f"{part}:", file=sys.stderr, flush=True)
            started, load = time.time(), os.getloadavg()
            if part == "scale":
                results["scale"] = part_scale(work, args.sizes_gb)
            elif part == "otf":
                results["on_the_fly_full_size"] = part_otf(work, args.passages, args.otf_fraction)
            else:
                results["small_preset_cache_vs_on_the_fly"] = part_small(work, args.small_sentences)
            print(f"{part} done in {time.time() - started:.0f}s", file=sys.stderr, flush=True)
            key = {"scale": "scale", "otf": "on_the_fly_full_size", "small": "small_preset_cache_vs_on_the_fly"}[part]
            results[key]["loadavg_at_start"] = load
            results[key]["seconds"] = time.time() - started
            # re-read before writing: another part may have finished meanwhile (parts run separately)
            merged = json.loads(out_file.read_text()) if out_file.exists() else {}
            merged.update({"machine": results["machine"], "note": results["note"], key: results[key]})
            out_file.parent.mkdir(parents=True, exist_ok=True)
            out_file.write_text(json.dumps(merged, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {out_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Train again, on the embedded world, the runs that used to end at a degenerate solution, with and without
their fixes (README, "Diverged runs and their fix"). One thread; a few minutes per run.

    OMP_NUM_THREADS=1 python scripts/diverged_runs.py coref --out /tmp/diverged   # 4 coref runs
    OMP_NUM_THREADS=1 python scripts/diverged_runs.py snli --out /tmp/diverged    # SNLI at 1% and 10%, seed 0

coref: +ELMo at the input with seed 0 and at input & output with seed 1, each with ``mention_loss_weight`` 0
(the head as it was: F1 0) and 1 (the tiny profile now). snli: ``reproduce`` of the Figure 1 runs at 1% and
10% of the training set, seed 0, with the tiny profile (``subset_updates = "full"``). Prints one JSON line per run.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def coref(out: Path) -> None:
    from elmo_eval.representations.config import standard_representation
    from elmo_eval.runner.encoders import default_cache_dir, default_world_setup, prepare_encoder
    from elmo_eval.runner.execute import TaskData
    from elmo_eval.specs import load_spec
    from elmo_eval.training.fit import train_and_evaluate

    cache = default_cache_dir()
    setup = prepare_encoder(default_world_setup(cache, "small", 0, "tiny", progress=False), "cpu")
    spec = load_spec("coref")
    data = TaskData(spec, setup, {}, cache)
    layers = data.layers(False)
    for placement, seed in (("input", 0), ("both", 1)):
        for weight in (0.0, 1.0):
            hp = spec.hp("tiny")
            hp["head"]["mention_loss_weight"] = weight
            if weight == 0.0:  # the head as it was: its profile also held early stopping off for 5 epochs
                hp["trainer"]["min_epochs"] = 5
            started = time.time()
            result = train_and_evaluate(data.task, data.splits, standard_representation("elmo_mix_l0.001", placement),
                                        hp, out / f"coref-{placement}-s{seed}-w{weight:g}", layer_source=layers,
                                        vectors=setup.vectors, seed=seed)
            print(json.dumps({"placement": placement, "seed": seed, "mention_loss_weight": weight,
                              "test_f1": round(result["metrics"]["test"]["conll_f1"], 2),
                              "dev_f1_per_epoch": [round(h.get("conll_f1", 0), 1) for h in result["dev_history"]],
                              "seconds": round(time.time() - started)}), flush=True)


def snli(out: Path) -> None:
    from elmo_eval.runner.api import reproduce

    summary = reproduce("full", out_dir=out / "snli", tasks=["snli"], tables=["figure1"], seeds=[0],
                        fractions=[0.01, 0.1], progress=False, report=False)
    for result in sorted((out / "snli" / "runs").glob("*/snli/*/result.json")):
        record = json.loads(result.read_text(encoding="utf-8"))
        print(json.dumps({"run": record["run_id"], "fraction": record["fraction"],
                          "test_accuracy": round(record["metrics"]["test"]["accuracy"], 2),
                          "batches_per_epoch": record.get("sizes", {}).get("train_batches_per_epoch")}), flush=True)
    print(json.dumps({"seconds": round(summary.get("seconds", 0))}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("which", choices=["coref", "snli"])
    parser.add_argument("--out", type=Path, required=True, help="a scratch folder for the runs")
    args = parser.parse_args()
    {"coref": coref, "snli": snli}[args.which](args.out)


if __name__ == "__main__":
    main()

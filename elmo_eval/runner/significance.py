"""Paired significance tests on the test set, usable with any task metric.

An approximate-randomisation (paired permutation) test: under the null
hypothesis the two systems are exchangeable, so each instance's pair of
predictions may be swapped. The instance set never changes, so the official
metric (span F1, coreference scores, ...) is recomputed as is; no duplicate
instances are created, which bootstrap resampling would do and which some
scorers treat specially (a predicate scored twice, a document twice).
With several seeds, seed ``s`` of one system is paired with seed ``s`` of the
other and the statistic is the mean difference over seeds.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def paired_permutation_test(metric: Callable[[Sequence, Sequence], float], instances: Sequence,
                            predictions_a: Sequence[Sequence], predictions_b: Sequence[Sequence],
                            samples: int = 1000, seed: int = 0) -> dict:
    """Two-sided p-value for "system A and system B score the same".

    metric(instances, predictions) -> float. predictions_a / predictions_b: one
    prediction list per seed (paired by position). Returns the observed mean
    difference (A - B), the p-value (with the +1 correction) and the sample count.
    """
    if len(predictions_a) != len(predictions_b) or not predictions_a:
        raise ValueError("need the same, non-zero number of seeds for both systems")
    n = len(instances)
    rng = np.random.default_rng(seed)

    def statistic(swaps: np.ndarray | None) -> float:
        diffs = []
        for pa, pb in zip(predictions_a, predictions_b):
            if swaps is None:
                a, b = list(pa), list(pb)
            else:
                a = [pb[i] if s else pa[i] for i, s in enumerate(swaps)]
                b = [pa[i] if s else pb[i] for i, s in enumerate(swaps)]
            diffs.append(metric(instances, a) - metric(instances, b))
        return float(np.mean(diffs))

    observed = statistic(None)
    extreme = 0
    for _ in range(samples):
        if abs(statistic(rng.random(n) < 0.5)) >= abs(observed) - 1e-12:
            extreme += 1
    return {"difference": observed, "p_value": (extreme + 1) / (samples + 1), "samples": samples,
            "seeds": len(predictions_a), "test": "paired approximate randomisation (two-sided)"}


def paired_permutation_test_pooled(metric_from_totals: Callable[[np.ndarray], np.ndarray],
                                   stats_a: Sequence[np.ndarray], stats_b: Sequence[np.ndarray],
                                   samples: int = 10000, seed: int = 0) -> dict:
    """The same test, vectorised, for metrics computed from pooled per-instance counts.

    stats_a / stats_b: per seed, ``[n, k]`` additive statistics of each instance.
    metric_from_totals: ``[..., k]`` summed statistics -> metric ``[...]``. Swapping instance
    ``i`` moves ``b_i - a_i`` from one total to the other, so a permuted total is
    ``A + swaps @ (B - A)``: one matrix product per seed for all samples.
    """
    if len(stats_a) != len(stats_b) or not stats_a:
        raise ValueError("need the same, non-zero number of seeds for both systems")
    rng = np.random.default_rng(seed)
    n = stats_a[0].shape[0]
    swaps = (rng.random((samples, n)) < 0.5).astype(float)
    observed, permuted = [], []
    for a, b in zip(stats_a, stats_b):
        total_a, total_b = a.sum(0), b.sum(0)
        delta = swaps @ (b - a)  # [samples, k]
        observed.append(float(metric_from_totals(total_a) - metric_from_totals(total_b)))
        permuted.append(metric_from_totals(total_a + delta) - metric_from_totals(total_b - delta))
    diff = float(np.mean(observed))
    extreme = int((np.abs(np.mean(permuted, axis=0)) >= abs(diff) - 1e-12).sum())
    return {"difference": diff, "p_value": (extreme + 1) / (samples + 1), "samples": samples,
            "seeds": len(stats_a), "test": "paired approximate randomisation (two-sided, pooled counts)"}


def significance_from_results(base: Sequence[dict], elmo: Sequence[dict], split: str, samples: int) -> dict | None:
    """The pooled test between two groups of result records (seeds paired by seed value), from the
    per-instance statistics files the runs wrote (data only: no task code, no pickles). None when a
    run has no statistics for ``split`` or the two sides scored different instance sets."""
    from pathlib import Path

    from elmo_eval.metrics.pooled import aggregate
    from elmo_eval.runner.results import read_statistics

    seeds = sorted({r["seed"] for r in base} & {r["seed"] for r in elmo})
    stats_a, stats_b, names = [], [], set()
    for seed in seeds:
        for runs, into in ((elmo, stats_a), (base, stats_b)):
            record = next(r for r in runs if r["seed"] == seed)
            entry = record.get("statistics") or {}
            name_in_folder = str(entry.get("file", ""))
            path = Path(record["_dir"]) / name_in_folder
            # only a plain file inside the run's own folder: a handed-over results folder is not trusted
            if not entry or Path(name_in_folder).name != name_in_folder or path.is_symlink() or not path.is_file():
                return None
            name, splits = read_statistics(path)
            if split not in splits:
                return None
            names.add(name)
            into.append(splits[split])
    if not seeds or len(names) != 1 or len({s.shape for s in stats_a + stats_b}) != 1:
        return None
    name = names.pop()
    return paired_permutation_test_pooled(lambda totals: aggregate(name, totals), stats_a, stats_b, samples=samples)

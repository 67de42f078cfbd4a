"""The leaderboard across encoders: one row per encoder (its Table-1 +ELMo configuration) and one per
word-only baseline, ranked by the average over the tasks that every ranked row has.

A cell is the mean ± std over seeds on the test split (dev where a task has none), with a 95%
bootstrap interval of the mean where there are at least three seeds, and † where a run diverged
or degenerated. Rows say what they are: encoder kind, fingerprint, size, pretraining corpus where
known, the data each task read and the number of seeds.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from elmo_eval.runner.comparisons import BASELINE, ELMO
from elmo_eval.runner.resultset import FLAG, ResultSet, degenerate, reads_encoder, scores, test_split
from elmo_eval.runner.tables import fmt, fmt_mean_std, mean_std, write_table

MIN_SEEDS_FOR_INTERVAL = 3


def interval(values: list[float]) -> tuple[float, float] | None:
    """95% bootstrap interval (scipy, BCa where defined) of the mean over seeds, or None for < 3 seeds."""
    if len(values) < MIN_SEEDS_FOR_INTERVAL or len(set(values)) == 1:
        return None
    from scipy.stats import bootstrap

    result = bootstrap((values,), lambda x, axis: x.mean(axis=axis), confidence_level=0.95, n_resamples=2000,
                       random_state=0, method="percentile")
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _cell(runs: list[dict], split: str) -> tuple[str, dict]:
    values = scores(runs, split)
    mean, std, n = mean_std(values)
    if n == 0:
        return "–", {}
    text = fmt_mean_std(values)
    ci = interval(values)
    if ci:
        text += f" [{fmt(ci[0])}, {fmt(ci[1])}]"
    flagged = sum(bool(degenerate(r)) for r in runs)
    if flagged:
        text += f" {FLAG}"
    return text, {"mean": mean, "std": std, "seeds": n, "ci_low": ci[0] if ci else None,
                  "ci_high": ci[1] if ci else None, "flagged": flagged}


def _data_label(runs: list[dict]) -> str:
    source = runs[0].get("data_source") or {}
    if source.get("kind") == "world":
        return f"world {source.get('version')} ({source.get('size')})"
    fingerprint = (source.get("fingerprint") or "")[:8]
    details = ", ".join(x for x in (fingerprint, source.get("format")) if x)
    return f"real ({details})" if details else source.get("kind", "?")


def _has_chars(record: dict) -> bool:
    rep = record["representation"]
    if rep.get("char_cnn") is not None:
        return bool(rep["char_cnn"])
    hp = record.get("hp", {})
    embedder = hp.get("embedder", hp)  # typed specs keep it in their [embedder] section
    return bool(embedder.get("char_cnn", False))


def _vectors_label(runs: list[dict]) -> str | None:
    """How the baseline runs' word vectors were made, from the first run that records it."""
    for run in runs:
        desc = run.get("encoder_description") or {}
        label = desc.get("word_vectors") or desc.get("baseline_vectors")
        if label:
            return label
    return None


def _encoder_meta(rs: ResultSet, encoder: str) -> dict:
    record = next(r for r in rs.records if r["encoder"] == encoder and reads_encoder(r))
    desc = record.get("encoder_description") or {}
    layers, dim = desc.get("layers"), desc.get("dim")
    return {"kind": desc.get("kind", "?"), "fingerprint": (record.get("encoder_fingerprint") or "")[:12],
            "parameters": desc.get("parameters"), "layers x dim": f"{layers} × {dim}" if layers else "–",
            "corpus": desc.get("corpus", "–"), "corpus tokens": desc.get("corpus_tokens")}


def leaderboard(rs: ResultSet, out: Path, name: str = "leaderboard", title: str = "Leaderboard across encoders"
                ) -> tuple[str, list[dict]]:
    """Write ``<name>.md`` / ``<name>.csv`` into ``out``; return the Markdown and the rows."""
    rows: list[dict] = []
    baselines: dict[tuple, dict] = {}
    for encoder in rs.encoders:
        cells, numbers, data, gains = {}, {}, {}, {}
        for task in rs.tasks:
            if "table1" not in rs.spec(task, encoder).get("setup", {}).get("tables", ["table1"]):
                continue
            elmo = rs.arm_runs(encoder, task, ELMO)
            if not elmo:
                continue
            split = test_split(elmo)
            cells[task], numbers[task] = _cell(elmo, split)
            data[task] = _data_label(elmo)
            base = rs.arm_runs(encoder, task, BASELINE)
            if base:
                # one row per word vectors: its cell for a task holds the baseline runs that match this
                # encoder's runs there (same data, same hyperparameter profile), so tasks trained with
                # different profiles (sentence-level SST, say) still share the row and its average
                key = base[0].get("vectors_fingerprint") or "random"
                row = baselines.setdefault(key, {"cells": {}, "numbers": {}, "data": {}, "chars": {}, "vectors": None})
                row["vectors"] = row["vectors"] or _vectors_label(base)
                if task not in row["cells"]:  # the first encoder with this task fills the row's cell
                    row["cells"][task], row["numbers"][task] = _cell(base, split)
                    row["data"][task] = _data_label(base)
                    row["chars"][task] = _has_chars(base[0])
                gains[task] = numbers[task]["mean"] - row["numbers"][task]["mean"]
        if cells:
            rows.append({"system": encoder, **_encoder_meta(rs, encoder), "cells": cells, "numbers": numbers,
                         "data": data, "gains": gains})
    for vectors, row in baselines.items():
        with_chars = sorted(t for t, c in row["chars"].items() if c)
        chars = f"char CNN on {', '.join(with_chars)}" if with_chars else "no char CNN"
        label = row["vectors"] or (f"word vectors {vectors[:8]}" if vectors != "random" else "random word vectors")
        rows.append({"system": f"word-only baseline ({label}; {chars})", "kind": "baseline",
                     "fingerprint": vectors[:12], "parameters": None, "layers x dim": "–", "corpus": "–",
                     "corpus tokens": None, "cells": row["cells"], "numbers": row["numbers"], "data": row["data"],
                     "gains": {}})
    if not rows:
        return "", []
    common = [t for t in rs.tasks if all(t in r["numbers"] for r in rows)]
    for row in rows:
        row["average"] = (sum(row["numbers"][t]["mean"] for t in common) / len(common)) if common else float("nan")
        gains = [row["gains"][t] for t in common if t in row["gains"]]
        row["gain"] = sum(gains) / len(gains) if gains and len(gains) == len(common) else None
    rows.sort(key=lambda r: -r["average"] if r["average"] == r["average"] else float("inf"))
    tasks = [t for t in rs.tasks if any(t in r["cells"] for r in rows)]
    # the scores first, what each row is after: the page reads without scrolling sideways
    average = f"Average ({len(common)} task{'' if len(common) == 1 else 's'})"
    display = [{"Rank": i + 1, "System": r["system"], average: fmt(r["average"]),
                "Gain over its baseline": fmt(r["gain"]), **{t: r["cells"].get(t, "–") for t in tasks},
                "Kind": r["kind"], "Fingerprint": r["fingerprint"] or "–",
                "Params": f"{r['parameters'] / 1e6:.2f}M" if r["parameters"] else "–",
                "Layers × dim": r["layers x dim"]} for i, r in enumerate(rows)]
    numbers = [{"rank": i + 1, "encoder": r["system"], "kind": r["kind"], "fingerprint": r["fingerprint"],
                "parameters": r["parameters"], "corpus": r["corpus"], "corpus_tokens": r["corpus tokens"],
                **{f"{t}_{k}": r["numbers"][t].get(k) for t in tasks if t in r["numbers"]
                   for k in ("mean", "std", "seeds", "ci_low", "ci_high", "flagged")},
                **{f"{t}_data": r["data"].get(t) for t in tasks}, "average": r["average"],
                "average_tasks": " ".join(common), "gain_over_baseline": r["gain"]} for i, r in enumerate(rows)]
    data = sorted({f"{t}: {label}" for r in rows for t, label in r["data"].items()})
    notes = [
        f"Ranked by the average over the tasks every row has: {', '.join(common) or 'none'}.",
        "Each encoder row is its Table-1 +ELMo configuration; cells are mean ± std over seeds on the test split "
        "(dev where a task has none), [95% bootstrap interval of the mean] with ≥ 3 seeds.",
        "Gain over its baseline: the average difference to the word-only baseline trained on the same data with "
        "the same word vectors (one baseline serves every encoder).",
        f"{FLAG}: a seed diverged or degenerated (dev metric at its floor, or one constant prediction); it is "
        "kept in the mean and named in the encoder's Table 1.",
        "Data per task: " + "; ".join(data) + ".",
    ]
    return write_table(out, name, pd.DataFrame(display), pd.DataFrame(numbers), title, notes), numbers

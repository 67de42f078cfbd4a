"""The report's tables, one writer per kind of comparison in the book.

Each writer takes one comparison (:mod:`elmo_eval.runner.comparisons`), one encoder and the
result set, and returns the Markdown (also written as ``<name>.md``) and the numbers (written
as ``<name>.csv`` with an ``encoder`` column). Cells are mean ± sample std over seeds; a cell
with one seed says so instead of printing a std of 0; a cell with a diverged or degenerate
run carries a flag (†) and the table a note naming those runs.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from elmo_eval.runner.comparisons import Comparison
from elmo_eval.runner.resultset import FLAG, ResultSet, degenerate, scores, test_split
from elmo_eval.runner.significance import significance_from_results as significance
from elmo_eval.runner.tables import fmt, fmt_mean_std, mean_std, write_table


def gain(base: float, elmo: float) -> tuple[float, float]:
    """Absolute gain and relative error reduction, as the paper reports them."""
    if math.isnan(base) or math.isnan(elmo):
        return float("nan"), float("nan")
    return elmo - base, 100.0 * (elmo - base) / (100.0 - base) if base < 100 else float("nan")


def cell(runs: list[dict], split: str) -> str:
    """``mean ± std`` over seeds, ``mean (1 seed)`` for one, with † where a run degenerated."""
    text = fmt_mean_std(scores(runs, split))
    return text + (f" {FLAG}" if text != "–" and any(degenerate(r) for r in runs) else "")


def flag_notes(groups: list[list[dict]]) -> list[str]:
    flagged = {(r["task"], r["representation"]["name"], r["representation"]["placement"], r["fraction"], r["seed"]):
               degenerate(r) for runs in groups for r in runs if degenerate(r)}
    notes = [f"{FLAG} {task} {name} @{where}{'' if frac == 1 else f' f={frac:g}'} seed {seed}: {why} "
             "(kept in the mean)" for (task, name, where, frac, seed), why in sorted(flagged.items())]
    rerun = sorted({(r["task"], r["representation"]["name"], r["seed"], r.get("trained_seed"))
                    for runs in groups for r in runs if r.get("reruns")})
    if rerun:
        notes.append(f"{len(rerun)} run(s) degenerated and were trained again with the next seed, as their spec "
                     "asks (setup.rerun_degenerate): " + "; ".join(
                         f"{task} {name} seed {seed} -> {trained}" for task, name, seed, trained in rerun) + ".")
    return notes


def gain_table(rs: ResultSet, comp: Comparison, encoder: str, out: Path, samples: int) -> tuple[str, list[dict]]:
    """Table 1: baseline vs +ELMo per task, with the paired test on the test set."""
    base_arm, elmo_arm = comp.arms
    display, numbers, used = [], [], []
    for task in rs.tasks:
        spec = rs.spec(task, encoder)
        if comp.name not in spec.get("setup", {}).get("tables", [comp.name]):
            continue
        elmo = rs.arm_runs(encoder, task, elmo_arm)
        base = rs.arm_runs(encoder, task, base_arm)
        if not base or not elmo:
            continue
        used += [base, elmo]
        split = test_split(base + elmo)
        b_mean, b_std, n_b = mean_std(scores(base, split))
        e_mean, e_std, n_e = mean_std(scores(elmo, split))
        abs_gain, rel_gain = gain(b_mean, e_mean)
        sig = significance(base, elmo, split, samples)
        paper = spec.get("paper", {}).get(comp.paper_key, {})
        p_abs, p_rel = gain(paper.get("baseline", float("nan")), paper.get("elmo", float("nan")))
        seeds = min(n_b, n_e)
        if seeds < 2:
            significant = abs_gain > 0 and (sig is None or sig["p_value"] < 0.05)
            verdict = "1 seed: no spread" if significant else "no"
            beats = False
        else:
            beats = abs_gain > max(b_std, e_std) and (sig is None or sig["p_value"] < 0.05)
            verdict = "yes" if beats else "no"
        numbers.append({
            "encoder": encoder, "task": task, "metric": spec.get("metric_label", elmo[0]["metric"]), "split": split,
            "data": _source(elmo), "paper_previous_sota": paper.get("previous_sota"),
            "paper_baseline": paper.get("baseline"), "paper_elmo": paper.get("elmo"), "paper_abs_gain": p_abs,
            "paper_rel_error_reduction": p_rel, "baseline_mean": b_mean, "baseline_std": b_std, "elmo_mean": e_mean,
            "elmo_std": e_std, "seeds": seeds, "abs_gain": abs_gain, "rel_error_reduction": rel_gain,
            "p_value": None if sig is None else sig["p_value"],
            "elmo_placement": elmo[0]["representation"]["placement"],
            "elmo_lambda": elmo[0]["representation"]["l2_lambda"], "elmo_beats_baseline": bool(beats),
            "flagged_runs": sum(bool(degenerate(r)) for r in base + elmo),
        })
        base_label = "baseline" if base_arm.is_baseline else base_arm.label
        display.append({
            "Task": task, "Metric": numbers[-1]["metric"], "Data": _source(elmo),
            **({"Paper baseline": fmt(paper.get("baseline")), "Paper +ELMo": fmt(paper.get("elmo")),
                "Paper gain (abs / rel)": f"{fmt(p_abs)} / {fmt(p_rel, 1)}%"} if comp.paper_key else {}),
            f"Our {base_label}": cell(base, split), "Our +ELMo": cell(elmo, split),
            "Our gain (abs / rel)": f"{fmt(abs_gain)} / {fmt(rel_gain, 1)}%",
            "p (paired)": "–" if sig is None else ("< 0.001" if sig["p_value"] < 0.001 else f"{sig['p_value']:.3f}"),
            "ELMo better?": verdict,
        })
    if not display:
        return "", numbers
    notes = [*comp.notes, "With one seed there is no seed spread to compare the gain with: 'ELMo better?' says so.",
             *flag_notes(used)]
    return write_table(out, comp.name, pd.DataFrame(display), pd.DataFrame(numbers), comp.title, notes), numbers


def columns_table(rs: ResultSet, comp: Comparison, encoder: str, out: Path) -> str:
    """A table with one column per arm (Tables 2 and 3, the ablations), the paper's numbers beside."""
    display, numbers, used = [], [], []
    for task in rs.tasks:
        spec = rs.spec(task, encoder)
        if comp.name not in spec.get("setup", {}).get("tables", []):
            continue
        groups = {arm.key: rs.arm_runs(encoder, task, arm) for arm in comp.arms}
        if sum(bool(g) for g in groups.values()) < comp.needed or not any(
                groups[a.key] for a in comp.arms if not a.is_baseline):
            continue
        paper = spec.get("paper", {}).get(comp.paper_key, {}) if comp.paper_key else {}
        row, num = {"Task": task}, {"encoder": encoder, "task": task, "split": comp.split}
        for arm in comp.arms:
            runs = groups[arm.key]
            used.append(runs)
            row[arm.label] = cell(runs, comp.split)
            num[arm.key + "_mean"], num[arm.key + "_std"], num[arm.key + "_seeds"] = mean_std(
                scores(runs, comp.split))
            if comp.paper_key:
                row[f"paper {arm.label}"] = fmt(paper.get(arm.key))
                num["paper_" + arm.key] = paper.get(arm.key)
        display.append(row)
        numbers.append(num)
    if not display:
        return ""
    return write_table(out, comp.name, pd.DataFrame(display), pd.DataFrame(numbers), comp.title,
                       [*comp.notes, *flag_notes(used)])


def variants_table(rs: ResultSet, comp: Comparison, encoder: str, out: Path) -> str:
    """Each named variant of the tasks that join this comparison, with the source's numbers beside."""
    display, numbers, used = [], [], []
    for task in rs.tasks:
        spec = rs.spec(task, encoder)
        if comp.name not in spec.get("setup", {}).get("tables", []):
            continue
        source = spec.get("paper", {}).get(comp.paper_key, {}) if comp.paper_key else {}
        variants = dict.fromkeys(r.get("variant") for r in rs.records if r["task"] == task and r.get("variant"))
        for name in variants:
            runs = rs.variant_runs(encoder, task, name)
            if not runs:
                continue
            used.append(runs)
            split = test_split(runs)
            row = {"Task": task, "Configuration": name}
            num = {"encoder": encoder, "task": task, "configuration": name, "split": split}
            if comp.paper_key:
                row["Source accuracy"] = fmt(source.get(name))
                num["source_accuracy"] = source.get(name)
            for key in ("accuracy", "precision", "recall", "f1", runs[0]["metric"]):
                vals = [r["metrics"][split][key] for r in runs if key in r["metrics"].get(split, {})]
                if not vals or f"Our {key}" in row:
                    continue
                row[f"Our {key}"] = fmt_mean_std(vals)
                num[key + "_mean"], num[key + "_std"], num["seeds"] = mean_std(vals)
            display.append(row)
            numbers.append(num)
    if not display:
        return ""
    return write_table(out, comp.name, pd.DataFrame(display), pd.DataFrame(numbers), comp.title,
                       [*comp.notes, *flag_notes(used)])


def _source(runs: list[dict]) -> str:
    """Short label of the data a task's runs read: ``world 1.9`` or ``real``."""
    source = runs[0].get("data_source") or {}
    if source.get("kind") == "world":
        return f"world {source.get('version')}"
    return source.get("kind", "?")

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
from elmo_eval.runner.goals import GOAL_P_VALUE, goal_verdict
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


def gain_table(rs: ResultSet, comp: Comparison, encoder: str, out: Path, samples: int,
               goal: float | None = None) -> tuple[str, list[dict]]:
    """Table 1: baseline vs +ELMo per task, with the paired test on the test set; with a ``goal``
    (:mod:`elmo_eval.runner.goals`), a column saying per task whether the gain reaches it."""
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
        if goal is not None:
            met, shortfall, goal_text = goal_verdict(abs_gain, numbers[-1]["p_value"], goal)
            numbers[-1].update({"goal_abs_gain": goal, "goal_met": met, "goal_shortfall": shortfall})
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
        if goal is not None:
            display[-1][f"Goal: +{fmt(goal)}, p < {GOAL_P_VALUE:g}"] = goal_text
    if not display:
        return "", numbers
    notes = [*comp.notes, "With one seed there is no seed spread to compare the gain with: 'ELMo better?' says so.",
             *flag_notes(used)]
    if goal is not None:
        notes.append(f"Goal: a gain of at least +{fmt(goal)} on the test split with paired p < {GOAL_P_VALUE:g}; "
                     "'short by' is how far the mean gain falls below it (the folder's goals.json, set with "
                     f"`elmo-eval report DIR --goal {comp.name}={goal:g}`).")
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
    """Short label of the data a task's runs read: ``world 1.9``, ``real``, or ``real, conll2005`` where the
    task reads more than one dataset's format (the paper's columns are for the spec's own dataset)."""
    source = runs[0].get("data_source") or {}
    if source.get("kind") == "world":
        return f"world {source.get('version')}"
    kind = source.get("kind", "?")
    return f"{kind}, {source['format']}" if source.get("format") else kind


def probes_table(probe_results: list[dict], comp: Comparison, encoder: str, out: Path) -> tuple[str, list[dict]]:
    """The ``probes`` comparison: per row (the word-only vectors, then each layer) the WSD P/R/F1 (Table 5)
    and POS accuracy (Table 6) of the encoder's probe result files, the paper's numbers beside, as
    :mod:`elmo_eval.probes.tables` writes them for ``elmo-eval probe``. Reads the records alone
    (:func:`elmo_eval.runner.results.load_probe_results`: plain JSON); a record without what a table needs is
    named in a warning and left out."""
    import os
    import warnings

    from elmo_eval.probes.tables import PAPER_POS, PAPER_ROW, PAPER_WSD, pos_table, wsd_table

    parts, numbers = [], []
    for result in sorted((r for r in probe_results if r["encoder"].get("id") == encoder),
                         key=lambda r: (str(r.get("data", {}).get("name")), r["_file"])):
        try:
            data, order = result["data"], list(result["rows"])
            # the file's keys are sorted: its rows again in the probe's order (word vectors, layer 0, ...)
            probes = {name: {**probe, "rows": {row: probe["rows"][row] for row in order if row in probe["rows"]}}
                      if name in ("wsd", "pos") else probe for name, probe in result["probes"].items()}
            text = [f"### On {data['name']} data", "",
                    f"{data['source']}: {data['notes']}; train {data['sizes']['train']['sentences']} sentences / "
                    f"{data['sizes']['train']['tokens']} tokens, test {data['sizes']['test']['sentences']} / "
                    f"{data['sizes']['test']['tokens']}; word vectors `{result['vectors']['source']}`; data "
                    f"fingerprint `{data['fingerprint']}`.", ""]
            if "wsd" in probes:
                text += ["#### Word sense disambiguation by nearest sense (Table 5)", "", wsd_table(probes["wsd"]), ""]
            if "pos" in probes:
                text += ["#### POS tagging, a linear classifier per frozen row (Table 6)", "",
                         pos_table(probes["pos"]), ""]
            full = Path(result["_file"]).with_suffix(".md")
            if full.is_file() and not full.is_symlink():
                what = ("the nearest neighbours (Table 4) included" if not result.get("text_withheld") else
                        "with Table 4's nearest static words (its sentence contexts stay in the local "
                        f"`{result['text_withheld']}`: the data may be licensed)")
                text += [f"Every probe, {what}: [{full.name}]({Path(os.path.relpath(full, out)).as_posix()}).", ""]
            rows = []
            wsd_rows = probes.get("wsd", {}).get("rows", {})
            pos_rows = probes.get("pos", {}).get("rows", {})
            for row in dict.fromkeys([*wsd_rows, *pos_rows]):
                wsd = wsd_rows.get(row, {}).get("score", {})
                pos = pos_rows.get(row, {})
                paper = PAPER_ROW.get(row)
                rows.append({"encoder": encoder, "data": data["name"], "data_fingerprint": data["fingerprint"],
                             "row": row, "wsd_precision": wsd.get("precision"), "wsd_recall": wsd.get("recall"),
                             "wsd_f1": wsd.get("f1"), "wsd_answered": wsd.get("answered"),
                             "wsd_total": wsd.get("total"), "paper_wsd_f1": PAPER_WSD.get(paper),
                             "pos_accuracy": pos.get("accuracy"), "pos_train_accuracy": pos.get("train_accuracy"),
                             "paper_pos_accuracy": PAPER_POS.get(paper)})
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            warnings.warn(f"{result['_file']}: a probe result without what the report needs ({error!r}); "
                          "left out", stacklevel=2)
            continue
        parts.append("\n".join(text))
        numbers += rows
    if not parts:
        return "", numbers
    page = f"## {comp.title}\n\n" + "\n".join(parts) + "\n" + "".join(f"- {n}\n" for n in comp.notes)
    (out / f"{comp.name}.md").write_text(page, encoding="utf-8")
    pd.DataFrame(numbers).to_csv(out / f"{comp.name}.csv", index=False)
    return page, numbers

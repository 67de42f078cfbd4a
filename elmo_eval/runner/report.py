"""Leaderboard reports, rebuilt from result files alone (``elmo-eval report``).

Writes into the results folder: Tables 1-3 and the ablations as Markdown and
CSV (mean ± std over seeds, the paper's numbers beside ours, absolute and
relative-error-reduction gains, a paired test for each ELMo-vs-baseline
comparison), Figure 1 and Figure 2 as PNG, the topic-classification comparison
with the source article's numbers, a leaderboard across encoders, a
machine-readable ``summary.json`` and a ``README.md`` page linking everything.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from elmo_eval.runner.plan import mix_name, paper_lambda, paper_placement
from elmo_eval.runner.results import PREDICTIONS_FILE, load_results, read_predictions_pickle
from elmo_eval.runner.significance import paired_permutation_test, paired_permutation_test_pooled
from elmo_eval.runner.tables import fmt, fmt_mean_std, mean_std, write_table
from elmo_eval.specs import SpecError, load_spec


def _score(record: dict, split: str) -> float | None:
    metrics = record["metrics"].get(split)
    return None if metrics is None else metrics.get(record["metric"])


def _key(record: dict) -> tuple:
    rep = record["representation"]
    return (record["encoder"], record["task"], rep["name"], rep["placement"], record["fraction"], record["variant"])


class ResultSet:
    """Finished runs grouped by configuration (seeds pooled)."""

    def __init__(self, records: list[dict]):
        self.records = records
        self.groups: dict[tuple, list[dict]] = defaultdict(list)
        for r in records:
            self.groups[_key(r)].append(r)
        for runs in self.groups.values():
            runs.sort(key=lambda r: r["seed"])
        self.encoders = sorted({r["encoder"] for r in records})
        self.tasks = list(dict.fromkeys(r["task"] for r in records))

    def runs(self, encoder, task, rep_name, placement=None, fraction=1.0, variant=None) -> list[dict]:
        if placement is None:
            found = [
                v
                for k, v in self.groups.items()
                if k[:3] == (encoder, task, rep_name) and k[4] == fraction and k[5] == variant
            ]
            return found[0] if found else []
        return self.groups.get((encoder, task, rep_name, placement, fraction, variant), [])

    def scores(self, runs: list[dict], split: str) -> list[float]:
        return [s for s in (_score(r, split) for r in runs) if s is not None]

    def elmo_runs(self, encoder: str, task: str, spec) -> list[dict]:
        """The Table-1 +ELMo configuration of a task (paper placement and lambda)."""
        return self.runs(encoder, task, mix_name(paper_lambda(spec)), paper_placement(spec))


def _spec(task: str):
    try:
        return load_spec(task)
    except (SpecError, FileNotFoundError):
        return None


def _test_split(runs: list[dict]) -> str:
    return "test" if runs and all("test" in r["metrics"] for r in runs) else "dev"


def _significance(base: list[dict], elmo: list[dict], samples: int) -> dict | None:
    """Paired permutation test on the test set, seeds paired by seed value."""
    seeds = sorted({r["seed"] for r in base} & {r["seed"] for r in elmo})
    paths_a = [Path(next(r for r in elmo if r["seed"] == s)["_dir"]) / PREDICTIONS_FILE for s in seeds]
    paths_b = [Path(next(r for r in base if r["seed"] == s)["_dir"]) / PREDICTIONS_FILE for s in seeds]
    if not seeds or not all(p.exists() for p in paths_a + paths_b):
        return None
    spec = _spec(elmo[0]["task"])
    if spec is None:
        return None
    task = spec.build_task()
    instances, _ = read_predictions_pickle(paths_a[0])
    preds_a = [read_predictions_pickle(p)[1] for p in paths_a]
    preds_b = [read_predictions_pickle(p)[1] for p in paths_b]
    stats_a = [task.score_statistics(instances, p) for p in preds_a]
    if stats_a[0] is not None:
        stats_b = [task.score_statistics(instances, p) for p in preds_b]
        return paired_permutation_test_pooled(task.metric_from_statistics, stats_a, stats_b, samples=samples)

    def metric(insts, preds):
        return float(task.evaluate(insts, preds)[spec.metric])

    # a metric that does not pool: every sample re-runs the scorer, so fewer samples
    return paired_permutation_test(metric, instances, preds_a, preds_b, samples=min(samples, 1000))


def _gain(base: float, elmo: float) -> tuple[float, float]:
    """Absolute gain and relative error reduction, as the paper reports them."""
    if math.isnan(base) or math.isnan(elmo):
        return float("nan"), float("nan")
    return elmo - base, 100.0 * (elmo - base) / (100.0 - base) if base < 100 else float("nan")


def table1(rs: ResultSet, encoder: str, out: Path, samples: int) -> tuple[str, list[dict]]:
    display, numbers = [], []
    for task in rs.tasks:
        spec = _spec(task)
        base = rs.runs(encoder, task, "baseline", paper_placement(spec))
        if not base:
            base = rs.runs(encoder, task, "baseline")
        elmo = rs.elmo_runs(encoder, task, spec)
        if not base or not elmo:
            continue
        split = _test_split(base + elmo)
        b_mean, b_std, n_b = mean_std(rs.scores(base, split))
        e_mean, e_std, n_e = mean_std(rs.scores(elmo, split))
        abs_gain, rel_gain = _gain(b_mean, e_mean)
        sig = _significance(base, elmo, samples)
        paper = spec.paper.get("table1", {}) if spec else {}
        p_abs, p_rel = _gain(paper.get("baseline", float("nan")), paper.get("elmo", float("nan")))
        beats = abs_gain > max(b_std, e_std) and (sig is None or sig["p_value"] < 0.05)
        numbers.append(
            {
                "task": task,
                "metric": spec.metric_label if spec else elmo[0]["metric"],
                "split": split,
                "paper_previous_sota": paper.get("previous_sota"),
                "paper_baseline": paper.get("baseline"),
                "paper_elmo": paper.get("elmo"),
                "paper_abs_gain": p_abs,
                "paper_rel_error_reduction": p_rel,
                "baseline_mean": b_mean,
                "baseline_std": b_std,
                "elmo_mean": e_mean,
                "elmo_std": e_std,
                "seeds": min(n_b, n_e),
                "abs_gain": abs_gain,
                "rel_error_reduction": rel_gain,
                "p_value": None if sig is None else sig["p_value"],
                "elmo_placement": elmo[0]["representation"]["placement"],
                "elmo_lambda": elmo[0]["representation"]["l2_lambda"],
                "elmo_beats_baseline": bool(beats),
            }
        )
        display.append(
            {
                "Task": task,
                "Metric": numbers[-1]["metric"],
                "Paper baseline": fmt(paper.get("baseline")),
                "Paper +ELMo": fmt(paper.get("elmo")),
                "Paper gain (abs / rel)": f"{fmt(p_abs)} / {fmt(p_rel, 1)}%",
                "Our baseline": fmt_mean_std(rs.scores(base, split)),
                "Our +ELMo": fmt_mean_std(rs.scores(elmo, split)),
                "Our gain (abs / rel)": f"{fmt(abs_gain)} / {fmt(rel_gain, 1)}%",
                "p (paired)": "–"
                if sig is None
                else ("< 0.001" if sig["p_value"] < 0.001 else f"{sig['p_value']:.3f}"),
                "ELMo better?": "yes" if beats else "no",
            }
        )
    if not display:
        return "", numbers
    notes = [
        "Ours: mean ± sample std over seeds on the test split (dev where a task has no test split); "
        "the paper's column is its Table 1 (test).",
        "rel = error reduction, (ELMo − baseline) / (100 − baseline), as the paper reports it.",
        "p: paired approximate-randomisation test on the test set (seeds paired); "
        "'ELMo better?' = gain larger than the seed std and p < 0.05.",
    ]
    return write_table(
        out, "table1", pd.DataFrame(display), pd.DataFrame(numbers), "Table 1: baseline vs +ELMo", notes
    ), numbers


def _dev_comparison(rs: ResultSet, encoder: str, out: Path, name: str, title: str, notes: list[str],
                    columns: list[tuple[str, str, Callable]], paper_table: str | None, needed: int) -> str:
    """A dev-set table: one row per task, one column per configuration, the paper's numbers beside.

    columns: ``(key, label, select)`` where ``select(spec) -> (representation name, placement)``
    and ``key`` is also the key of the paper's number in ``spec.paper[paper_table]``. A task is
    shown when at least ``needed`` of its columns have runs.
    """
    display, numbers = [], []
    for task in rs.tasks:
        spec = _spec(task)
        groups = {key: rs.runs(encoder, task, *select(spec)) for key, _, select in columns}
        if sum(bool(g) for g in groups.values()) < needed:
            continue
        paper = spec.paper.get(paper_table, {}) if spec is not None and paper_table else {}
        row, num = {"Task": task}, {"task": task}
        for key, label, _ in columns:
            scores = rs.scores(groups[key], "dev")
            row[label] = fmt_mean_std(scores)
            num[key + "_mean"], num[key + "_std"], num[key + "_seeds"] = mean_std(scores)
            if paper_table:
                row[f"paper {label}"] = fmt(paper.get(key))
                num["paper_" + key] = paper.get(key)
        display.append(row)
        numbers.append(num)
    if not display:
        return ""
    return write_table(out, name, pd.DataFrame(display), pd.DataFrame(numbers), title, notes)


def _at_paper_placement(rep_name: str) -> Callable:
    return lambda spec: (rep_name, paper_placement(spec))


def table2(rs: ResultSet, encoder: str, out: Path) -> str:
    columns = [("baseline", "Baseline", _at_paper_placement("baseline")),
               ("last_only", "Last only", _at_paper_placement("elmo_top")),
               ("all_lambda_1", "All layers λ=1", _at_paper_placement("elmo_mix_l1")),
               ("all_lambda_0001", "All layers λ=0.001", _at_paper_placement("elmo_mix_l0.001"))]
    return _dev_comparison(rs, encoder, out, "table2", "Table 2: which layers (dev)",
                           ["Dev set, as in the paper; ELMo at the task's Table-1 placement."], columns, "table2",
                           needed=3)


def table3(rs: ResultSet, encoder: str, out: Path) -> str:
    columns = [(where, label, lambda spec, where=where: (mix_name(paper_lambda(spec)), where))
               for where, label in (("input", "Input only"), ("both", "Input & output"), ("output", "Output only"))]
    return _dev_comparison(rs, encoder, out, "table3", "Table 3: where ELMo goes (dev)",
                           ["Dev set; the task's Table-1 scalar mix and lambda at each place."], columns, "table3",
                           needed=3)


def ablations(rs: ResultSet, encoder: str, out: Path) -> str:
    columns = [(key, label, _at_paper_placement(key)) for key, label in (
        ("baseline", "Baseline"), ("elmo_layer0", "Layer 0 only (char CNN)"), ("elmo_top", "Top layer"),
        ("elmo_mean", "Fixed mean"), ("elmo_mix_l0.001", "Scalar mix λ=0.001"))]
    return _dev_comparison(rs, encoder, out, "ablations",
                           "Ablations: what the character layer and context each contribute (dev)",
                           ["Layer 0 alone is the biLM's context-independent character representation; the gap "
                            "to the mixes is what context adds."], columns, None, needed=4)


def topic(rs: ResultSet, encoder: str, out: Path) -> str:
    display, numbers = [], []
    for task in rs.tasks:
        spec = _spec(task)
        if spec is None or not spec.variants:
            continue
        article = spec.paper.get("article", {})
        for name in spec.variants:
            runs = [r for k, v in rs.groups.items() if k[0] == encoder and k[1] == task and k[5] == name for r in v]
            if not runs:
                continue
            split = _test_split(runs)
            row = {"Configuration": name, "Article accuracy": fmt(article.get(name))}
            num = {"task": task, "configuration": name, "article_accuracy": article.get(name), "split": split}
            for key in ("accuracy", "precision", "recall", "f1"):
                vals = [r["metrics"][split].get(key) for r in runs if key in r["metrics"].get(split, {})]
                row[f"Our {key}"] = fmt_mean_std(vals)
                num[key + "_mean"], num[key + "_std"], num["seeds"] = mean_std(vals)
            display.append(row)
            numbers.append(num)
    if not display:
        return ""
    return write_table(
        out,
        "topic",
        pd.DataFrame(display),
        pd.DataFrame(numbers),
        "Topic classification: the source article's three configurations",
        ["The article's numbers are on its own data; ours on this run's data (macro P/R/F1)."],
    )


def sub_metric(rs: ResultSet, task: str) -> str:
    """The metric label of a task's runs (for axis labels)."""
    return next((r["metric_label"] for r in rs.records if r["task"] == task), "")


def figure1(rs: ResultSet, encoder: str, out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = []
    for r in rs.records:
        if r["encoder"] == encoder and "figure1" in r.get("tables", []):
            rows.append(
                {
                    "task": r["task"],
                    "system": "baseline" if r["representation"]["elmo"] is None else "+ELMo",
                    "fraction": r["fraction"],
                    "seed": r["seed"],
                    "dev": _score(r, "dev"),
                }
            )
    if not rows:
        return ""
    frame = pd.DataFrame(rows)
    frame.to_csv(out / "figure1.csv", index=False)
    tasks = list(dict.fromkeys(frame.task))
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.5 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        sub = frame[frame.task == task]
        for system, style in (("baseline", "o--"), ("+ELMo", "s-")):
            agg = sub[sub.system == system].groupby("fraction")["dev"].agg(["mean", "std"]).reset_index()
            ax.errorbar(
                agg["fraction"] * 100, agg["mean"], yerr=agg["std"].fillna(0), fmt=style, label=system, capsize=3
            )
        ax.set_xscale("log")
        ax.set_xlabel("% of training data")
        ax.set_ylabel(f"dev {sub_metric(rs, task)}")
        ax.set_title(task)
        ax.legend()
    fig.suptitle("Figure 1: sample efficiency")
    fig.tight_layout()
    fig.savefig(out / "figure1.png", dpi=110)
    plt.close(fig)
    return "## Figure 1: sample efficiency\n\n![Figure 1](figure1.png)\n\nData: [figure1.csv](figure1.csv)\n"


def figure2(rs: ResultSet, encoder: str, out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows = []
    for r in rs.records:
        rep = r["representation"]
        if r["encoder"] != encoder or rep["elmo"] != "scalar_mix" or r["fraction"] != 1.0 or r.get("variant"):
            continue
        for where, entry in r.get("layer_weights", {}).items():
            for j, w in enumerate(entry["weights"]):
                rows.append(
                    {
                        "task": r["task"],
                        "representation": rep["name"],
                        "placement": rep["placement"],
                        "location": where,
                        "layer": j,
                        "weight": w,
                        "gamma": entry["gamma"],
                        "seed": r["seed"],
                    }
                )
    if not rows:
        return ""
    frame = pd.DataFrame(rows)
    frame.to_csv(out / "figure2.csv", index=False)
    learned = frame[frame.representation == "elmo_mix_l0.001"]
    if learned.empty:
        learned = frame
    mean = learned.groupby(["task", "location", "layer"])["weight"].mean().reset_index()
    locations = [loc for loc in ("input", "output") if loc in set(mean.location)]
    fig, axes = plt.subplots(
        1, len(locations), figsize=(4.2 * len(locations), 0.6 + 0.45 * len(rs.tasks)), squeeze=False
    )
    for ax, loc in zip(axes[0], locations):
        sub = mean[mean.location == loc]
        tasks = list(dict.fromkeys(sub.task))
        grid = np.array(
            [[sub[(sub.task == t) & (sub.layer == j)].weight.mean() for j in sorted(set(sub.layer))] for t in tasks]
        )
        image = ax.imshow(grid, vmin=0, vmax=1, cmap="Blues", aspect="auto")
        for (i, j), v in np.ndenumerate(grid):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", color="black" if v < 0.6 else "white", fontsize=8)
        ax.set_xticks(range(grid.shape[1]), [f"layer {j}" for j in range(grid.shape[1])])
        ax.set_yticks(range(len(tasks)), tasks)
        ax.set_title(f"{loc} layer")
        fig.colorbar(image, ax=ax, fraction=0.046)
    fig.suptitle("Figure 2: learned softmax layer weights (λ=0.001)")
    fig.tight_layout()
    fig.savefig(out / "figure2.png", dpi=110)
    plt.close(fig)
    return "## Figure 2: learned layer weights\n\n![Figure 2](figure2.png)\n\nData: [figure2.csv](figure2.csv)\n"


def leaderboard(rs: ResultSet, out: Path) -> str:
    """One row per encoder (+ELMo configuration of Table 1) and one for the word-vector baseline."""
    rows, numbers = [], []
    baseline_scores: dict[str, list[float]] = {}
    for encoder in rs.encoders:
        scores = {}
        for task in rs.tasks:
            spec = _spec(task)
            elmo = rs.elmo_runs(encoder, task, spec)
            base = rs.runs(encoder, task, "baseline", paper_placement(spec))
            split = _test_split(elmo + base)
            if elmo:
                scores[task] = mean_std(rs.scores(elmo, split))[0]
            if base and task not in baseline_scores:
                baseline_scores[task] = rs.scores(base, split)
        if scores:
            rows.append((encoder, scores))
    base_row = {t: mean_std(v)[0] for t, v in baseline_scores.items()}
    all_rows = [("word vectors + characters (baseline)", base_row)] + rows
    display = []
    for name, scores in all_rows:
        common = [t for t in rs.tasks if t in scores and t in base_row]
        avg = sum(scores[t] for t in common) / len(common) if common else float("nan")
        base_avg = sum(base_row[t] for t in common) / len(common) if common else float("nan")
        row = {
            "Encoder": name,
            **{t: fmt(scores.get(t)) for t in rs.tasks},
            "Average": fmt(avg),
            "Gain over baseline": fmt(avg - base_avg),
        }
        display.append(row)
        numbers.append(
            {
                "encoder": name,
                **{t: scores.get(t) for t in rs.tasks},
                "average": avg,
                "gain_over_baseline": avg - base_avg,
            }
        )
    return write_table(
        out,
        "leaderboard",
        pd.DataFrame(display),
        pd.DataFrame(numbers),
        "Leaderboard across encoders",
        [
            "Each task's Table-1 configuration, test split (dev where there is no test); "
            "the average is over tasks every row has."
        ],
    )


def build_report(results_dir: str | Path, name: str | None = None, samples: int = 10000) -> Path:
    """Rebuild every table, figure and the index page of ``results_dir`` from its result files."""
    out = Path(results_dir)
    records = load_results(out / "runs")
    if not records:
        raise FileNotFoundError(f"no result files under {out / 'runs'}")
    rs = ResultSet(records)
    sections = [leaderboard(rs, out)]
    summary = {"encoders": rs.encoders, "tasks": rs.tasks, "runs": len(records), "table1": {}}
    for encoder in rs.encoders:
        t1, numbers = table1(rs, encoder, out, samples)
        summary["table1"][encoder] = numbers
        parts = [
            t1,
            table2(rs, encoder, out),
            table3(rs, encoder, out),
            ablations(rs, encoder, out),
            topic(rs, encoder, out),
            figure1(rs, encoder, out),
            figure2(rs, encoder, out),
        ]
        head = f"# Encoder `{encoder}`\n\n"
        desc = records[[r["encoder"] for r in records].index(encoder)].get("encoder_description") or {}
        if desc:
            head += "\n".join(f"- {k}: {v}" for k, v in desc.items() if v is not None) + "\n\n"
        sections.append(head + "\n".join(p for p in parts if p))
    seconds = sum(r.get("wall_seconds", 0.0) for r in records)
    title = name or out.name
    page = (
        f"# elmo-eval report: {title}\n\n{len(records)} finished runs, {seconds / 60:.1f} minutes of training "
        f"in total. Files: "
        + ", ".join(f"[{p.name}]({p.name})" for p in sorted(out.glob("*.csv")))
        + ", [summary.json](summary.json).\n\n"
        + "\n\n".join(sections)
    )
    (out / "README.md").write_text(page, encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    return out / "README.md"

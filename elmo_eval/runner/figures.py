"""The report's figures: Figure 1 (sample efficiency) and Figure 2 (learned layer weights).

Each writes ``<name>.png`` and ``<name>.csv`` (with an ``encoder`` column) into the encoder's
folder and returns the Markdown that embeds them; matplotlib is imported only here.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from elmo_eval.runner.comparisons import Comparison
from elmo_eval.runner.report_tables import flag_notes
from elmo_eval.runner.resultset import ResultSet, degenerate, score


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure1(rs: ResultSet, comp: Comparison, encoder: str, out: Path) -> str:
    """Dev metric against the share of training data used, baseline vs +ELMo, log axis in percent."""
    from matplotlib.ticker import FuncFormatter

    rows, used = [], []
    for task in rs.tasks:
        if comp.name not in rs.spec(task, encoder).get("setup", {}).get("tables", []):
            continue
        fractions = sorted({r["fraction"] for r in rs.records
                            if r["task"] == task and comp.name in r.get("tables", [])})
        for arm in comp.arms:
            for fraction in fractions:
                runs = rs.arm_runs(encoder, task, arm, fraction)
                used.append(runs)
                for r in runs:
                    rows.append({"encoder": encoder, "task": task, "system": arm.label, "fraction": fraction,
                                 "seed": r["seed"], "dev": score(r, comp.split), "degenerate": degenerate(r) or ""})
    if not rows:
        return ""
    frame = pd.DataFrame(rows)
    frame.to_csv(out / "figure1.csv", index=False)
    plt = _pyplot()
    tasks = list(dict.fromkeys(frame.task))
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.5 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        sub = frame[frame.task == task]
        for arm, style in zip(comp.arms, ("o--", "s-")):
            agg = sub[sub.system == arm.label].groupby("fraction")["dev"].agg(["mean", "std"]).reset_index()
            ax.errorbar(agg["fraction"] * 100, agg["mean"], yerr=agg["std"].fillna(0), fmt=style, label=arm.label,
                        capsize=3)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}%"))
        ax.set_xlabel("training data used (log scale)")
        ax.set_ylabel(f"dev {rs.spec(task, encoder).get('metric_label', '')}")
        ax.set_title(task)
        ax.legend()
    fig.suptitle(f"Figure 1: sample efficiency ({encoder})")
    fig.tight_layout()
    fig.savefig(out / "figure1.png", dpi=110)
    plt.close(fig)
    return (f"## {comp.title}\n\n![Figure 1](figure1.png)\n\n"
            + "".join(f"- {n}\n" for n in (*comp.notes, *flag_notes(used)))
            + "\nData: [figure1.csv](figure1.csv)\n")


def _lambda_label(representation: str) -> str:
    """``elmo_mix_l0.1`` -> ``λ=0.1`` (the name of another mix as it is)."""
    return f"λ={representation.rsplit('_l', 1)[1]}" if representation.startswith("elmo_mix_l") else representation


def figure2_means(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean layer weight per (task label, location, layer) over seeds, from Figure 2's rows.

    The paper's Figure 2 is the λ=0.001 mix; a task without such runs (e.g. real data run for Table 1
    only, whose spec may set another λ) shows its most-run scalar mix, its λ named in the task label.
    """
    chosen = []
    for task, runs in frame.groupby("task"):
        names = list(dict.fromkeys(runs.representation))
        name = ("elmo_mix_l0.001" if "elmo_mix_l0.001" in names
                else max(names, key=lambda n: (runs.representation == n).sum()))
        label = task if name == "elmo_mix_l0.001" else f"{task} ({_lambda_label(name)})"
        chosen.append(runs[runs.representation == name].assign(task=label))
    return pd.concat(chosen).groupby(["task", "location", "layer"])["weight"].mean().reset_index()


def figure2(rs: ResultSet, encoder: str, out: Path) -> str:
    """Mean softmax-normalised layer weights of the learned scalar mixes per task and location: the
    λ=0.001 mix, as in the paper, or where a task has none its most-run scalar mix (named in the label)."""
    import numpy as np

    rows = []
    for r in rs.records:
        rep = r["representation"]
        if r["encoder"] != encoder or rep.get("elmo") != "scalar_mix" or r["fraction"] != 1.0 or r.get("variant"):
            continue
        for where, entry in r.get("layer_weights", {}).items():
            for j, w in enumerate(entry["weights"]):
                rows.append({"encoder": encoder, "task": r["task"], "representation": rep["name"],
                             "placement": rep["placement"], "location": where, "layer": j, "weight": w,
                             "gamma": entry["gamma"], "seed": r["seed"]})
    if not rows:
        return ""
    frame = pd.DataFrame(rows)
    frame.to_csv(out / "figure2.csv", index=False)
    mean = figure2_means(frame)
    locations = [loc for loc in ("input", "output") if loc in set(mean.location)]
    plt = _pyplot()
    # at least 2.4 inches: with one or two tasks a shorter figure has no room for the title and labels
    height = max(2.4, 0.6 + 0.45 * len(set(mean.task)))
    fig, axes = plt.subplots(1, len(locations), figsize=(4.2 * len(locations), height), squeeze=False)
    for ax, loc in zip(axes[0], locations):
        sub = mean[mean.location == loc]
        tasks = list(dict.fromkeys(sub.task))
        grid = np.array([[sub[(sub.task == t) & (sub.layer == j)].weight.mean() for j in sorted(set(sub.layer))]
                         for t in tasks])
        image = ax.imshow(grid, vmin=0, vmax=1, cmap="Blues", aspect="auto")
        for (i, j), v in np.ndenumerate(grid):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", color="black" if v < 0.6 else "white", fontsize=8)
        ax.set_xticks(range(grid.shape[1]), [f"layer {j}" for j in range(grid.shape[1])])
        ax.set_yticks(range(len(tasks)), tasks)
        ax.set_title(f"{loc} layer")
        fig.colorbar(image, ax=ax, fraction=0.046)
    # two lines: one location's panel is 4.2 inches wide, too narrow for the whole title on one
    fig.suptitle(f"Figure 2: learned softmax layer weights\n(λ=0.001 unless named; {encoder})", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "figure2.png", dpi=110)
    plt.close(fig)
    return "## Figure 2: learned layer weights\n\n![Figure 2](figure2.png)\n\nData: [figure2.csv](figure2.csv)\n"

"""Small table helpers: mean ± std cells, Markdown rendering, CSV via pandas."""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd


def mean_std(values: Sequence[float]) -> tuple[float, float, int]:
    """Mean, sample standard deviation (0 for one value) and count; NaN mean when empty."""
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return float("nan"), float("nan"), 0
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0, len(arr)


def fmt(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def fmt_mean_std(values: Sequence[float], digits: int = 2) -> str:
    """A report cell: ``mean ± std`` over seeds, ``mean (1 seed)`` for one (a std of 0 would claim a
    spread nobody measured), ``–`` for none."""
    mean, std, n = mean_std(values)
    if n == 0:
        return "–"
    return f"{fmt(mean, digits)} ± {fmt(std, digits)}" if n > 1 else f"{fmt(mean, digits)} (1 seed)"


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub Markdown table (no extra dependency)."""
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row.tolist()) + " |")
    return "\n".join(lines) + "\n"


def write_table(out_dir: Path, name: str, display: pd.DataFrame, numbers: pd.DataFrame, title: str,
                notes: Sequence[str] = ()) -> str:
    """Write ``name.md`` (display) and ``name.csv`` (numbers); return the Markdown."""
    text = f"## {title}\n\n" + markdown_table(display)
    if notes:
        text += "\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    (out_dir / f"{name}.md").write_text(text, encoding="utf-8")
    numbers.to_csv(out_dir / f"{name}.csv", index=False)
    return text

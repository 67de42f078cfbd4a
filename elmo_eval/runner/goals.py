"""Gain goals a results folder is held to (``elmo-eval report DIR --goal table1_char=1.5``).

A goal says: on this gain comparison (Table 1, or Table 1 against the character-aware baseline),
+ELMo should beat its baseline by at least ``GAIN`` points on the test split with a paired
p < 0.05. The report then adds a column saying, per task, whether the goal is met and, where it is
not, by how much the gain falls short (or that the gain is there but not significant).

Goals belong to the folder, not to one command: they are kept in ``<results>/goals.json`` so every
later rebuild of the report (``elmo-eval report``, or the one at the end of ``reproduce``) keeps
the column without being told again.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from elmo_eval.errors import InputFileError, UsageError
from elmo_eval.io import atomic_write_json

GOALS_FILE = "goals.json"
GOAL_P_VALUE = 0.05


def _gain_comparisons() -> list[str]:
    from elmo_eval.runner.comparisons import BOOK

    return [name for name, comp in BOOK.items() if comp.kind == "gain"]


def parse_goal(text: str) -> tuple[str, float]:
    """``"table1_char=1.5"`` -> ``("table1_char", 1.5)``; a usage error naming what is wrong."""
    name, sep, value = text.partition("=")
    choices = _gain_comparisons()
    if not sep or name.strip() not in choices:
        raise UsageError(f"--goal {text!r}: expected COMPARISON=GAIN with COMPARISON one of {', '.join(choices)}")
    try:
        gain = float(value)
    except ValueError:
        gain = float("nan")
    if not math.isfinite(gain):
        raise UsageError(f"--goal {text!r}: the gain must be a number (points of the task's metric), got {value!r}")
    return name.strip(), gain


def load_goals(results_dir: Path) -> dict[str, float]:
    """The folder's goals (empty when it has none); a malformed file names itself and what was expected."""
    path = Path(results_dir) / GOALS_FILE
    if not path.exists():
        return {}
    try:
        goals = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputFileError(path, getattr(error, "lineno", None), f"not JSON ({error})") from None
    choices = _gain_comparisons()
    if not isinstance(goals, dict) or not all(
            k in choices and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for k, v in goals.items()):
        raise InputFileError(path, None, "expected an object of comparison name -> gain, e.g. "
                             '{"table1_char": 1.5}, with comparisons from ' + ", ".join(choices))
    return {k: float(v) for k, v in goals.items()}


def save_goals(results_dir: Path, goals: dict[str, float]) -> None:
    """Write (or, for no goals, remove) ``goals.json`` atomically."""
    path = Path(results_dir) / GOALS_FILE
    if not goals:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, goals)


def goal_verdict(abs_gain: float, p_value: float | None, goal: float) -> tuple[bool, float, str]:
    """``(met, shortfall, text)`` for one task: met when the gain reaches ``goal`` with p < 0.05.

    ``shortfall`` is how many points the gain lacks (0 when it is reached); ``text`` is the table cell.
    A missing p-value (no per-instance statistics) cannot show significance, so the goal is not met.
    """
    if math.isnan(abs_gain):
        return False, float("nan"), "–"
    shortfall = max(0.0, goal - abs_gain)
    significant = p_value is not None and p_value < GOAL_P_VALUE
    if shortfall > 0:
        return False, shortfall, f"short by {shortfall:.2f}"
    if not significant:
        p_text = "no p" if p_value is None else f"p {p_value:.3f}"
        return False, 0.0, f"gain reached, not significant ({p_text})"
    return True, 0.0, "met"

"""Leaderboard reports, rebuilt from result files alone (``elmo-eval report``).

Reads only ``runs/**/result.json``, the per-instance statistics files beside them and the
probe results ``runs/<encoder>/probes/probes-*.json`` (JSON; no task specs, no task code, no
pickles, no symbolic links followed). Writes into the results folder: the leaderboard across
encoders (``leaderboard.md/.csv``), one folder per encoder with every comparison of the book
that its runs fill (Tables 1-3, the ablations, the topic and variant comparisons and the
per-layer probes of Tables 5-6 as Markdown and CSV, Figures 1 and 2 as PNG), a machine-readable
``summary.json`` and a ``README.md`` page linking everything.

A result file that cannot be read (cut off by a failed copy or a full disk, not JSON, lacking
what every result has) is left out, named on stderr with the reason, and named again on the
report's page and in ``summary.json`` (``skipped_files``), so a report never leaves runs out
silently. ``elmo-eval reproduce`` with the same options trains those runs again and replaces
the files; the report of a folder without unreadable files is unchanged by this.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from elmo_eval.errors import UsageError
from elmo_eval.runner.comparisons import BOOK
from elmo_eval.runner.figures import figure1, figure2
from elmo_eval.runner.goals import load_goals
from elmo_eval.runner.html_page import write_page
from elmo_eval.runner.leaderboard import leaderboard
from elmo_eval.runner.report_tables import columns_table, gain_table, probes_table, variants_table
from elmo_eval.runner.results import load_probe_results, load_results
from elmo_eval.runner.resultset import ResultSet

SOURCES = (
    "Peters, Neumann, Iyyer, Gardner, Clark, Lee and Zettlemoyer (2018), *Deep contextualized word "
    "representations*, NAACL, [arXiv:1802.05365](https://arxiv.org/abs/1802.05365): Tables 1-3, Figures 1-2.",
)


def encoder_folder(encoder: str) -> str:
    """A file-system-safe folder name for an encoder's tables and figures."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", encoder).strip("._") or "encoder"


def encoder_report(rs: ResultSet, encoder: str, out: Path, samples: int,
                   probe_results: list[dict] | None = None,
                   goals: dict[str, float] | None = None) -> tuple[str, list[dict], list[dict]]:
    """Every comparison the encoder's runs (and probe results) fill, in the book's order, into ``out``;
    ``goals`` (comparison -> gain) add a goal column to those gain tables.
    Returns the page, the numbers of its Table 1 and those of its probes (for the summary)."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob("*.md"), *out.glob("*.csv"), *out.glob("*.png")]:
        stale.unlink()  # a comparison whose runs are gone must not keep an old table
    probe_results = [r for r in probe_results or [] if r["encoder"].get("id") == encoder]
    parts, table1, probe_rows = [], [], []
    for comp in BOOK.values():
        if comp.kind == "gain":
            text, numbers = gain_table(rs, comp, encoder, out, samples, (goals or {}).get(comp.name))
            table1 = numbers if comp.name == "table1" else table1  # the summary's Table 1
        elif comp.kind == "columns":
            text = columns_table(rs, comp, encoder, out)
        elif comp.kind == "curve":
            text = figure1(rs, comp, encoder, out)
        elif comp.kind == "probe":
            text, probe_rows = probes_table(probe_results, comp, encoder, out)
        else:
            text = variants_table(rs, comp, encoder, out)
        parts.append(text)
    parts.append(figure2(rs, encoder, out))
    record = next((r for r in rs.records if r["encoder"] == encoder), None)
    if record is None:  # an encoder with probe results only
        probed = probe_results[0]["encoder"]
        record = {"encoder_description": probed.get("description"), "encoder_fingerprint": probed.get("fingerprint")}
    desc = record.get("encoder_description") or {}
    desc = desc if isinstance(desc, dict) else {}
    head = f"# Encoder `{encoder}`\n\n" + "".join(f"- {k}: {v}\n" for k, v in desc.items() if v is not None)
    if isinstance(record.get("encoder_fingerprint"), str) and "fingerprint" not in desc:
        head += f"- fingerprint: `{record['encoder_fingerprint'][:16]}`\n"
    page = head + "\n" + "\n".join(p for p in parts if p)
    (out / "README.md").write_text(page, encoding="utf-8")
    return page, table1, probe_rows


def build_report(results_dir: str | Path, name: str | None = None, samples: int = 10000,
                 goals: dict[str, float] | None = None) -> Path:
    """Rebuild the leaderboard, every encoder's tables and figures and the index page of
    ``results_dir`` from its result files alone; ``goals`` (comparison -> gain) replace the
    folder's ``goals.json`` for this build (:mod:`elmo_eval.runner.goals`)."""
    out = Path(results_dir)
    skipped: list[tuple[Path, str]] = []
    records = load_results(out / "runs", skipped)
    probe_results = load_probe_results(out / "runs", skipped)
    for path, why in skipped:
        print(f"warning: {path}: {why}; left out of the report (rerun `elmo-eval reproduce` with the same "
              "options to train it again)", file=sys.stderr, flush=True)
    if not records and not probe_results:
        unreadable = f" ({len(skipped)} unreadable, named above)" if skipped else ""
        raise FileNotFoundError(f"no result files under {out / 'runs'}{unreadable}")
    old = [r["_dir"] for r in records if "spec" not in r]
    if old:
        raise UsageError(f"{len(old)} result files predate the spec snapshot (e.g. {old[0]}): train them again "
                         "with `elmo-eval reproduce` (finished runs of the current format are kept)")
    rs = ResultSet(records)
    goals = load_goals(out) if goals is None else goals
    # never one average over generated-world and real-data scores: one leaderboard per kind of data
    kinds = sorted({(r.get("data_source") or {}).get("kind", "unknown") for r in records})
    for stale in out.glob("leaderboard*.*"):
        stale.unlink()
    board, board_rows = "", []
    for kind in kinds:
        subset = ResultSet([r for r in records if (r.get("data_source") or {}).get("kind", "unknown") == kind])
        suffix = "" if len(kinds) == 1 else f"-{kind}"
        text, rows = leaderboard(subset, out, f"leaderboard{suffix}",
                                 "Leaderboard across encoders" + (f" ({kind} data)" if suffix else ""))
        board += text + "\n"
        board_rows += [{**row, "data_kind": kind} for row in rows]
    # an encoder with probe results but no runs (``--tables probes`` alone) gets its page too
    encoders = list(dict.fromkeys([*rs.encoders, *(r["encoder"]["id"] for r in probe_results)]))
    summary = {"encoders": encoders, "tasks": rs.tasks, "runs": len(records), "leaderboard": board_rows,
               "table1": {}}
    if probe_results:
        summary["probes"] = {}
    if goals:
        summary["goals"] = goals
    if skipped:
        summary["skipped_files"] = [{"file": str(path.relative_to(out)), "reason": why} for path, why in skipped]
    links, pages = [], {}
    for encoder in encoders:
        folder = encoder_folder(encoder)
        pages[folder], summary["table1"][encoder], probe_rows = encoder_report(rs, encoder, out / folder, samples,
                                                                               probe_results, goals)
        if probe_results:
            summary["probes"][encoder] = probe_rows
        links.append(f"- [{encoder}]({folder}/README.md)")
    seconds = sum(r.get("wall_seconds", 0.0) for r in records)
    title = name or out.name
    page = (f"# elmo-eval report: {title}\n\n{len(records)} finished runs, {seconds / 60:.1f} minutes of training "
            f"in total. Data: "
            + ", ".join(f"[{p.name}]({p.name})" for p in sorted(out.glob("leaderboard*.csv")))
            + ", [summary.json](summary.json); a sortable page: [leaderboard.html](leaderboard.html)."
            + timings_line(out) + "\n\n"
            + _skipped_note(out, skipped) + board + "\n## Encoders\n\n" + "\n".join(links) + "\n\n## Sources\n\n"
            + "".join(f"- {s}\n" for s in _sources(rs)))
    (out / "README.md").write_text(page, encoding="utf-8")
    write_page(out, page, pages, f"elmo-eval report: {title}")
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    return out / "README.md"


def timings_line(out: Path) -> str:
    """A link to the time-per-stage table(s) of the last reproduction that computed something here."""
    files = sorted(out.glob("timings*.md"))
    if not files:
        return ""
    return (" Time per stage of the last reproduction that trained something here: "
            + ", ".join(f"[{f.name}]({f.name})" for f in files) + ".")


def _skipped_note(out: Path, skipped: list[tuple[Path, str]]) -> str:
    """The page's warning that some result files could not be read and are not in its tables."""
    if not skipped:
        return ""
    lines = "".join(f"- `{path.relative_to(out)}`: {why}\n" for path, why in skipped)
    files = "1 result file" if len(skipped) == 1 else f"{len(skipped)} result files"
    return (f"**{files} could not be read and {'is' if len(skipped) == 1 else 'are'} left out of every table "
            f"below** (rerun `elmo-eval reproduce` with the same options to train again):\n\n{lines}\n")


def _sources(rs: ResultSet) -> list[str]:
    """The paper, and any other source a spec cites for its comparisons (``paper.source``)."""
    extra = [rs.spec(t).get("paper", {}).get("source") for t in rs.tasks]
    return [*SOURCES, *dict.fromkeys(s for s in extra if s)]

"""Check a user's copy of a task's data, count it against the published split sizes, and register it.

``elmo-eval data check <task> <path>`` works for every task (ner, sst, snli, squad, srl, coref,
topic): licensed data (CoNLL-2003; OntoNotes 5.0 / CoNLL-2012; CoNLL-2005) cannot be downloaded
for the user, and a copy of a public set the user already has can be registered instead of fetched.

``path`` is a folder holding the splits, one split folder, or one split file. Only the splits
training uses are registered (train, dev, test), found under the names of the public releases and
their usual copies (:attr:`DataFormat.split_names`: ``eng.testa`` and ``valid.txt`` are dev,
``conll-2012-test`` and ``test.wsj`` are test, ...). A path in which no split can be named is
refused (:class:`NoUsableSplit`) rather than registered under a name training does not read.

The counters use the project's readers, so ``data check`` accepts exactly what training will read,
and a malformed file raises the readers' :class:`DataFormatError` naming the file and line. A split
without any data (an empty file) is refused the same way; every split is counted before anything is
registered, so a refused check leaves the registry as it was.
Published sizes: see ``docs/data.md`` (each one was also counted on the public files there).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from elmo_eval.errors import UsageError
from elmo_eval.readers.errors import DataFormatError  # noqa: F401  (re-exported: the readers raise it)

from .datadir import load_registry, register_dataset, resolve_data_dir

SPLITS = ("train", "dev", "test")


class NoUsableSplit(UsageError, ValueError):
    """A path in which no train/dev/test split can be named (one line, for the CLI)."""


@dataclass
class SplitCounts:
    """Counts for one split (possibly several files); None: not counted for this format."""

    files: int = 0
    documents: int | None = None
    sentences: int | None = None
    tokens: int | None = None
    predicates: int | None = None
    mentions: int | None = None
    pairs: int | None = None
    labelled: int | None = None
    questions: int | None = None
    examples: int | None = None

    def __add__(self, other: SplitCounts) -> SplitCounts:
        def add(a, b):
            return None if a is None and b is None else (a or 0) + (b or 0)
        return SplitCounts(**{f.name: add(getattr(self, f.name), getattr(other, f.name)) for f in fields(self)})

    def counted(self) -> dict[str, int]:
        """The counts this format has (``files`` first)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


# ----------------------------------------------------------------------------------------------
# Per-file counters (the project's readers; imported when counting, so the CLI starts fast)
# ----------------------------------------------------------------------------------------------


def count_conll2003_file(path: Path) -> SplitCounts:
    """CoNLL-2003 columns (IOB1 ``eng.*`` or IOB2 copies), read with the project's reader."""
    from elmo_eval.readers.conll2003 import read_conll2003

    sentences = read_conll2003(path)
    return SplitCounts(files=1, documents=len({s.document for s in sentences if s.document >= 0}),
                       sentences=len(sentences), tokens=sum(len(s.tokens) for s in sentences))


def count_conll2012(path: Path) -> SplitCounts:
    """CoNLL-2012 ``*gold_conll`` (a file or a folder): parts, sentences, tokens, predicates, mentions."""
    from elmo_eval.readers.conll2012 import conll2012_files, read_conll2012_file

    total = SplitCounts()
    for file in conll2012_files(path):
        documents = read_conll2012_file(file)
        sentences = [s for doc in documents for s in doc.sentences]
        total = total + SplitCounts(files=1, documents=len(documents), sentences=len(sentences),
                                    tokens=sum(len(s.words) for s in sentences),
                                    predicates=sum(len(s.srl_frames) for s in sentences),
                                    mentions=sum(len(c) for doc in documents for c in doc.clusters))
    return total


def count_conll2005(path: Path) -> SplitCounts:
    """CoNLL-2005: a release split folder (words/ + props/) or one words-beside-props file."""
    from elmo_eval.readers.conll2005 import read_conll2005, release_pairs

    sentences = read_conll2005(path)
    files = len(release_pairs(path)) * 2 if path.is_dir() else 1
    return SplitCounts(files=files, sentences=len(sentences), tokens=sum(len(s.words) for s in sentences),
                       predicates=sum(len(s.srl_frames) for s in sentences))


def count_sst(path: Path) -> SplitCounts:
    from elmo_eval.readers.sst import read_sst

    trees = read_sst(path)
    return SplitCounts(files=1, sentences=len(trees), tokens=sum(len(t.tokens) for t in trees))


def count_snli(path: Path) -> SplitCounts:
    from elmo_eval.readers.snli import read_snli

    _, report = read_snli(path)
    return SplitCounts(files=1, pairs=report.total, labelled=report.pairs)


def count_squad(path: Path) -> SplitCounts:
    from elmo_eval.readers.squad import read_squad

    _, report = read_squad(path)
    return SplitCounts(files=1, documents=report.articles, questions=report.questions)


def count_agnews(path: Path) -> SplitCounts:
    from elmo_eval.readers.agnews import read_agnews

    return SplitCounts(files=1, examples=len(read_agnews(path)))


# ----------------------------------------------------------------------------------------------
# Formats and tasks
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DataFormat:
    """One distributed form of a task's data.

    ``split_names``: for each split, the file or folder names that hold it (compared without case),
    in order of preference. ``data_suffixes``: what a data file's name ends with inside a split
    folder (empty: any file). ``folder_splits``: a split is a folder read whole (CoNLL-2012 parts,
    the CoNLL-2005 release). ``published``: ``{split: {count name: value}}``.
    """

    name: str
    dataset: str
    count: Callable[[Path], SplitCounts]
    split_names: dict[str, tuple[str, ...]]
    published: dict[str, dict[str, int]]
    source: str
    data_suffixes: tuple[str, ...] = ()
    folder_splits: bool = False

    def is_data_file(self, path: Path) -> bool:
        name = path.name.lower()
        return path.is_file() and not name.startswith(".") and (
            not self.data_suffixes or any(name.endswith(s) or f"{s}." in name for s in self.data_suffixes))

    def expected(self, split: str) -> str:
        return " or ".join(self.split_names[split][:4])


@dataclass(frozen=True)
class CheckTask:
    """A task whose data ``data check`` can validate; ``formats`` in order of preference.

    ``test_is_dev``: the task reports dev as test (SQuAD 1.1 has no public test set).
    ``optional``: splits that may be absent, with what training does instead.
    """

    name: str
    formats: tuple[DataFormat, ...]
    aliases: tuple[str, ...] = ()
    test_is_dev: bool = False
    optional: dict[str, str] = field(default_factory=dict)

    @property
    def dataset(self) -> str:
        return " / ".join(f.dataset for f in self.formats)

    def format_named(self, name: str) -> DataFormat:
        return next((f for f in self.formats if f.name == name), self.formats[0])


_DEV = ("dev", "valid", "validation", "devel", "development")

CONLL2003 = DataFormat(
    name="conll2003", dataset="CoNLL-2003 English NER", count=count_conll2003_file,
    split_names={"train": ("eng.train", "train.txt", "train.iob", "train.bio", "train"),
                 "dev": ("eng.testa", "valid.txt", "dev.txt", "devel.txt", "development.txt", "testa.txt",
                         "testa", *_DEV),
                 "test": ("eng.testb", "test.txt", "testb.txt", "testb", "test")},
    # Tjong Kim Sang & De Meulder 2003, Table 1 (its sentence counts include the -DOCSTART- lines:
    # 14,987 - 946 = 14,041 etc.); the same in the IOB1 eng.* files and the IOB2 train/valid/test.txt copies.
    published={"train": {"documents": 946, "sentences": 14_041},
               "dev": {"documents": 216, "sentences": 3_250},
               "test": {"documents": 231, "sentences": 3_453}},
    source="Tjong Kim Sang & De Meulder 2003")

CONLL2012 = DataFormat(
    name="conll2012", dataset="CoNLL-2012 (OntoNotes 5.0) English", count=count_conll2012,
    split_names={
        "train": ("train.english.v4_gold_conll", "train.english.gold_conll", "train"),
        "dev": ("dev.english.v4_gold_conll", "dev.english.gold_conll", "development", *_DEV),
        # conll-formatted-ontonotes-5.0 (v12) has both: conll-2012-test is the CoNLL-2012 test set that SRL and
        # coreference papers report on, test is OntoNotes' own (larger) one.
        "test": ("test.english.v4_gold_conll", "test.english.gold_conll", "conll-2012-test", "test")},
    # Pradhan et al. 2012: 2,802 / 343 / 348 parts; the test set's other counts as read from the
    # conll-2012-test folder of conll-formatted-ontonotes-5.0 (identical to the v4 test files' counts
    # that the CoNLL-2012 SRL and coreference papers report).
    published={"train": {"documents": 2_802}, "dev": {"documents": 343},
               "test": {"documents": 348, "sentences": 9_479, "tokens": 169_579, "predicates": 24_462,
                        "mentions": 19_764}},
    source="Pradhan et al. 2012 (CoNLL-2012 shared task)", data_suffixes=("gold_conll",), folder_splits=True)

CONLL2005 = DataFormat(
    name="conll2005", dataset="CoNLL-2005 SRL (WSJ)", count=count_conll2005,
    split_names={"train": ("train",), "dev": ("devel", "dev", "development"), "test": ("test.wsj",)},
    # Carreras & Marquez 2005, Table 1 (WSJ sections 02-21 / 24 / 23); test.brown (out of domain) is not used.
    published={"train": {"sentences": 39_832, "predicates": 90_750},
               "dev": {"sentences": 1_346, "predicates": 3_248},
               "test": {"sentences": 2_416, "predicates": 5_267}},
    source="Carreras & Marquez 2005 (CoNLL-2005 shared task)", data_suffixes=(".words", ".props"),
    folder_splits=True)

SST = DataFormat(
    name="sst", dataset="Stanford Sentiment Treebank (SST-5 trees)", count=count_sst,
    split_names={"train": ("train.txt", "train"), "dev": ("dev.txt", "valid.txt", "devel.txt", "development.txt"),
                 "test": ("test.txt",)},
    published={"train": {"sentences": 8_544}, "dev": {"sentences": 1_101}, "test": {"sentences": 2_210}},
    source="Socher et al. 2013", data_suffixes=(".txt",))

SNLI = DataFormat(
    name="snli", dataset="SNLI 1.0", count=count_snli,
    split_names={s: (f"snli_1.0_{s}.jsonl", f"snli_1.0_{s}.txt", f"{s}.jsonl", f"{s}.txt")
                 + (("valid.jsonl", "valid.txt") if s == "dev" else ()) for s in SPLITS},
    # Bowman et al. 2015, Table 2 (pairs), and the pairs whose gold label is not '-' (what training keeps)
    published={"train": {"pairs": 550_152, "labelled": 549_367}, "dev": {"pairs": 10_000, "labelled": 9_842},
               "test": {"pairs": 10_000, "labelled": 9_824}},
    source="Bowman et al. 2015", data_suffixes=(".jsonl", ".txt"))

SQUAD = DataFormat(
    name="squad", dataset="SQuAD 1.1", count=count_squad,
    split_names={"train": ("train-v1.1.json", "train.json"), "dev": ("dev-v1.1.json", "dev.json", "valid.json"),
                 "test": ("dev-v1.1.json", "dev.json", "valid.json")},
    # Rajpurkar et al. 2016: 442 / 48 articles, 87,599 / 10,570 questions (1.1 files); no public test set
    published={"train": {"questions": 87_599}, "dev": {"documents": 48, "questions": 10_570},
               "test": {"documents": 48, "questions": 10_570}},
    source="Rajpurkar et al. 2016", data_suffixes=(".json",))

AGNEWS = DataFormat(
    name="agnews", dataset="AG News", count=count_agnews,
    split_names={"train": ("train.csv",), "dev": ("dev.csv", "valid.csv"), "test": ("test.csv",)},
    published={"train": {"examples": 120_000}, "test": {"examples": 7_600}},
    source="Zhang et al. 2015", data_suffixes=(".csv",))

CHECK_TASKS: dict[str, CheckTask] = {}


def register_task(task: CheckTask) -> CheckTask:
    CHECK_TASKS[task.name] = task
    return task


register_task(CheckTask("ner", (CONLL2003,), aliases=("conll2003", "conll-2003")))
register_task(CheckTask("sst", (SST,), aliases=("sst5", "sst-5")))
register_task(CheckTask("snli", (SNLI,), aliases=("snli-1.0", "snli1.0")))
register_task(CheckTask("squad", (SQUAD,), aliases=("squad-1.1", "squad1.1"), test_is_dev=True))
register_task(CheckTask("srl", (CONLL2012, CONLL2005),
                        aliases=("conll2012-srl", "conll-2012-srl", "conll2012", "ontonotes", "conll2005",
                                 "conll-2005")))
register_task(CheckTask("coref", (CONLL2012,), aliases=("conll2012-coref", "conll-2012-coref")))
register_task(CheckTask("topic", (AGNEWS,), aliases=("agnews", "ag-news", "ag_news"),
                        optional={"dev": "training carves a seeded 5% of train as dev (tasks/topic.toml)"}))

LICENSED_TASKS = CHECK_TASKS  # the earlier name (status.py, data list)


def canonical_task(name: str) -> str:
    """The task name for a name or alias (``conll2003`` -> ``ner``); raises ``KeyError`` if unknown."""
    wanted = name.lower()
    for task in CHECK_TASKS.values():
        if wanted == task.name or wanted in task.aliases:
            return task.name
    raise KeyError(f"unknown task {name!r} for data check; known: "
                   + ", ".join(f"{t.name} ({', '.join(t.aliases)})" for t in CHECK_TASKS.values()))


# ----------------------------------------------------------------------------------------------
# Finding the splits of a user's copy
# ----------------------------------------------------------------------------------------------

def _split_named(fmt: DataFormat, name: str) -> str | None:
    """The split a file or folder name stands for in ``fmt`` (None: no split name)."""
    lowered = name.lower()
    return next((split for split in SPLITS if lowered in fmt.split_names[split]), None)


def _has_data(fmt: DataFormat, path: Path) -> bool:
    if path.is_file():
        return not fmt.folder_splits or fmt.name != "conll2005"
    if fmt.name == "conll2005":
        return any(p.is_file() for p in path.rglob("*.props*")) and any(p.is_file() for p in path.rglob("*.words*"))
    return any(fmt.is_data_file(p) for p in path.rglob("*"))


def _narrow(fmt: DataFormat, path: Path) -> Path:
    """A CoNLL-2012 split folder of the full release holds every language: keep ``data/english``."""
    english = path / "data" / "english"
    return english if fmt.name == "conll2012" and path.is_dir() and english.is_dir() else path


def _find_split(fmt: DataFormat, root: Path, split: str) -> Path | None:
    """The shallowest file or folder under ``root`` named like ``split`` that holds data, by preference."""
    names = fmt.split_names[split]
    candidates = [p for p in [root, *root.rglob("*")] if p != root and p.name.lower() in names]
    if not fmt.folder_splits:
        candidates = [p for p in candidates if p.is_file()]
    candidates = [p for p in candidates if _has_data(fmt, p)]
    if not candidates:
        return None
    best = min(candidates, key=lambda p: (names.index(p.name.lower()), len(p.parts), str(p)))
    return _narrow(fmt, best)


@dataclass
class Located:
    """Where the splits of a copy are: ``{split: path}`` in ``fmt``; ``note`` says what was inferred."""

    fmt: DataFormat
    splits: dict[str, Path]
    notes: list[str] = field(default_factory=list)


def locate_splits(task: CheckTask, path: Path, split: str | None = None) -> Located:
    """The train/dev/test splits of ``path`` (a folder of splits, one split's folder, or one file).

    ``split`` names the split ``path`` is when its name does not say. Raises :class:`NoUsableSplit`
    when no split can be named, and ``FileNotFoundError`` when ``path`` does not exist.
    """
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if split is not None and split not in SPLITS:
        raise NoUsableSplit(f"--split must be one of {', '.join(SPLITS)}, not {split!r}")
    # the path itself is one split: named by --split, or by its own name
    for fmt in task.formats:
        own = split or _split_named(fmt, path.name)
        if own and _has_data(fmt, path):
            return _with_test_from_dev(task, Located(fmt, {own: _narrow(fmt, path)}))
    if path.is_file():
        raise NoUsableSplit(f"{path}: cannot tell which split this file is; name it like the release "
                            f"({_expected_names(task)}) or pass --split train|dev|test")
    best: Located | None = None
    for fmt in task.formats:
        found = {s: p for s in SPLITS if (p := _find_split(fmt, path, s)) is not None}
        if found and (best is None or len(found) > len(best.splits)):
            best = Located(fmt, found)
    if best is None:
        data = [p for fmt in task.formats for p in path.rglob("*") if fmt.is_data_file(p)]
        what = f"{len(data)} data file(s) but none" if data else "no data file and nothing"
        raise NoUsableSplit(f"{path}: no usable {task.name} split: found {what} named like a train, dev or "
                            f"test split ({_expected_names(task)}); point at the split itself with --split")
    return _with_test_from_dev(task, best)


def _with_test_from_dev(task: CheckTask, located: Located) -> Located:
    if task.test_is_dev and "dev" in located.splits:
        located.splits["test"] = located.splits["dev"]
        located.notes.append("test is dev (no public test set; the task reports on dev)")
    return located


def _expected_names(task: CheckTask) -> str:
    return "; ".join(f"{s}: {' or '.join(dict.fromkeys(n for f in task.formats for n in f.split_names[s][:3]))}"
                     for s in SPLITS)


@dataclass
class DatasetReport:
    """The outcome of checking one path: the splits found there, counted."""

    task: str
    path: Path
    fmt: DataFormat
    split_paths: dict[str, Path]
    counts: dict[str, SplitCounts]
    notes: list[str] = field(default_factory=list)

    @property
    def published(self) -> dict[str, dict[str, int]]:
        return self.fmt.published

    def mismatches(self) -> list[str]:
        """Published counts that differ, e.g. ``train sentences: 14040, published 14041``."""
        return _mismatches(self.published, {s: c.counted() for s, c in self.counts.items()})

    @property
    def comparable(self) -> bool:
        """Whether any split found has published sizes to compare with."""
        return any(split in self.published for split in self.counts)

    @property
    def complete(self) -> bool:
        """Every published split is present and every published count matches."""
        return bool(self.published) and set(self.published) <= set(self.counts) and not self.mismatches()

    def missing(self) -> list[str]:
        return [split for split in SPLITS if split not in self.split_paths]

    def table(self) -> str:
        names = [n for n in SplitCounts.__dataclass_fields__ if any(
            getattr(c, n) is not None for c in self.counts.values())]
        rows = [f"{'split':<6} " + " ".join(f"{n:>10}" for n in names) + "  published"]
        for split, counts in self.counts.items():
            published = ", ".join(f"{what} {value:,}" for what, value in self.published.get(split, {}).items())
            cells = " ".join(f"{getattr(counts, n):>10,}" for n in names)
            rows.append(f"{split:<6} {cells}  {published or '-'}")
        return "\n".join(rows)

    def registry_entry(self) -> dict[str, Any]:
        return {
            "format": self.fmt.name,
            "path": str(self.path.resolve()),
            "splits": {split: str(path.resolve()) for split, path in self.split_paths.items()},
            "counts": {split: asdict(counts) for split, counts in self.counts.items()},
            "matches_published": self.complete if self.comparable else None,
            "mismatches": self.mismatches(),
            "checked_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }


def _mismatches(published: dict[str, dict[str, int]], counts: dict[str, dict[str, int]]) -> list[str]:
    differences = []
    for split, expected in published.items():
        for what, value in expected.items() if split in counts else ():
            found = counts[split].get(what)
            if found != value:
                differences.append(f"{split} {what}: {found}, published {value}")
    return differences


def check_dataset(task_name: str, path: str | Path, split: str | None = None) -> DatasetReport:
    """Locate the splits under ``path`` and count them.

    Raises :class:`NoUsableSplit` (no split can be named), ``FileNotFoundError`` or the readers'
    :class:`DataFormatError` (malformed data, naming file and line).
    """
    task = CHECK_TASKS[canonical_task(task_name)]
    path = Path(path).expanduser()
    located = locate_splits(task, path, split)
    counts: dict[str, SplitCounts] = {}
    for name, split_path in located.splits.items():
        counts[name] = _count_split(located.fmt, split_path)
    return DatasetReport(task.name, path, located.fmt, located.splits, counts, located.notes)


def _count_split(fmt: DataFormat, path: Path) -> SplitCounts:
    if path.is_file() or fmt.folder_splits:
        return fmt.count(path)
    total = SplitCounts()
    for data_file in sorted(p for p in path.rglob("*") if fmt.is_data_file(p)):
        total = total + fmt.count(data_file)
    return total


@dataclass
class Registration:
    """What registering a report did: the entry now stored, and what it kept or dropped from before."""

    registry: Path
    entry: dict[str, Any]
    kept: dict[str, str] = field(default_factory=dict)      # split -> path, from the earlier registration
    replaced: dict[str, str] = field(default_factory=dict)  # split -> earlier path, now another
    dropped: dict[str, str] = field(default_factory=dict)   # split -> earlier path, no longer registered


def register_report(report: DatasetReport, data_dir: str | Path | None = None,
                    replace: bool = False) -> Registration:
    """Record a checked dataset in ``<data_dir>/registry.json``, merged with an earlier registration.

    Splits checked now are added or replace the same splits; the earlier registration's other
    splits are kept (and reported), unless ``replace`` is set or the earlier one is of another format
    (a CoNLL-2005 copy after a CoNLL-2012 one): then they are dropped, and the result says which.
    """
    root = resolve_data_dir(data_dir)
    earlier = load_registry(root).get(report.task) or {}
    entry = report.registry_entry()
    outcome = Registration(root, entry)
    old_splits = {s: p for s, p in (earlier.get("splits") or {}).items() if s in SPLITS}
    same_format = earlier.get("format", report.fmt.name) == report.fmt.name
    for split, old_path in old_splits.items():
        if split in entry["splits"]:
            if old_path != entry["splits"][split]:
                outcome.replaced[split] = old_path
        elif replace or not same_format:
            outcome.dropped[split] = old_path
        else:
            outcome.kept[split] = old_path
            entry["splits"][split] = old_path
            if split in (earlier.get("counts") or {}):
                entry["counts"][split] = earlier["counts"][split]
    entry["splits"] = {s: entry["splits"][s] for s in SPLITS if s in entry["splits"]}
    entry["counts"] = {s: entry["counts"][s] for s in SPLITS if s in entry["counts"]}
    if outcome.kept:
        entry["path"] = os.path.commonpath(list(entry["splits"].values()))
        counts = {s: {k: v for k, v in c.items() if v is not None} for s, c in entry["counts"].items()}
        entry["mismatches"] = _mismatches(report.published, counts)
        comparable = any(s in report.published for s in counts)
        complete = set(report.published) <= set(counts) and not entry["mismatches"]
        entry["matches_published"] = complete if comparable else None
    outcome.registry = register_dataset(root, report.task, entry)
    return outcome

"""Validate a user-supplied copy of a licensed dataset and count it against the published split sizes.

Licensed data (CoNLL-2003 for NER; OntoNotes 5.0 / CoNLL-2012 for SRL and coreference) cannot
be downloaded for the user.  ``elmo-eval data check <task> <path>`` finds the splits under
``path``, counts documents / sentences / tokens (and predicates for SRL) per split, compares
them with the published sizes and registers the copy in ``<data_dir>/registry.json``.

Each task is a :class:`LicensedTask` holding a small per-file counter, looked up through
``LICENSED_TASKS``.  The counters below are minimal structural ones of our own.

The counters use the project's readers (``read_conll2003``, ``read_conll2012``), so ``data check``
accepts exactly what training will read, and a malformed file raises the readers'
:class:`DataFormatError` naming the file and line.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from elmo_eval.readers.conll2003 import read_conll2003
from elmo_eval.readers.conll2012 import read_conll2012
from elmo_eval.readers.errors import DataFormatError

from .datadir import register_dataset, resolve_data_dir

SPLITS = ("train", "dev", "test")




@dataclass
class SplitCounts:
    """Counts for one split (possibly several files)."""

    files: int = 0
    documents: int = 0
    sentences: int = 0
    tokens: int = 0
    predicates: int | None = None

    def __add__(self, other: SplitCounts) -> SplitCounts:
        predicates = None if self.predicates is None and other.predicates is None \
            else (self.predicates or 0) + (other.predicates or 0)
        return SplitCounts(self.files + other.files, self.documents + other.documents,
                           self.sentences + other.sentences, self.tokens + other.tokens, predicates)


# ----------------------------------------------------------------------------------------------
# Per-file counters (the project's readers)
# ----------------------------------------------------------------------------------------------


def count_conll2003_file(path: Path) -> SplitCounts:
    """CoNLL-2003 columns, read with the project's reader (exactly what training reads)."""
    sentences = read_conll2003(path)
    return SplitCounts(files=1, documents=len({s.document for s in sentences if s.document >= 0}),
                       sentences=len(sentences), tokens=sum(len(s.tokens) for s in sentences))


def count_conll2012_file(path: Path, with_predicates: bool) -> SplitCounts:
    """CoNLL-2012 ``*_conll``, read with the project's reader: documents (parts), sentences, tokens and
    (for SRL) predicates."""
    documents = read_conll2012(path)
    sentences = [s for doc in documents for s in doc.sentences]
    return SplitCounts(files=1, documents=len(documents), sentences=len(sentences),
                       tokens=sum(len(s.words) for s in sentences),
                       predicates=sum(len(s.srl_frames) for s in sentences) if with_predicates else None)


# ----------------------------------------------------------------------------------------------
# Finding the splits of a user's copy
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LicensedTask:
    """A task whose data the user supplies.

    ``split_names``: for each split, file or directory names that hold it, in order of preference.
    ``file_pattern``: glob for data files inside a split directory.
    ``published``: ``{split: {count name: value}}`` from the dataset papers.
    """

    name: str
    dataset: str
    count_file: Callable[[Path], SplitCounts]
    split_names: dict[str, tuple[str, ...]]
    file_pattern: str
    published: dict[str, dict[str, int]]
    source: str
    aliases: tuple[str, ...] = field(default_factory=tuple)


def _files_of(path: Path, pattern: str) -> list[Path]:
    return [path] if path.is_file() else sorted(p for p in path.rglob(pattern) if p.is_file())


def _find_split(root: Path, names: tuple[str, ...], pattern: str) -> Path | None:
    """The shallowest file or directory under ``root`` named like a split (e.g. ``eng.testa``, ``development``)."""
    for name in names:
        direct = root / name
        if direct.exists() and _files_of(direct, pattern):
            return direct
    found = sorted((p for p in root.rglob("*") if p.name in names and _files_of(p, pattern)),
                   key=lambda p: (len(p.parts), names.index(p.name), str(p)))
    return found[0] if found else None


def locate_splits(task: LicensedTask, path: Path) -> dict[str, Path]:
    """``{split: file or directory}``.

    A single file is the split its name says (``eng.testa`` -> ``dev``), else one split ``all``;
    so is a directory with data files but no split names.
    """
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if path.is_file():
        named = [split for split, names in task.split_names.items() if path.name in names]
        return {named[0] if named else "all": path}
    splits = {split: found for split, names in task.split_names.items()
              if (found := _find_split(path, names, task.file_pattern)) is not None}
    if not splits:
        if _files_of(path, task.file_pattern):
            return {"all": path}
        expected = "; ".join(f"{split}: {' or '.join(names)}" for split, names in task.split_names.items())
        raise DataFormatError(path, "layout", f"no {task.dataset} data found (looked for files matching "
                              f"{task.file_pattern!r}); expected splits named {expected}")
    missing = [split for split in task.split_names if split not in splits]
    if missing:
        expected = "; ".join(f"{split}: {' or '.join(task.split_names[split])}" for split in missing)
        raise DataFormatError(path, "layout", f"found splits {', '.join(splits)} but not {', '.join(missing)} "
                              f"(expected {expected})")
    return splits


# ----------------------------------------------------------------------------------------------
# The registry of licensed tasks
# ----------------------------------------------------------------------------------------------

_CONLL2012_SPLITS = {
    "train": ("train.english.v4_gold_conll", "train.english.gold_conll", "train"),
    "dev": ("dev.english.v4_gold_conll", "dev.english.gold_conll", "development", "dev"),
    # conll-formatted-ontonotes-5.0 (v12) has both: conll-2012-test is the CoNLL-2012 test set that SRL and
    # coreference papers report on, test is OntoNotes' own (larger) one.
    "test": ("test.english.v4_gold_conll", "test.english.gold_conll", "conll-2012-test", "test"),
}

LICENSED_TASKS: dict[str, LicensedTask] = {}


def register_task(task: LicensedTask) -> LicensedTask:
    LICENSED_TASKS[task.name] = task
    return task


register_task(LicensedTask(
    name="ner",
    dataset="CoNLL-2003 English NER",
    count_file=count_conll2003_file,
    split_names={"train": ("eng.train", "train.txt", "train"),
                 "dev": ("eng.testa", "valid.txt", "dev.txt", "testa.txt", "dev"),
                 "test": ("eng.testb", "test.txt", "testb.txt", "test")},
    file_pattern="*",
    # Tjong Kim Sang & De Meulder 2003, Table 1 (its sentence counts include the -DOCSTART- lines:
    # 14,987 - 946 = 14,041 etc., which are the counts the ELMo paper's setup uses).
    published={"train": {"documents": 946, "sentences": 14_041},
               "dev": {"documents": 216, "sentences": 3_250},
               "test": {"documents": 231, "sentences": 3_453}},
    source="Tjong Kim Sang & De Meulder 2003",
    aliases=("conll2003", "conll-2003"),
))

register_task(LicensedTask(
    name="coref",
    dataset="CoNLL-2012 (OntoNotes 5.0) English coreference",
    count_file=lambda path: count_conll2012_file(path, with_predicates=False),
    split_names=_CONLL2012_SPLITS,
    file_pattern="*gold_conll",
    published={"train": {"documents": 2_802}, "dev": {"documents": 343}, "test": {"documents": 348}},
    source="Pradhan et al. 2012 (CoNLL-2012 shared task)",
    aliases=("conll2012-coref", "conll-2012-coref"),
))

register_task(LicensedTask(
    name="srl",
    dataset="CoNLL-2012 (OntoNotes 5.0) English SRL",
    count_file=lambda path: count_conll2012_file(path, with_predicates=True),
    split_names=_CONLL2012_SPLITS,
    file_pattern="*gold_conll",
    # SRL uses the Pradhan et al. 2013 release (conll-formatted-ontonotes-5.0, v12) or the CoNLL-2012 v4 files,
    # whose document and predicate counts differ; no source at hand pins them, so nothing is compared.
    published={},
    source="Pradhan et al. 2013; counts are reported, not compared",
    aliases=("conll2012-srl", "conll-2012-srl", "conll2012", "ontonotes"),
))


def canonical_task(name: str) -> str:
    """The task name for a name or alias (``conll2003`` -> ``ner``); raises ``KeyError`` if unknown."""
    wanted = name.lower()
    for task in LICENSED_TASKS.values():
        if wanted == task.name or wanted in task.aliases:
            return task.name
    raise KeyError(f"unknown licensed task {name!r}; known: "
                   + ", ".join(f"{t.name} ({', '.join(t.aliases)})" for t in LICENSED_TASKS.values()))


@dataclass
class DatasetReport:
    """The outcome of checking one user-supplied dataset."""

    task: str
    path: Path
    split_paths: dict[str, Path]
    counts: dict[str, SplitCounts]
    published: dict[str, dict[str, int]]

    def mismatches(self) -> list[str]:
        """Published counts that differ, e.g. ``train sentences: 14040, published 14041``."""
        differences = []
        for split, expected in self.published.items():
            if split not in self.counts:
                continue
            for what, value in expected.items():
                found = getattr(self.counts[split], what)
                if found != value:
                    differences.append(f"{split} {what}: {found}, published {value}")
        return differences

    @property
    def comparable(self) -> bool:
        """Whether there are published sizes to compare with at all."""
        return bool(self.published)

    @property
    def complete(self) -> bool:
        """Published sizes exist, every published split is present and every published count matches."""
        return self.comparable and set(self.published) <= set(self.counts) and not self.mismatches()

    def table(self) -> str:
        header = f"{'split':<6} {'files':>6} {'documents':>10} {'sentences':>10} {'tokens':>10} {'predicates':>10}" \
                 "  published"
        rows = [header]
        for split, counts in self.counts.items():
            published = ", ".join(f"{what} {value:,}" for what, value in self.published.get(split, {}).items())
            predicates = "-" if counts.predicates is None else f"{counts.predicates:,}"
            rows.append(f"{split:<6} {counts.files:>6,} {counts.documents:>10,} {counts.sentences:>10,} "
                        f"{counts.tokens:>10,} {predicates:>10}  {published or '-'}")
        return "\n".join(rows)

    def registry_entry(self) -> dict[str, Any]:
        return {
            "path": str(self.path.resolve()),
            "splits": {split: str(path.resolve()) for split, path in self.split_paths.items()},
            "counts": {split: asdict(counts) for split, counts in self.counts.items()},
            "matches_published": self.complete if self.comparable else None,
            "mismatches": self.mismatches(),
            "checked_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }


def check_dataset(task_name: str, path: str | Path) -> DatasetReport:
    """Locate the splits under ``path`` and count them; raises :class:`DataFormatError` on malformed data."""
    task = LICENSED_TASKS[canonical_task(task_name)]
    path = Path(path).expanduser()
    split_paths = locate_splits(task, path)
    counts = {}
    for split, split_path in split_paths.items():
        files = _files_of(split_path, task.file_pattern)
        total = SplitCounts(predicates=None)
        for data_file in files:
            total = total + task.count_file(data_file)
        counts[split] = total
    return DatasetReport(task.name, path, split_paths, counts, task.published)


def register_report(report: DatasetReport, data_dir: str | Path | None = None) -> Path:
    """Record a checked dataset in ``<data_dir>/registry.json``; returns the registry's path."""
    return register_dataset(resolve_data_dir(data_dir), report.task, report.registry_entry())

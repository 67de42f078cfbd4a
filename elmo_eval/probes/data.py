"""Probe data: train and test sentences with POS tags and (where the source has them) WSD targets.

Sources (``load_probe_data(path, fmt=None)``; the format is detected when not given):

- ``world``: a generated world (its ``probes/`` folder, written by :mod:`elmo_eval.world.probes`):
  POS tags and name stems whose sense (PER/LOC/ORG/MISC) only context reveals, plus a sense inventory;
- ``conll2003``: a CoNLL-2003 folder (``eng.train``/``eng.testb`` or ``train.txt``/``test.txt``): the
  second column is a PTB POS tag; no WSD targets;
- ``conll2012``: a CoNLL-2012 folder (``train/`` and ``test/`` below it, ``*gold_conll`` files): POS
  tags, and every token with a lemma (column 6) and a word sense (column 8) is a WSD target keyed
  ``lemma-n.SENSE`` / ``lemma-v.SENSE`` (OntoNotes numbers senses per lemma and part of speech);
  OntoNotes' sense inventories are not in these files, so a lemma never seen in train gets no answer.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from elmo_eval.errors import UsageError
from elmo_eval.readers.conll2003 import read_conll2003
from elmo_eval.readers.conll2012 import conll2012_files, read_conll2012_file
from elmo_eval.readers.probe_columns import TaggedSentence, read_probe_columns, read_sense_inventory

FORMATS = ("world", "conll2003", "conll2012")
CONLL2003_SPLITS = {"train": ("eng.train", "train.txt"), "test": ("eng.testb", "test.txt")}
CONLL2012_SPLITS = {"train": ("train",), "test": ("test", "conll-2012-test")}


class ProbeDataError(UsageError, ValueError):
    """The probe data cannot be found or has not what a probe needs (one line for the user)."""


@dataclass
class ProbeData:
    """What the probes read: sentences of two splits, an optional sense inventory, a description."""

    name: str
    source: str
    train: list[TaggedSentence]
    test: list[TaggedSentence]
    inventory: dict[str, list[str]] = field(default_factory=dict)
    notes: str = ""

    @property
    def has_wsd(self) -> bool:
        return any(s.lemmas[i] for s in self.train for i in range(len(s.tokens)))

    def sizes(self) -> dict:
        def count(sentences):
            return {"sentences": len(sentences), "tokens": sum(len(s.tokens) for s in sentences),
                    "wsd_instances": sum(1 for s in sentences for lemma in s.lemmas if lemma)}
        return {"train": count(self.train), "test": count(self.test),
                "inventory_lemmas": len(self.inventory)}

    def fingerprint(self) -> str:
        """A digest of every token, tag and key (names the layer caches and result files)."""
        digest = hashlib.sha256()
        for split in (self.train, self.test):
            for sentence in split:
                for row in zip(sentence.tokens, sentence.pos, sentence.lemmas, sentence.senses):
                    digest.update(repr(row).encode("utf-8"))
                digest.update(b"\n")
            digest.update(b"\x1e")
        return digest.hexdigest()[:16]


def world_probe_data(world_dir: str | Path) -> ProbeData:
    folder = Path(world_dir) / "probes"
    if not (folder / "train.txt").is_file():
        raise ProbeDataError(f"{folder} holds no probe files; regenerate the world with `elmo-eval world`")
    return ProbeData("world", str(folder), read_probe_columns(folder / "train.txt"),
                     read_probe_columns(folder / "test.txt"), read_sense_inventory(folder / "senses.tsv"),
                     "generated world: news and scene sentences; WSD targets are name stems, senses their "
                     "entity type; inventory order = sense frequency in the probe train split")


def _first_existing(root: Path, names: tuple[str, ...], what: str) -> Path:
    for name in names:
        if (root / name).exists():
            return root / name
    raise ProbeDataError(f"{root}: no {what} (looked for {', '.join(names)})")


def conll2003_probe_data(root: str | Path) -> ProbeData:
    root = Path(root)

    def split(name: str) -> list[TaggedSentence]:
        path = _first_existing(root, CONLL2003_SPLITS[name], f"CoNLL-2003 {name} file")
        return [TaggedSentence(s.tokens, s.pos, [None] * len(s.tokens), [()] * len(s.tokens), s.line_no)
                for s in read_conll2003(path)]

    return ProbeData("conll2003", str(root), split("train"), split("test"),
                     notes="CoNLL-2003 English (Reuters) with its PTB POS column; train = eng.train, "
                           "test = eng.testb")


def _lemma_key(lemma: str, tag: str) -> str:
    """OntoNotes numbers senses per lemma and part of speech: ``run-v``, ``run-n``."""
    return f"{lemma}-{'v' if tag.startswith('V') else 'n'}"


def conll2012_probe_data(root: str | Path, max_sentences: int | None = None) -> ProbeData:
    """POS and word senses of a CoNLL-2012 tree; ``max_sentences`` keeps the first N of each split
    (files in sorted order) for a quicker probe."""
    root = Path(root)

    def split(name: str) -> list[TaggedSentence]:
        folder = _first_existing(root, CONLL2012_SPLITS[name], f"CoNLL-2012 {name} folder")
        out: list[TaggedSentence] = []
        for path in conll2012_files(folder):
            for document in read_conll2012_file(path):
                for s in document.sentences:
                    lemmas, senses = [], []
                    for lemma, sense, tag in zip(s.predicate_lemmas, s.word_senses, s.pos):
                        target = lemma is not None and sense is not None
                        lemmas.append(_lemma_key(lemma, tag) if target else None)
                        senses.append((f"{_lemma_key(lemma, tag)}.{sense}",) if target else ())
                    out.append(TaggedSentence(s.words, s.pos, lemmas, senses, s.line))
                    if max_sentences is not None and len(out) >= max_sentences:
                        return out
        return out

    limit = f" (first {max_sentences} sentences of each split)" if max_sentences else ""
    return ProbeData("conll2012", str(root), split("train"), split("test"),
                     notes="CoNLL-2012 / OntoNotes 5.0: POS column and OntoNotes word senses of nouns and "
                           f"verbs{limit}; no sense inventory (unseen lemmas are left unanswered)")


def detect_format(path: Path) -> str:
    if (path / "probes" / "train.txt").is_file() or (path / "world.json").is_file():
        return "world"
    if any((path / name).is_file() for names in CONLL2003_SPLITS.values() for name in names):
        return "conll2003"
    if any((path / name).is_dir() for names in CONLL2012_SPLITS.values() for name in names):
        return "conll2012"
    raise ProbeDataError(f"{path}: cannot tell its format (a world, a CoNLL-2003 or a CoNLL-2012 folder); "
                         "give --data-format")


def load_probe_data(path: str | Path, fmt: str | None = None, max_sentences: int | None = None) -> ProbeData:
    path = Path(path)
    if not path.exists():
        raise ProbeDataError(f"{path} does not exist")
    fmt = fmt or detect_format(path)
    if fmt == "world":
        data = world_probe_data(path)
    elif fmt == "conll2003":
        data = conll2003_probe_data(path)
    elif fmt == "conll2012":
        return conll2012_probe_data(path, max_sentences)
    else:
        raise ProbeDataError(f"unknown probe data format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if max_sentences is not None:
        data.train, data.test = data.train[:max_sentences], data.test[:max_sentences]
        data.notes += f" (first {max_sentences} sentences of each split)"
    return data

"""Semantic role labeling scores exactly as ``srl-eval.pl`` (CoNLL-2005) computes them.

The unit is a proposition: a predicate (position + verb string) and one
Start-End column of argument brackets (``(A0*``, ``*``, ``*)``, ``(V*)``).
The scorer's rules, reproduced here:

- Every bracketed phrase, nested ones included, is an argument. A phrase with
  nested phrases inside becomes a multi-part argument whose parts are those
  nested phrases.
- ``C-X`` continues the most recent ``X`` of the column: together they are one
  discontinuous argument (start of the first part to end of the last), scored
  as one unit. A ``C-X`` with no preceding ``X`` becomes a plain ``X``.
  ``R-X`` is an ordinary label.
- A predicted argument is correct when a gold argument has the same start and
  end, the same label, and (for multi-part arguments) the same parts. Gold
  arguments are indexed by (start, end): when two share both, the later one
  hides the earlier (the scorer's hash).
- ``V`` is counted separately and is not part of the overall scores.
- Propositions are matched by predicate position. A gold proposition with no
  prediction, or with a different verb string: all its arguments are missed.
  A predicted proposition absent from gold is skipped.

Public API::

    column_arguments(column) -> list[Argument]
    score_proposition(gold_column, pred_column) -> PropositionCounts
    evaluate_propositions(gold_sentences, pred_sentences) -> dict
    bio_to_column(tags) -> list[str]
    write_props(handle, sentences) / read_props(path) / score_props_files(gold, pred)

A *sentence* is ``(length, [(position, verb, column), ...])``.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

EXCLUDED = frozenset({"V"})
PropSentence = tuple[int, list[tuple[int, str, list[str]]]]


class _Phrase:
    """A bracketed phrase; mutable because the scorer extends arguments in place."""

    __slots__ = ("end", "label", "parts", "start")

    def __init__(self, label: str, start: int, end: int = -1):
        self.label, self.start, self.end = label, start, end
        self.parts: list[_Phrase] = []

    def dfs(self):
        yield self
        for part in self.parts:
            yield from part.dfs()


@dataclass(frozen=True)
class Argument:
    """One argument: label, start, end (inclusive) and its parts (empty when contiguous and un-nested)."""

    label: str
    start: int
    end: int
    parts: tuple[tuple[int, int], ...] = ()

    @property
    def single(self) -> bool:
        return not self.parts


_OPENING = re.compile(r"\(((?:\\\*|[^*(])+)")  # the scorer's: a label may hold an escaped star, "\*"


def _phrase_tree(column: Sequence[str]) -> list[_Phrase]:
    """Start-End tags -> top-level phrases (nested ones as parts), as the scorer's ``load_SE_tagging``."""
    open_phrases: list[_Phrase] = []
    top: list[_Phrase] = []
    for index, tag in enumerate(column):
        rest = tag
        while not rest.startswith("*"):
            match = _OPENING.match(rest)
            if match is None:
                raise ValueError(f"position {index}: bad opening bracket in {tag!r}")
            open_phrases.append(_Phrase(match.group(1), index))
            rest = rest[match.end():]
        rest = rest[1:]
        while rest:
            match = re.match(r"([^)]*)\)", rest)
            if match is None:
                raise ValueError(f"position {index}: bad closing bracket in {tag!r}")
            if not open_phrases:
                raise ValueError(f"position {index}: {tag!r} closes no open phrase")
            phrase = open_phrases.pop()
            if match.group(1) and match.group(1) != phrase.label:
                raise ValueError(f"position {index}: {match.group(1)!r} closes {phrase.label!r}")
            phrase.end = index
            (open_phrases[-1].parts if open_phrases else top).append(phrase)
            rest = rest[match.end():]
    if open_phrases:
        raise ValueError(f"phrase {open_phrases[-1].label!r} opened at {open_phrases[-1].start} is never closed")
    return top


def _arguments(column: Sequence[str]) -> list[_Phrase]:
    """The scorer's ``prop::load_SE_tagging``: phrases -> arguments, joining ``C-`` continuations."""
    by_span: dict[tuple[int, int], _Phrase] = {}
    for phrase in _phrase_tree(column):
        for inner in phrase.dfs():
            by_span[(inner.start, inner.end)] = inner  # later (inner) phrases replace earlier ones
    ordered = [by_span[key] for key in sorted(by_span, key=lambda k: (k[0], -k[1]))]
    arguments: list[_Phrase] = []
    latest: dict[str, _Phrase] = {}
    for phrase in ordered:
        if phrase.label.startswith("C-"):
            base = phrase.label[2:]
            head = latest.get(base)
            if head is not None:
                if not head.parts:
                    head.parts.append(_Phrase(base, head.start, head.end))
                head.parts.append(phrase)
                head.end = phrase.end
                continue
            phrase.label = base
        arguments.append(phrase)
        latest[phrase.label] = phrase
    return arguments


def column_arguments(column: Sequence[str]) -> list[Argument]:
    """The arguments the scorer sees in one Start-End column (the verb included, label ``V``)."""
    return [Argument(a.label, a.start, a.end, tuple((p.start, p.end) for p in a.parts)) for a in _arguments(column)]


def _discriminate(gold: list[Argument], pred: list[Argument]) -> tuple[list[Argument], list[Argument], list[Argument]]:
    """(correct, excess, missed) as the scorer's ``discriminate_args``."""
    remaining: dict[tuple[int, int], Argument] = {}
    for arg in gold:
        remaining[(arg.start, arg.end)] = arg
    correct, excess = [], []
    for arg in pred:
        key = (arg.start, arg.end)
        target = remaining.get(key)
        if target is None or target.label != arg.label or target.single != arg.single:
            excess.append(arg)
        elif arg.single or (len(set(arg.parts)) == len(arg.parts) and set(arg.parts) == set(target.parts)):
            # multi-part: the same set of parts, none repeated in the prediction
            correct.append(arg)
            del remaining[key]
        else:
            excess.append(arg)
    return correct, excess, list(remaining.values())


@dataclass
class PropositionCounts:
    """Correct / excess / missed per label; ``V`` kept apart in ``excluded``."""

    by_label: dict[str, Counter] = field(default_factory=dict)
    excluded: dict[str, Counter] = field(default_factory=dict)

    def add(self, label: str, kind: str, n: int = 1) -> None:
        table = self.excluded if label in EXCLUDED else self.by_label
        table.setdefault(label, Counter())[kind] += n

    def merge(self, other: PropositionCounts) -> None:
        for source, target in ((other.by_label, self.by_label), (other.excluded, self.excluded)):
            for label, counts in source.items():
                target.setdefault(label, Counter()).update(counts)

    def total(self) -> Counter:
        out = Counter()
        for counts in self.by_label.values():
            out.update(counts)
        return out

    @property
    def perfect(self) -> bool:
        total = self.total()
        return total["excess"] == 0 and total["missed"] == 0


def score_proposition(gold_column: Sequence[str] | None, pred_column: Sequence[str] | None) -> PropositionCounts:
    """Counts for one proposition; a None column has no arguments (a missing prediction)."""
    gold = column_arguments(gold_column) if gold_column is not None else []
    pred = column_arguments(pred_column) if pred_column is not None else []
    correct, excess, missed = _discriminate(gold, pred)
    counts = PropositionCounts()
    for kind, args in (("correct", correct), ("excess", excess), ("missed", missed)):
        for arg in args:
            counts.add(arg.label, kind)
    return counts


def precision_recall_f1(correct: int, excess: int, missed: int) -> tuple[float, float, float]:
    """Percentages as the scorer's ``precrecf1`` (0 where undefined)."""
    p = 100.0 * correct / (correct + excess) if correct + excess > 0 else 0.0
    r = 100.0 * correct / (correct + missed) if correct + missed > 0 else 0.0
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return p, r, f1


def _row(counts: Counter) -> dict:
    p, r, f1 = precision_recall_f1(counts["correct"], counts["excess"], counts["missed"])
    return {"correct": counts["correct"], "excess": counts["excess"], "missed": counts["missed"],
            "precision": p, "recall": r, "f1": f1}


def evaluate_propositions(gold_sentences: Sequence[PropSentence], pred_sentences: Sequence[PropSentence]) -> dict:
    """The scorer's report over aligned sentences ``(length, [(position, verb, column), ...])``.

    Returns precision/recall/f1 (percent, ``V`` excluded), correct/excess/missed,
    num_sentences, num_propositions, perfect_props (percent), per_label rows and
    the verb row.
    """
    if len(gold_sentences) != len(pred_sentences):
        raise ValueError(f"{len(gold_sentences)} gold sentences but {len(pred_sentences)} predicted")
    totals = PropositionCounts()
    propositions = perfect = 0
    for number, ((g_len, g_props), (p_len, p_props)) in enumerate(zip(gold_sentences, pred_sentences)):
        if g_len != p_len:
            raise ValueError(f"sentence {number}: gold has {g_len} tokens, prediction {p_len}")
        predicted = {position: (verb, column) for position, verb, column in p_props}
        gold = {position: (verb, column) for position, verb, column in g_props}
        for position in sorted(gold):
            verb, gold_column = gold[position]
            pred_verb, pred_column = predicted.get(position, (None, None))
            if pred_verb != verb:
                pred_column = None  # missing or another verb: every gold argument is missed
            counts = score_proposition(gold_column, pred_column)
            totals.merge(counts)
            propositions += 1
            perfect += counts.perfect
    overall = _row(totals.total())
    return {**overall, "num_sentences": len(gold_sentences), "num_propositions": propositions,
            "perfect_props": 100.0 * perfect / propositions if propositions else 0.0,
            "per_label": {label: _row(c) for label, c in sorted(totals.by_label.items())},
            "verb": _row(totals.excluded.get("V", Counter()))}


# --- BIO <-> Start-End, props files ------------------------------------------

def bio_to_column(tags: Sequence[str]) -> list[str]:
    """BIO tags -> a Start-End column. An ``I-X`` that does not continue an ``X`` starts one (as conlleval)."""
    spans: list[tuple[str, int, int]] = []
    current: list | None = None
    for index, tag in enumerate(tags):
        prefix, _, label = tag.partition("-")
        if prefix == "I" and current is not None and current[0] == label:
            current[2] = index
            continue
        if current is not None:
            spans.append(tuple(current))
            current = None
        if prefix in ("B", "I"):
            current = [label, index, index]
    if current is not None:
        spans.append(tuple(current))
    column = ["*"] * len(tags)
    for label, start, end in spans:
        column[start] = f"({label}*"
        column[end] = column[end] + ")"
    return column


def write_props(handle: IO[str], sentences: Iterable[PropSentence]) -> None:
    """Props format: the verb (or ``-``) then one column per proposition in position order; blank line after each."""
    for length, props in sentences:
        props = sorted(props, key=lambda p: p[0])
        verbs = {position: verb for position, verb, _ in props}
        for i in range(length):
            cells = [verbs.get(i, "-")] + [column[i] for _, _, column in props]
            handle.write("\t".join(cells) + "\n")
        handle.write("\n")


def _read_sentence(lines: Iterable[str]) -> list[list[str]]:
    rows = []
    for line in lines:
        fields = line.split()
        if not fields:
            break
        rows.append(fields)
    return rows


def read_props(path: str | Path) -> list[PropSentence]:
    """A props file as the scorer reads it (a blank line where a sentence should start ends the file)."""
    sentences = []
    with open(path, encoding="utf-8") as handle:
        lines = iter(handle)
        while True:
            rows = _read_sentence(lines)
            if not rows:
                return sentences
            if len({len(row) for row in rows}) > 1:
                # the scorer would shift the short rows' cells into other columns; refuse instead
                raise ValueError(f"{path}: sentence {len(sentences) + 1} has rows with different numbers of columns")
            columns = list(zip(*rows))
            verbs = columns[0]
            arg_columns = [list(c) for c in columns[1:]]
            positions = [i for i, v in enumerate(verbs) if v != "-"]
            props = [(position, verbs[position], arg_columns[k] if k < len(arg_columns) else ["*"] * len(rows))
                     for k, position in enumerate(positions)]
            sentences.append((len(rows), props))


def score_props_files(gold_path: str | Path, pred_path: str | Path) -> dict:
    """``perl srl-eval.pl gold pred`` as a dict (reading stops where the gold file ends)."""
    gold = read_props(gold_path)
    pred = read_props(pred_path)
    if len(pred) < len(gold):
        raise ValueError(f"{pred_path}: {len(pred)} sentences, but {gold_path} has {len(gold)}")
    return evaluate_propositions(gold, pred[:len(gold)])

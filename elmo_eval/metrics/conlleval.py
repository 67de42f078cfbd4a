"""Entity-level precision, recall and F1 exactly as conlleval computes and prints them.

Our implementation of the counting rules of ``conlleval`` (the CoNLL-2000/2003 script, version 2004-01-26):
chunks start and end where its ``startOfChunk`` / ``endOfChunk`` say, a tag is split at its first
hyphen (``B-AM-TMP`` is prefix ``B``, type ``AM-TMP``; a tag without hyphen has no type), and a
guessed chunk is correct when it starts and ends with a gold chunk of the same type. So, as
conlleval: an ``I-`` after ``O`` or after another type starts a chunk (IOB1 and BIO score alike,
invalid sequences included), a type change starts a new chunk, a sentence end closes one.
Checked against conlleval's printed lines on generated cases (``tests/test_official_scorers.py``).

conlleval does not know ``S-`` and reads ``E-`` its own way: :func:`conlleval_scores` refuses both
(give BIOES through :func:`elmo_eval.readers.conll2003.bioes_to_bio` first). Scores are unrounded
percentages; :func:`conlleval_report` prints them as conlleval does.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BOUNDARY = "-X-"  # a line whose first field is this is a sentence break, as an empty line
_TAG = re.compile(r"([^-]*)-(.*)\Z", re.DOTALL)


def split_tag(tag: str) -> tuple[str, str]:
    """``(prefix, type)`` as conlleval splits a tag: at the first hyphen; no hyphen, no type. A type
    that Perl reads as false (``""`` or ``"0"``) is no type."""
    match = _TAG.match(tag)
    prefix, kind = (match.group(1), match.group(2)) if match else (tag, "")
    return prefix, ("" if kind in ("", "0") else kind)


def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, kind: str) -> bool:
    if prev_tag in ("B", "I") and tag in ("B", "O"):
        return True
    if prev_tag == "E" and tag in ("E", "I", "O"):
        return True
    if prev_tag not in ("O", ".") and prev_type != kind:
        return True
    return prev_tag in ("[", "]")


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, kind: str) -> bool:
    if tag == "B" and prev_tag in ("B", "I", "O"):
        return True
    if prev_tag == "O" and tag in ("I", "E"):
        return True
    if prev_tag == "E" and tag in ("E", "I"):
        return True
    if tag not in ("O", ".") and prev_type != kind:
        return True
    return tag in ("[", "]")


@dataclass
class ConllevalCounts:
    """conlleval's counters: chunks correct, in the gold column and guessed, overall and per type;
    tokens and tokens whose tag is right (sentence breaks not counted)."""

    correct: int = 0
    gold: int = 0
    guessed: int = 0
    tokens: int = 0
    correct_tags: int = 0
    correct_by_type: Counter = field(default_factory=Counter)
    gold_by_type: Counter = field(default_factory=Counter)
    guessed_by_type: Counter = field(default_factory=Counter)
    # the scanner's state between lines
    _in_correct: bool = False
    _last_correct: str = "O"
    _last_guessed: str = "O"
    _last_correct_type: str = ""
    _last_guessed_type: str = ""

    def add_line(self, gold_tag: str, guessed_tag: str, boundary: bool = False) -> None:
        """One line of conlleval's input: its last two fields, or a sentence break (``boundary``)."""
        if boundary:
            gold_tag = guessed_tag = "O"
        correct, correct_type = split_tag(gold_tag)
        guessed, guessed_type = split_tag(guessed_tag)
        last_correct, last_guessed = self._last_correct, self._last_guessed
        last_correct_type, last_guessed_type = self._last_correct_type, self._last_guessed_type
        if self._in_correct:
            gold_ends = _end_of_chunk(last_correct, correct, last_correct_type, correct_type)
            guess_ends = _end_of_chunk(last_guessed, guessed, last_guessed_type, guessed_type)
            if gold_ends and guess_ends and last_guessed_type == last_correct_type:
                self._in_correct = False
                self.correct += 1
                self.correct_by_type[last_correct_type] += 1
            elif gold_ends != guess_ends or guessed_type != correct_type:
                self._in_correct = False
        gold_starts = _start_of_chunk(last_correct, correct, last_correct_type, correct_type)
        guess_starts = _start_of_chunk(last_guessed, guessed, last_guessed_type, guessed_type)
        if gold_starts and guess_starts and guessed_type == correct_type:
            self._in_correct = True
        if gold_starts:
            self.gold += 1
            self.gold_by_type[correct_type] += 1
        if guess_starts:
            self.guessed += 1
            self.guessed_by_type[guessed_type] += 1
        if not boundary:
            if correct == guessed and guessed_type == correct_type:
                self.correct_tags += 1
            self.tokens += 1
        self._last_correct, self._last_guessed = correct, guessed
        self._last_correct_type, self._last_guessed_type = correct_type, guessed_type

    def add_sentence(self, gold: Sequence[str], guessed: Sequence[str]) -> None:
        """A sentence's tags, then the sentence break."""
        for g, p in zip(gold, guessed):
            self.add_line(g, p)
        self.add_line("O", "O", boundary=True)

    def finish(self) -> ConllevalCounts:
        """The end of the input (closes a chunk still being matched); returns self."""
        if self._in_correct:
            self._in_correct = False
            self.correct += 1
            self.correct_by_type[self._last_correct_type] += 1
        return self

    @property
    def types(self) -> list[str]:
        """The chunk types seen, sorted (Perl's string order)."""
        return sorted(set(self.gold_by_type) | set(self.guessed_by_type))

    @property
    def printed_types(self) -> list[str]:
        """The types of conlleval's per-type lines: :attr:`types`, except that the empty type (tags
        without a type, such as ``B``) comes once for the gold and once for the guessed column where
        both have it (conlleval skips a repeated type only after a true one)."""
        printed: list[str] = []
        for kind in sorted([*self.gold_by_type, *self.guessed_by_type]):
            if not printed or not printed[-1] or printed[-1] != kind:
                printed.append(kind)
        return printed


def _prf(correct: int, predicted: int, gold: int) -> dict[str, float]:
    precision = 100 * correct / predicted if predicted else 0.0
    recall = 100 * correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _check(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> None:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    for s, (g, p) in enumerate(zip(gold, predicted)):
        if len(g) != len(p):
            raise ValueError(f"sentence {s}: {len(g)} gold tags but {len(p)} predicted")
        if any(t[:2] in ("E-", "S-") for t in (*g, *p)):
            raise ValueError(f"sentence {s} has BIOES tags; conlleval reads IOB1/BIO only (convert first)")


def count_sentences(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> ConllevalCounts:
    """conlleval's counters over sentences (each followed by a break), BIOES refused."""
    _check(gold, predicted)
    counts = ConllevalCounts()
    for g, p in zip(gold, predicted):
        counts.add_sentence(g, p)
    return counts.finish()


def entity_counts(gold: Sequence[str], predicted: Sequence[str]) -> tuple[int, int, int]:
    """``(correct, predicted, gold)`` entities of one sentence: the counts conlleval adds up over
    sentences (an entity never crosses a sentence end)."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold tags but {len(predicted)} predicted")
    counts = count_sentences([gold], [predicted])
    return counts.correct, counts.guessed, counts.gold


def scores_from_counts(counts: ConllevalCounts) -> dict:
    """Overall and per-type scores (percentages) and counts, from :class:`ConllevalCounts`."""
    per_type = {kind: {**_prf(counts.correct_by_type[kind], counts.guessed_by_type[kind], counts.gold_by_type[kind]),
                       "predicted": counts.guessed_by_type[kind], "gold": counts.gold_by_type[kind]}
                for kind in counts.types}
    return {**_prf(counts.correct, counts.guessed, counts.gold), "correct": counts.correct,
            "predicted_entities": counts.guessed, "gold_entities": counts.gold,
            "accuracy": 100 * counts.correct_tags / counts.tokens if counts.tokens else 0.0,
            "per_type": per_type}


def conlleval_scores(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict:
    """Overall and per-type scores of IOB1/BIO sequences (one list of tags per sentence).

    Returns ``{"precision", "recall", "f1", "correct", "predicted_entities", "gold_entities",
    "accuracy", "per_type": {type: {"precision", "recall", "f1", "predicted", "gold"}}}``
    (percentages; ``accuracy`` is conlleval's token accuracy).
    """
    return scores_from_counts(count_sentences(gold, predicted))


# --- conlleval's input and output --------------------------------------------------------------

def count_lines(lines: Iterable[str], source: str | Path = "<input>") -> ConllevalCounts:
    """conlleval's reading of its input: fields split at every single space (``split / /``; trailing
    empty fields dropped); the last two are the gold and the guessed tag; an empty line or one whose
    first field is ``-X-`` is a sentence break; every other line, ``-DOCSTART-`` included, is a token.
    Lines must have the same number of fields (conlleval exits), and at least two."""
    counts = ConllevalCounts()
    width = None
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\n")
        fields = line.split(" ")
        while fields and not fields[-1]:
            fields.pop()
        if width is None:
            width = len(fields) or None
        elif fields and len(fields) != width:
            raise ValueError(f"{source}:{number}: {len(fields)} fields, but earlier lines have {width} "
                             "(conlleval stops: unexpected number of features)")
        if not fields or fields[0] == BOUNDARY:
            counts.add_line("O", "O", boundary=True)
            continue
        if len(fields) < 2:
            raise ValueError(f"{source}:{number}: conlleval needs at least two fields (gold and guessed tag)")
        counts.add_line(fields[-2], fields[-1])
    return counts.finish()


def read_conlleval_file(path: str | Path) -> ConllevalCounts:
    """:func:`count_lines` over a file (a predictions file of the NER task, for one)."""
    with open(path, encoding="utf-8", newline="\n") as handle:
        return count_lines(handle, path)


def conlleval_report(counts: ConllevalCounts) -> str:
    """What conlleval prints (its default, non-LaTeX output), digit for digit."""
    scores = scores_from_counts(counts)
    lines = [f"processed {counts.tokens} tokens with {counts.gold} phrases; found: {counts.guessed} phrases; "
             f"correct: {counts.correct}."]
    if counts.tokens > 0:
        lines.append(f"accuracy: {scores['accuracy']:6.2f}%; precision: {scores['precision']:6.2f}%; "
                     f"recall: {scores['recall']:6.2f}%; FB1: {scores['f1']:6.2f}")
    for kind in counts.printed_types:
        row = scores["per_type"][kind]
        lines.append(f"{kind:>17}: precision: {row['precision']:6.2f}%; recall: {row['recall']:6.2f}%; "
                     f"FB1: {row['f1']:6.2f}  {row['predicted']}")
    return "\n".join(lines) + "\n"

"""All-words WSD scoring as the unified evaluation framework scores it (Raganato et al. 2017).

The framework's scorer reads a gold key file and a system key file
(``instance_id key [key ...]`` per line) and computes:

- an answer to an instance absent from the gold file is ignored;
- an instance may have several gold keys; each system key is correct when it is
  one of them; an instance answered with ``k`` keys adds (correct keys / k) to
  ``ok`` and (wrong keys / k) to ``not ok`` (one key: 1 to one of them);
- P = ok / (ok + not ok) (over answered instances), R = ok / gold instances,
  F1 = 2PR / (P + R) (0 when P + R = 0; P is 0 when nothing was answered).

Scores are percentages.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from elmo_eval.readers.errors import DataFormatError


@dataclass(frozen=True)
class WsdScore:
    precision: float
    recall: float
    f1: float
    answered: int
    total: int
    correct: float   # fractional credit summed, as the scorer counts it

    def as_dict(self) -> dict:
        return asdict(self)


def score_wsd(gold: Mapping[str, Iterable[str]], system: Mapping[str, Iterable[str] | str | None]) -> WsdScore:
    """Score ``system`` answers (instance id -> key or keys; None or empty = no answer) against ``gold``.

    gold: instance id -> its gold keys (one or more).
    """
    gold_sets = {instance: set(keys) for instance, keys in gold.items()}
    ok = not_ok = 0.0
    answered = 0
    for instance, answer in system.items():
        if instance not in gold_sets or answer is None:
            continue
        keys = [answer] if isinstance(answer, str) else list(answer)
        if not keys:
            continue
        answered += 1
        right = sum(key in gold_sets[instance] for key in keys)
        ok += right / len(keys)
        not_ok += (len(keys) - right) / len(keys)
    precision = ok / (ok + not_ok) if ok + not_ok else 0.0
    recall = ok / len(gold_sets) if gold_sets else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return WsdScore(100 * precision, 100 * recall, 100 * f1, answered, len(gold_sets), ok)


def read_key_file(path) -> dict[str, list[str]]:
    """A framework key file: ``instance_id key [key ...]`` per line (the format both sides use)."""
    keys: dict[str, list[str]] = {}
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 2:
            raise DataFormatError(path, line_no, "expected 'instance_id key [key ...]'")
        keys.setdefault(fields[0], []).extend(fields[1:])
    return keys

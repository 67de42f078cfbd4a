"""Entity-level precision, recall and F1 exactly as conlleval computes them.

Entities are read with seqeval's default (non-strict) chunker, which matches
conlleval on IOB1 and BIO input, invalid sequences included (an ``I-`` after
``O`` starts an entity, a type change starts a new one, a sentence end closes
one). conlleval does not know ``E-``/``S-``: give BIOES through
:func:`elmo_eval.readers.conll2003.bioes_to_bio` first (:func:`conlleval_scores`
refuses them). Values are unrounded percentages.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from seqeval.metrics.sequence_labeling import get_entities


def _entities(sentences: Sequence[Sequence[str]]) -> set[tuple[int, str, int, int]]:
    """``{(sentence, type, first, last)}`` over all sentences."""
    found = set()
    for s, tags in enumerate(sentences):
        if any(t[:2] in ("E-", "S-") for t in tags):
            raise ValueError(f"sentence {s} has BIOES tags; conlleval reads IOB1/BIO only (convert first)")
        found.update((s, kind, start, end) for kind, start, end in get_entities(list(tags)))
    return found


def _prf(correct: int, predicted: int, gold: int) -> dict[str, float]:
    precision = 100.0 * correct / predicted if predicted else 0.0
    recall = 100.0 * correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def entity_counts(gold: Sequence[str], predicted: Sequence[str]) -> tuple[int, int, int]:
    """``(correct, predicted, gold)`` entities of one sentence: the counts conlleval adds up over
    sentences (an entity never crosses a sentence end)."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold tags but {len(predicted)} predicted")
    gold_set, pred_set = _entities([gold]), _entities([predicted])
    return len(gold_set & pred_set), len(pred_set), len(gold_set)


def conlleval_scores(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict:
    """Overall and per-type scores of IOB1/BIO sequences (one list of tags per sentence).

    Returns ``{"precision", "recall", "f1", "correct", "predicted_entities", "gold_entities",
    "per_type": {type: {"precision", "recall", "f1", "predicted", "gold"}}}`` (percentages).
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    for s, (g, p) in enumerate(zip(gold, predicted)):
        if len(g) != len(p):
            raise ValueError(f"sentence {s}: {len(g)} gold tags but {len(p)} predicted")
    gold_set, pred_set = _entities(gold), _entities(predicted)
    correct = gold_set & pred_set
    gold_by, pred_by, correct_by = (Counter(kind for _, kind, _, _ in found) for found in (gold_set, pred_set, correct))
    per_type = {kind: {**_prf(correct_by[kind], pred_by[kind], gold_by[kind]),
                       "predicted": pred_by[kind], "gold": gold_by[kind]}
                for kind in sorted(set(gold_by) | set(pred_by))}
    return {**_prf(len(correct), len(pred_set), len(gold_set)), "correct": len(correct),
            "predicted_entities": len(pred_set), "gold_entities": len(gold_set), "per_type": per_type}

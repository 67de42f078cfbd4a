"""Statistics world.json reports: vocabulary, Zipf fit, OOV rates, word-identity baselines.

The word-identity baselines learn, on a task's train split, the majority
label of each word type, and score that lookup on the test split with the
task's own metric; they are the reference line a context-free model should
beat only by using context.
"""
from __future__ import annotations

from collections import Counter

import numpy as np


def vocabulary_stats(token_counts: Counter) -> dict:
    """Types, tokens and a least-squares fit ``log f = a - s log rank`` over the top ranks."""
    frequencies = np.array(sorted(token_counts.values(), reverse=True), dtype=np.float64)
    top = frequencies[: min(len(frequencies), 2000)]
    ranks = np.arange(1, len(top) + 1, dtype=np.float64)
    slope, intercept = np.polyfit(np.log(ranks), np.log(top), 1) if len(top) > 1 else (0.0, 0.0)
    return {
        "types": int(len(frequencies)),
        "tokens": int(frequencies.sum()),
        "zipf_exponent": round(float(-slope), 4),
        "zipf_intercept": round(float(intercept), 4),
        "singleton_types": int((frequencies == 1).sum()),
    }


def oov_rate(train_tokens: Counter, eval_tokens: Counter) -> dict:
    """Share of eval tokens (and types) never seen in train."""
    unseen_tokens = sum(count for word, count in eval_tokens.items() if word not in train_tokens)
    unseen_types = sum(1 for word in eval_tokens if word not in train_tokens)
    return {
        "token_oov": round(unseen_tokens / max(1, sum(eval_tokens.values())), 4),
        "type_oov": round(unseen_types / max(1, len(eval_tokens)), 4),
    }


def majority_label_per_word(sequences: list[tuple[list[str], list[str]]]) -> dict[str, str]:
    """word -> its most frequent label on these (tokens, labels) pairs (ties: alphabetical)."""
    counts: dict[str, Counter] = {}
    for tokens, labels in sequences:
        for token, label in zip(tokens, labels):
            counts.setdefault(token, Counter())[label] += 1
    return {word: min(c.items(), key=lambda item: (-item[1], item[0]))[0] for word, c in counts.items()}


def word_identity_ner_f1(train: list[tuple[list[str], list[str]]],
                         test: list[tuple[list[str], list[str]]]) -> float:
    """Entity F1 (seqeval, default mode) of tagging each test word with its train majority tag."""
    from seqeval.metrics import f1_score

    lookup = majority_label_per_word(train)
    predicted = [[lookup.get(token, "O") for token in tokens] for tokens, _ in test]
    gold = [labels for _, labels in test]
    return round(float(f1_score(gold, predicted)), 4)


def bio_spans(labels: list[str]) -> set[tuple[int, int, str]]:
    """(start, end_exclusive, type) spans of BIO tags; a stray I- starts a span (lenient, like conlleval)."""
    spans = set()
    start, kind = None, None
    for index, label in enumerate(labels + ["O"]):
        inside_same = label.startswith("I-") and kind == label[2:]
        if start is not None and not inside_same:
            spans.add((start, index, kind))
            start, kind = None, None
        if label.startswith("B-") or (label.startswith("I-") and start is None):
            start, kind = index, label[2:]
    return spans


def span_f1(gold: list[set], predicted: list[set]) -> float:
    correct = sum(len(g & p) for g, p in zip(gold, predicted))
    n_gold = sum(len(g) for g in gold)
    n_pred = sum(len(p) for p in predicted)
    if correct == 0:
        return 0.0
    precision, recall = correct / n_pred, correct / n_gold
    return 2 * precision * recall / (precision + recall)


def word_identity_srl_f1(train: list[tuple[list[str], int, list[str]]],
                         test: list[tuple[list[str], int, list[str]]]) -> float:
    """Argument span F1 (V excluded) of labelling each word by its train majority BIO tag.

    Instances are (tokens, predicate index, BIO tags); the predicate is given.
    """
    lookup = majority_label_per_word([(tokens, labels) for tokens, _, labels in train])
    gold, predicted = [], []
    for tokens, _predicate, labels in test:
        guess = [lookup.get(token, "O") for token in tokens]
        guess = ["O" if g.endswith("-V") else g for g in guess]
        gold.append({s for s in bio_spans(labels) if s[2] != "V"})
        predicted.append({s for s in bio_spans(guess) if s[2] != "V"})
    return round(span_f1(gold, predicted), 4)

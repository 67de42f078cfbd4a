"""SQuAD 1.1 exact match and F1, as the official ``evaluate-v1.1.py`` computes them.

Rules (see the project's notes on the official scorers):

- normalisation, in this order: ``str.lower``; delete every ASCII punctuation
  character (``string.punctuation`` only, so Unicode quotes and dashes stay and
  ``state-of-the-art`` becomes ``stateoftheart``); replace the whole words
  a / an / the by a space; collapse whitespace (``str.split``);
- EM and F1 are each the maximum over the gold answers (the maxima may come
  from different golds); two answers that both normalise to nothing give EM 1
  and F1 0 (F1 needs at least one shared token);
- a question without a prediction scores 0; predictions for ids that are not
  in the gold set are ignored; totals are 100 x the mean over all gold questions.
"""
from __future__ import annotations

import json
import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """Lowercase, drop ASCII punctuation, drop articles, collapse whitespace (the official order)."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> float:
    """1.0 when both normalise to the same string, else 0.0."""
    return float(normalize_answer(prediction) == normalize_answer(gold))


def token_f1(prediction: str, gold: str) -> float:
    """Bag-of-tokens F1 between the normalised answers (0 when they share no token)."""
    predicted = normalize_answer(prediction).split()
    golden = normalize_answer(gold).split()
    shared = sum((Counter(predicted) & Counter(golden)).values())
    if shared == 0:
        return 0.0
    precision = shared / len(predicted)
    recall = shared / len(golden)
    return 2 * precision * recall / (precision + recall)


def squad_scores(gold_answers: Mapping[str, Sequence[str]] | Sequence[tuple[str, Sequence[str]]],
                 predictions: Mapping[str, str]) -> dict[str, float]:
    """``{"exact_match", "f1"}`` in percent, plus ``missing`` (gold questions without a prediction).

    gold_answers: question id -> its gold answer texts (at least one), or ``(id, answers)`` pairs in
    the dataset's order (a repeated id then counts twice, as in the official script, which walks the
    dataset); predictions: question id -> predicted answer text. Sums run in the dataset's order, as
    the official script adds them, so the totals equal its printed values bit for bit.
    """
    questions = list(gold_answers.items()) if isinstance(gold_answers, Mapping) else list(gold_answers)
    if not questions:
        raise ValueError("no gold questions to score")
    em_total = f1_total = 0.0
    missing = 0
    for qid, golds in questions:
        if not golds:
            raise ValueError(f"question {qid!r} has no gold answer (the official scorer cannot score it)")
        if qid not in predictions:
            missing += 1  # the official scorer prints a message and scores it 0
            continue
        prediction = predictions[qid]
        em_total += max(exact_match(prediction, g) for g in golds)
        f1_total += max(token_f1(prediction, g) for g in golds)
    count = len(questions)
    return {"exact_match": 100.0 * em_total / count, "f1": 100.0 * f1_total / count, "missing": missing}


def score_squad_files(dataset_path: str | Path, predictions_path: str | Path) -> dict[str, float]:
    """``python evaluate-v1.1.py DATASET PREDICTIONS`` as a dict: every question of the dataset JSON
    (``data`` -> articles -> ``paragraphs`` -> ``qas``, in file order, a repeated id counted each
    time) against the predictions JSON (``{id: answer text}``). The script prints
    ``json.dumps({"exact_match": ..., "f1": ...})`` of the first two entries."""
    with open(dataset_path, encoding="utf-8") as handle:
        dataset = json.load(handle)["data"]
    with open(predictions_path, encoding="utf-8") as handle:
        predictions = json.load(handle)
    questions = [(qa["id"], [answer["text"] for answer in qa["answers"]])
                 for article in dataset for paragraph in article["paragraphs"] for qa in paragraph["qas"]]
    return squad_scores(questions, predictions)

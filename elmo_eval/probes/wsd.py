"""Word sense disambiguation by nearest sense centroid (paper Table 5, after Melamud et al. 2016).

Per row (word vectors, layer 0, layer 1, ...):

1. a sense's representation is the mean of the row's vectors over its training
   occurrences (an occurrence with several gold keys counts for each);
2. a test target whose lemma was seen in training takes, among that lemma's
   training senses, the one whose mean is nearest by cosine; senses within
   :data:`TIE_TOLERANCE` of the best count as tied (a context-free row gives every
   sense of a word the same vector, so all of them tie) and ties go to the
   lemma's most frequent training sense, then the inventory's order, then the
   name;
3. a lemma never seen in training takes the inventory's first sense (the
   paper's WordNet first sense) when an inventory lists it, else no answer.

Scored with :func:`elmo_eval.metrics.wsd.score_wsd` (the all-words framework's P, R, F1).
"""
from __future__ import annotations

from collections import Counter

import torch
import torch.nn.functional as F

from elmo_eval.metrics.wsd import score_wsd

TIE_TOLERANCE = 1e-5
BATCH_SENTENCES = 64


def _targets(sentences):
    """(instance id, sentence index, token offset in the batch-free token order, lemma, gold keys)."""
    for s_index, sentence in enumerate(sentences):
        for t_index, (lemma, keys) in enumerate(zip(sentence.lemmas, sentence.senses)):
            if lemma and keys:
                yield f"{s_index}.{t_index}", s_index, t_index, lemma, keys


def _batches(n: int, size: int):
    for start in range(0, n, size):
        yield start, min(n, start + size)


def _token_offsets(sentences, start: int, end: int) -> dict[int, int]:
    """Sentence index -> offset of its first token in a batch's concatenated tokens."""
    offsets, total = {}, 0
    for index in range(start, end):
        offsets[index] = total
        total += len(sentences[index].tokens)
    return offsets


def sense_centroids(features, train) -> tuple[list[torch.Tensor], list[tuple[str, str]], Counter]:
    """Mean training vector of every (lemma, sense) per row.

    Returns (per row ``[n_senses, dim_r]``, the (lemma, sense) of each centroid row, training counts).
    """
    senses: dict[tuple[str, str], int] = {}
    counts: Counter = Counter()
    for _, _, _, lemma, keys in _targets(train):
        for key in keys:
            senses.setdefault((lemma, key), len(senses))
            counts[lemma, key] += 1
    sums = [torch.zeros(len(senses), dim) for dim in features.dims]
    by_sentence: dict[int, list[tuple[int, list[int]]]] = {}
    for _, s_index, t_index, lemma, keys in _targets(train):
        by_sentence.setdefault(s_index, []).append((t_index, [senses[lemma, key] for key in keys]))
    for start, end in _batches(len(train), BATCH_SENTENCES):
        wanted = [i for i in range(start, end) if i in by_sentence]
        if not wanted:
            continue
        offsets = _token_offsets(train, start, end)
        positions, sense_ids = [], []
        for s_index in wanted:
            for t_index, ids in by_sentence[s_index]:
                positions += [offsets[s_index] + t_index] * len(ids)
                sense_ids += ids
        rows = features.batch([train[i].tokens for i in range(start, end)])
        index = torch.tensor(sense_ids)
        for total, vectors in zip(sums, rows):
            total.index_add_(0, index, vectors[positions])
    count_vector = torch.tensor([counts[key] for key in senses], dtype=torch.float32).unsqueeze(1)
    return [total / count_vector for total in sums], list(senses), counts


def _choose(scores: torch.Tensor, candidates: list[tuple[str, str]], counts: Counter,
            inventory_rank: dict[str, int]) -> str:
    """The candidate sense with the highest cosine; ties (within TIE_TOLERANCE) by frequency, inventory, name."""
    best = float(scores.max())
    tied = [c for c, s in zip(candidates, scores.tolist()) if s >= best - TIE_TOLERANCE]
    return min(tied, key=lambda c: (-counts[c], inventory_rank.get(c[1], len(inventory_rank)), c[1]))[1]


def wsd_probe(features, data) -> dict:
    """Per row: the framework's P/R/F1, how each answer was chosen, and the answers themselves."""
    centroids, sense_list, counts = sense_centroids(features, data.train)
    normalised = [F.normalize(c, dim=1) for c in centroids]
    by_lemma: dict[str, list[int]] = {}
    for index, (lemma, _) in enumerate(sense_list):
        by_lemma.setdefault(lemma, []).append(index)
    gold = {instance: list(keys) for instance, _, _, _, keys in _targets(data.test)}
    answers: list[dict[str, str | None]] = [{} for _ in features.rows]
    how = Counter()
    category: dict[str, str] = {}   # instance -> how it was answered
    test_targets: dict[int, list[tuple[str, int, str]]] = {}
    for instance, s_index, t_index, lemma, _ in _targets(data.test):
        test_targets.setdefault(s_index, []).append((instance, t_index, lemma))
    for start, end in _batches(len(data.test), BATCH_SENTENCES):
        wanted = [i for i in range(start, end) if i in test_targets]
        if not wanted:
            continue
        offsets = _token_offsets(data.test, start, end)
        rows = features.batch([data.test[i].tokens for i in range(start, end)])
        for s_index in wanted:
            for instance, t_index, lemma in test_targets[s_index]:
                candidates = by_lemma.get(lemma)
                if candidates is None:
                    first = data.inventory.get(lemma, [None])[0]
                    category[instance] = "inventory first sense" if first else "no answer (lemma unseen, no inventory)"
                    how[category[instance]] += 1
                    for answer in answers:
                        answer[instance] = first
                    continue
                category[instance] = "nearest sense" if len(candidates) > 1 else "only training sense"
                how[category[instance]] += 1
                inventory_rank = {sense: rank for rank, sense in enumerate(data.inventory.get(lemma, []))}
                position = offsets[s_index] + t_index
                for answer, vectors, table in zip(answers, rows, normalised):
                    query = F.normalize(vectors[position], dim=0)
                    scores = table[candidates] @ query
                    answer[instance] = _choose(scores, [sense_list[c] for c in candidates], counts,
                                               inventory_rank)
    results = {}
    for row, answer in zip(features.rows, answers):
        by_category = {}
        for name in sorted(how):   # the same scorer on each group of test targets
            members = {instance: keys for instance, keys in gold.items() if category[instance] == name}
            by_category[name] = score_wsd(members, answer).as_dict()
        results[row] = {"score": score_wsd(gold, answer).as_dict(), "by_how_answered": by_category,
                        "answers": answer}
    return {"rows": results, "how_answered": dict(how), "gold": gold,
            "train_senses": len(sense_list), "train_lemmas": len(by_lemma)}

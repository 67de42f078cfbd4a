"""Nearest neighbours (paper Table 4): a word's nearest words by the static vectors against the
nearest training contexts of one of its test occurrences by a contextual layer.

Queries: for each query word, test occurrences with different labels (gold
sense where the data has WSD targets, else POS tag), up to ``per_word``.  A
contextual row's neighbours are the training occurrences of the same word
form, ranked by cosine, each shown with its sentence and label, as the paper
shows the SemCor sentences nearest to a "play" in context (layer 0 is left out: an
ELMo-style token layer gives every occurrence of a word the same vector).  Without
``words``, the word with the most test occurrences whose training occurrences
carry at least two labels is taken.
"""
from __future__ import annotations

from collections import Counter

import torch
import torch.nn.functional as F

from elmo_eval.probes.features import WORD_ROW, layer_row

CONTEXT_FREE_ROWS = (WORD_ROW, layer_row(0))


def _label(sentence, t_index: int, use_senses: bool) -> str:
    return "|".join(sentence.senses[t_index]) if use_senses else sentence.pos[t_index]


def _occurrences(sentences, word: str, use_senses: bool):
    """(sentence index, token index, label) of every occurrence of ``word`` (a WSD target where senses count)."""
    for s_index, sentence in enumerate(sentences):
        for t_index, token in enumerate(sentence.tokens):
            if token == word and (not use_senses or sentence.senses[t_index]):
                yield s_index, t_index, _label(sentence, t_index, use_senses)


def pick_words(data, use_senses: bool, count: int = 1) -> list[str]:
    """Test words with the most occurrences among those with >= 2 labels in training."""
    labels: dict[str, set] = {}
    for sentence in data.train:
        for t_index, token in enumerate(sentence.tokens):
            if not use_senses or sentence.senses[t_index]:
                labels.setdefault(token, set()).add(_label(sentence, t_index, use_senses))
    frequency = Counter(token for s in data.test for t_index, token in enumerate(s.tokens)
                        if len(labels.get(token, ())) > 1 and (not use_senses or s.senses[t_index]))
    return [word for word, _ in sorted(frequency.items(), key=lambda item: (-item[1], item[0]))[:count]]


def _vectors_of(features, sentences, places) -> list[torch.Tensor]:
    """Per row, ``[len(places), dim]`` of the tokens at ``places`` = [(sentence index, token index)]."""
    per_row: list[list[torch.Tensor]] = [[] for _ in features.rows]
    for s_index, t_index in places:
        for row, vectors in enumerate(features.batch([sentences[s_index].tokens])):
            per_row[row].append(vectors[t_index])
    return [torch.stack(v) if v else torch.zeros(0, d) for v, d in zip(per_row, features.dims)]


def nearest_words(vectors, word: str, k: int) -> list[str]:
    """The ``k`` words nearest to ``word`` by cosine in a PretrainedVectors table (itself excluded)."""
    row = vectors.row(word)
    if row < 0:
        return []
    matrix = F.normalize(torch.from_numpy(vectors.matrix), dim=1)
    scores = matrix @ matrix[row]
    scores[row] = -2.0
    names = sorted(vectors.index, key=vectors.index.get)
    return [names[i] for i in scores.topk(min(k, len(names) - 1)).indices.tolist()]


def neighbours_probe(features, data, words: list[str] | None = None, per_word: int = 2, k: int = 2,
                     max_train_occurrences: int = 2000) -> dict:
    """Queries and their neighbours per row (see the module docstring)."""
    use_senses = data.has_wsd
    words = list(words or pick_words(data, use_senses))
    out = {"label": "sense" if use_senses else "POS", "words": []}
    for word in words:
        test = list(_occurrences(data.test, word, use_senses))
        train = list(_occurrences(data.train, word, use_senses))[:max_train_occurrences]
        queries, seen_labels = [], set()
        for occurrence in test:   # one query per label first, then fill up in order
            if occurrence[2] not in seen_labels:
                seen_labels.add(occurrence[2])
                queries.append(occurrence)
        queries = queries[:per_word]
        entry = {"word": word, "test_occurrences": len(test), "train_occurrences": len(train), "rows": {}}
        if features.vectors is not None:
            entry["nearest_words"] = nearest_words(features.vectors, word, 10)
        if queries and train:
            query_vectors = _vectors_of(features, data.test, [(s, t) for s, t, _ in queries])
            train_vectors = _vectors_of(features, data.train, [(s, t) for s, t, _ in train])
            for row, q, m in zip(features.rows, query_vectors, train_vectors):
                if row in CONTEXT_FREE_ROWS:   # every occurrence of the word has the same vector there
                    continue
                scores = F.normalize(q, dim=1) @ F.normalize(m, dim=1).T   # [queries, train occurrences]
                row_out = []
                for (s_index, t_index, label), row_scores in zip(queries, scores):
                    best = row_scores.topk(min(k, len(train))).indices.tolist()
                    row_out.append({
                        "query": _show(data.test[s_index].tokens, t_index), "label": label,
                        "neighbours": [{"context": _show(data.train[train[b][0]].tokens, train[b][1]),
                                        "label": train[b][2], "cosine": round(float(row_scores[b]), 4)}
                                       for b in best]})
                entry["rows"][row] = row_out
        out["words"].append(entry)
    return out


def _show(tokens: list[str], index: int) -> str:
    """The sentence with the word in focus in bold (Markdown)."""
    return " ".join(f"**{t}**" if i == index else t for i, t in enumerate(tokens))

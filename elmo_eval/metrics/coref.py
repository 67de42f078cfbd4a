"""Coreference metrics exactly as the CoNLL-2012 reference scorer v8.01 computes them.

MUC, B-cubed, CEAF-m, CEAF-e and mention identification, each as recall and
precision numerators and denominators summed over documents (the scorer's
"TOTALS"), then recall = num / den, precision = num / den and F1 = 2PR / (P + R)
(0 where a denominator or P + R is 0, e.g. MUC on a key of only singletons).
The CoNLL score is the unweighted average of the MUC, B-cubed and CEAF-e F1.

Everything here is computed from the unrounded counts. The Perl script *prints*
percentages truncated to two decimals (``int(x * 10000) / 100``, so an F1 of
0.75 computed in floating point can print as 74.99); :func:`perl_percentage`
reproduces that display value, use it only for printing.

A document is a list of clusters, a cluster a list of mentions, a mention an
inclusive ``(start, end)`` token span across the whole part. The scorer's odd
rules are followed on purpose (see ``IdentifMentions`` in ``CorScorer.pm``):

- a response span repeated after it matched a key mention is dropped (the
  scorer warns); more than :data:`MAX_REPEATED_MENTIONS` such drops in one run
  and the scorer refuses to score (here: :class:`TooManyRepeatedMentions`). A
  repeated response span that is *not* in the key is kept twice;
- a span repeated in the key keeps both occurrences (same mention id);
- response mentions absent from the key ("twinless") count against precision in
  every metric; B-cubed and CEAF see the response exactly as given (including its
  singletons), MUC counts links only, so singletons never matter to it;
- a document in the key that has no response is scored as an empty response;
  response documents absent from the key are ignored (:func:`score_corpus`).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

Mention = tuple[int, int]
Clusters = Sequence[Sequence[Mention]]

MAX_REPEATED_MENTIONS = 10  # the scorer exits when more repeats than this are found in one run
METRICS = ("muc", "bcub", "ceafm", "ceafe")


class TooManyRepeatedMentions(ValueError):
    """More repeated response mentions than the official scorer accepts (it refuses to score)."""


@dataclass(frozen=True)
class Counts:
    """Recall and precision numerators and denominators (summed over documents)."""

    recall_num: float = 0.0
    recall_den: float = 0.0
    precision_num: float = 0.0
    precision_den: float = 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.recall_num + other.recall_num, self.recall_den + other.recall_den,
                      self.precision_num + other.precision_num, self.precision_den + other.precision_den)

    @property
    def recall(self) -> float:
        return self.recall_num / self.recall_den if self.recall_den else 0.0

    @property
    def precision(self) -> float:
        return self.precision_num / self.precision_den if self.precision_den else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class MentionIds:
    """One document's clusters as lists of mention ids, the way the scorer rewrites them.

    key / response: the clusters B-cubed and CEAF score (``kChainsOrig`` /
    ``rChainsOrig``: repeated key-matching response spans dropped, empty clusters
    removed). identification: mention identification counts. repeats: response
    spans dropped as repeats.
    """

    key: list[list[int]]
    response: list[list[int]]
    identification: Counts
    repeats: int


def identify_mentions(key: Clusters, response: Clusters) -> MentionIds:
    """Give every span an id (key spans first, then twinless response spans), as ``IdentifMentions`` does."""
    key_ids: dict[Mention, int] = {}
    next_id = 0
    for cluster in key:
        for mention in cluster:
            key_ids[_span(mention)] = next_id  # a repeated key span keeps its last id, both occurrences stay
            next_id += 1
    matched: dict[Mention, int] = {}
    kept: list[list[Mention]] = []
    repeats = 0
    for cluster in response:
        survivors = []
        for mention in map(_span, cluster):
            if mention in matched:
                repeats += 1  # a second occurrence of a span that already matched the key is dropped
                continue
            if mention in key_ids:
                matched[mention] = key_ids[mention]
            survivors.append(mention)
        if survivors:
            kept.append(survivors)
    exact = len(matched)
    response_ids = dict(matched)
    for cluster in kept:
        for mention in cluster:
            if mention not in response_ids:
                response_ids[mention] = next_id
                next_id += 1
    key_chains = [[key_ids[_span(m)] for m in cluster] for cluster in key if len(cluster)]
    response_chains = [[response_ids[m] for m in cluster] for cluster in kept]
    identification = Counts(exact, len(key_ids), exact, len(response_ids))
    return MentionIds(key_chains, response_chains, identification, repeats)


def _span(mention) -> Mention:
    start, end = mention
    return int(start), int(end)


# --- the metrics over mention-id chains ------------------------------------------

def muc(key: list[list[int]], response: list[list[int]]) -> Counts:
    """MUC (Vilain et al. 1995): links. Correct = per response cluster, mentions with a later
    mention of the same key cluster; key links = sum(|K| - 1); response links = sum(|R| - 1)."""
    key_index = _index(key)
    correct = 0
    for cluster in response:
        # a mention scores when some later mention of the cluster shares its key cluster:
        # count, per key cluster, the cluster's mentions in it, minus one for the last of them
        owners = Counter(key_index[m] for m in cluster if m in key_index)
        correct += sum(n - 1 for n in owners.values())
    key_links = sum(len(c) - 1 for c in key if c)
    response_links = sum(len(c) - 1 for c in response if c)
    return Counts(correct, key_links, correct, response_links)


def b_cubed(key: list[list[int]], response: list[list[int]]) -> Counts:
    """B-cubed (Bagga and Baldwin 1998), summed over response mentions: for mention m in response
    cluster R and key cluster K(m) (empty when m is twinless), recall += |R ∩ K| / |K| and
    precision += |R ∩ K| / |R|, with |R ∩ K| counting R's members found in K."""
    key_index = _index(key)
    recall = precision = 0.0
    for cluster in response:
        overlap_with: dict[int, int] = {}
        for m in cluster:
            if m not in key_index:
                continue  # twinless: |R ∩ {}| = 0, adds nothing to either numerator
            k = key_index[m]
            if k not in overlap_with:
                members = set(key[k])
                overlap_with[k] = sum(1 for x in cluster if x in members)
            common = overlap_with[k]
            precision += common / len(cluster)
            recall += common / len(key[k])
    key_mentions = sum(len(c) for c in key)
    response_mentions = sum(len(c) for c in response)
    return Counts(recall, key_mentions, precision, response_mentions)


def ceaf(key: list[list[int]], response: list[list[int]], entity_based: bool) -> Counts:
    """CEAF (Luo 2005) with the optimal one-to-one cluster alignment.

    CEAF-e (``entity_based``): phi4 = 2 |K ∩ R| / (|K| + |R|), denominators are the
    numbers of clusters. CEAF-m: phi3 = |K ∩ R|, denominators are the numbers of mentions.
    """
    similarity = np.zeros((len(key), len(response)))
    for i, k in enumerate(key):
        members = Counter(k)
        for j, r in enumerate(response):
            r_set = set(r)
            common = sum(n for m, n in members.items() if m in r_set)  # K's members found in R
            similarity[i, j] = 2 * common / (len(k) + len(r)) if entity_based else common
    total = 0.0
    if similarity.size:
        rows, cols = linear_sum_assignment(similarity, maximize=True)
        total = float(similarity[rows, cols].sum())
    if entity_based:
        return Counts(total, sum(1 for c in key if c), total, sum(1 for c in response if c))
    return Counts(total, sum(len(c) for c in key), total, sum(len(c) for c in response))


def _index(chains: list[list[int]]) -> dict[int, int]:
    """mention id -> index of the (last) chain holding it."""
    return {m: i for i, chain in enumerate(chains) for m in chain}


# --- documents and corpora -----------------------------------------------------------

def document_counts(key: Clusters, response: Clusters) -> dict[str, Counts]:
    """Counts of every metric (and ``mentions``) for one document, plus ``repeats`` dropped."""
    ids = identify_mentions(key, response)
    return {
        "muc": muc(ids.key, ids.response),
        "bcub": b_cubed(ids.key, ids.response),
        "ceafm": ceaf(ids.key, ids.response, entity_based=False),
        "ceafe": ceaf(ids.key, ids.response, entity_based=True),
        "mentions": ids.identification,
        "repeats": ids.repeats,
    }


def coref_scores(keys: Sequence[Clusters], responses: Sequence[Clusters]) -> dict[str, float]:
    """Scores over aligned documents (``keys[i]`` and ``responses[i]`` are the same part).

    Returns percentages: ``{metric}_p``, ``{metric}_r``, ``{metric}_f1`` for muc, bcub,
    ceafm, ceafe and mentions, and ``conll_f1`` (mean of the MUC, B-cubed, CEAF-e F1).
    """
    if len(keys) != len(responses):
        raise ValueError(f"{len(keys)} key documents but {len(responses)} responses")
    totals = {name: Counts() for name in (*METRICS, "mentions")}
    repeats = 0
    for key, response in zip(keys, responses):
        counts = document_counts(key, response)
        repeats += counts.pop("repeats")
        for name, value in counts.items():
            totals[name] = totals[name] + value
    if repeats > MAX_REPEATED_MENTIONS:
        raise TooManyRepeatedMentions(f"found {repeats} repeated mentions in the response (more than "
                                      f"{MAX_REPEATED_MENTIONS}): the official scorer refuses to score")
    scores: dict[str, float] = {}
    for name, counts in totals.items():
        scores[f"{name}_p"] = 100.0 * counts.precision
        scores[f"{name}_r"] = 100.0 * counts.recall
        scores[f"{name}_f1"] = 100.0 * counts.f1
    scores["conll_f1"] = (scores["muc_f1"] + scores["bcub_f1"] + scores["ceafe_f1"]) / 3
    return scores


def score_corpus(key: Mapping[str, Clusters], response: Mapping[str, Clusters]) -> dict[str, float]:
    """Scores per the scorer's document matching: by part name; a key part missing from the
    response is an empty response, response parts not in the key are ignored."""
    names = list(key)
    return coref_scores([key[n] for n in names], [response.get(n, []) for n in names])


def perl_percentage(fraction: float) -> float:
    """The percentage as the Perl scorer prints it: truncated (not rounded) to two decimals."""
    return int(fraction * 10000) / 100


# --- files ----------------------------------------------------------------------------------

def score_files(key_path: str, response_path: str) -> dict[str, float]:
    """Score two CoNLL-2012 files (or directories) part by part, as ``scorer.pl all KEY RESPONSE`` does."""
    from elmo_eval.readers.conll2012 import read_conll2012

    def by_part(path):
        return {f"({d.doc_id}); part {d.part:03d}": d.clusters for d in read_conll2012(path, pattern="*conll")}

    return score_corpus(by_part(key_path), by_part(response_path))

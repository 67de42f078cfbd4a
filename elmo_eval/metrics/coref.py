"""Coreference metrics exactly as the CoNLL-2012 reference scorer v8.01 computes them.

MUC, B-cubed, CEAF-m, CEAF-e, BLANC and mention identification, each as recall
and precision numerators and denominators summed over documents (the scorer's
"TOTALS"), then recall = num / den, precision = num / den and F1 = 2PR / (P + R)
(0 where a denominator or P + R is 0, e.g. MUC on a key of only singletons).
BLANC keeps two such sets of counts, coreference and non-coreference links, and
averages them as ``ScoreBLANC`` does (:class:`BlancCounts`). The CoNLL score is
the unweighted average of the MUC, B-cubed and CEAF-e F1.

Everything is computed from the counts, in the scorer's own order of floating
point operations (B-cubed sums mention by mention in chain order; CEAF sums
``1 - (1 - phi)`` per key chain over the alignment Algorithm::Munkres picks,
:func:`munkres_assignment`), so the totals equal the Perl ones bit for bit.
The Perl script *prints* percentages truncated to two decimals from the
fraction (``int(x * 10000) / 100``, so an F1 of 0.75 computed in floating point
prints as 74.99); :func:`perl_percentage` and :func:`show_rpf` reproduce the
printed values and lines digit for digit; truncate fractions, never percentages
(``100 * 0.7999999999999999`` is ``80.0``, the scorer prints 79.99).

A document is a list of clusters, a cluster a list of mentions, a mention an
inclusive ``(start, end)`` token span across the whole part. The scorer's odd
rules are followed on purpose (see ``IdentifMentions`` in ``CorScorer.pm``):

- a response span repeated after it matched a key mention is dropped (the
  scorer warns); more than :data:`MAX_REPEATED_MENTIONS` such drops in one run
  and the scorer refuses to score (here: :class:`TooManyRepeatedMentions`). A
  repeated response span that is *not* in the key is kept twice;
- a span repeated in the key keeps both occurrences (same mention id);
- response mentions absent from the key ("twinless") count against precision in
  every metric; B-cubed, CEAF and BLANC see the response exactly as given
  (including its singletons), MUC counts links only, so singletons never matter to it;
- a document in the key that has no response is scored as an empty response;
  response documents absent from the key are ignored (:func:`score_corpus`).

Checked against scorer.pl v8.01's printed output on generated cases
(``tests/test_official_scorers.py``).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

Mention = tuple[int, int]
Clusters = Sequence[Sequence[Mention]]

MAX_REPEATED_MENTIONS = 10  # the scorer exits when more repeats than this are found in one run
METRICS = ("muc", "bcub", "ceafm", "ceafe")  # the CoNLL score's metrics and CEAF-m: numerator / denominator counts
SCORER_METRICS = (*METRICS, "blanc")  # what scorer.pl all reports, in its order


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


@dataclass(frozen=True)
class BlancCounts:
    """BLANC's counts (Luo et al. 2014, as ``BLANC_Internal`` counts them): coreference links (pairs of
    mentions in one chain) and non-coreference links (pairs from two chains), each as key links found
    in the response (recall) and response links found in the key (precision), summed over documents.

    recall, precision and f1 follow ``ScoreBLANC``'s totals: the mean of the two kinds of link; a kind
    the key has none of (its recall denominator is 0) is left out, and with neither, everything is 0
    (so a response is never rewarded for a key without links, even an identical one). F1 is the mean
    of the two F1, not the F1 of the means.
    """

    coreference: Counts = Counts()
    non_coreference: Counts = Counts()

    def __add__(self, other: BlancCounts) -> BlancCounts:
        return BlancCounts(self.coreference + other.coreference, self.non_coreference + other.non_coreference)

    def _scores(self) -> tuple[float, float, float]:
        c, n = self.coreference, self.non_coreference
        ra = c.recall_num / c.recall_den if c.recall_den else -1
        rr = n.recall_num / n.recall_den if n.recall_den else -1
        pa = c.precision_num / c.precision_den if c.precision_den else 0
        pr = n.precision_num / n.precision_den if n.precision_den else 0
        if ra == -1 and rr == -1:
            return 0, 0, 0
        fa = 2 * pa * ra / (pa + ra) if pa + ra else 0
        fr = 2 * pr * rr / (pr + rr) if pr + rr else 0
        if ra == -1:
            return rr, pr, fr
        if rr == -1:
            return ra, pa, fa
        return (ra + rr) / 2, (pa + pr) / 2, (fa + fr) / 2

    @property
    def recall(self) -> float:
        return self._scores()[0]

    @property
    def precision(self) -> float:
        return self._scores()[1]

    @property
    def f1(self) -> float:
        return self._scores()[2]


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
    """CEAF (Luo 2005) with the scorer's one-to-one cluster alignment.

    CEAF-e (``entity_based``): phi4 = 2 |K ∩ R| / (|K| + |R|), denominators are the
    numbers of clusters. CEAF-m: phi3 = |K ∩ R|, denominators are the numbers of mentions.
    As ``CEAF`` in the scorer: the cost matrix is ``1 - phi`` (key rows, padded with 1 up to as
    many columns as keys), Algorithm::Munkres aligns, and the numerator adds ``1 - cost`` key by key.
    """
    columns = max(len(response), len(key))
    cost = np.ones((len(key), columns))
    for i, k in enumerate(key):
        for j, r in enumerate(response):
            r_set = set(r)
            common = sum(1 for m in k if m in r_set)  # K's members found in R
            if entity_based:
                cost[i, j] = 1 - 2 * common / (len(k) + len(r))
            else:
                cost[i, j] = 1 - common
    total = 0
    if len(key):
        for i, j in enumerate(munkres_assignment(cost)[:len(key)]):
            total += 1 - float(cost[i, j])
    if entity_based:
        return Counts(total, sum(1 for c in key if c), total, sum(1 for c in response if c))
    return Counts(total, sum(len(c) for c in key), total, sum(len(c) for c in response))


def munkres_assignment(cost: np.ndarray) -> list[int]:
    """The column assigned to each row by ``Algorithm::Munkres::assign`` 0.08 (the copy the scorer ships,
    which prefers the largest column when looking for a zero), step for step in the same floating
    point operations, so that among several optimal alignments it picks the same one (they can sum
    to different last bits). A rectangular matrix is padded with zeros to a square one; the result
    has one entry per row of the padded matrix."""
    mat = np.array(cost, dtype=float)
    if mat.size == 0:
        return []
    rows, cols = mat.shape
    n = max(rows, cols)
    if rows < n:
        mat = np.vstack([mat, np.zeros((n - rows, cols))])
    elif cols < n:
        mat = np.hstack([mat, np.zeros((rows, n - cols))])
    mask = np.zeros((n, n), dtype=np.int8)  # 1: starred zero, 2: primed zero
    row_cover = np.zeros(n, dtype=bool)
    col_cover = np.zeros(n, dtype=bool)
    # step one: subtract each row's minimum
    mat = mat - mat.min(axis=1, keepdims=True)
    # step two: star the first uncovered zero of each row
    for i in range(n):
        for j in np.flatnonzero(mat[i] == 0):
            if not col_cover[j]:
                mask[i, j] = 1
                col_cover[j] = True
                break
    col_cover[:] = False
    while True:
        # step three: cover the columns of starred zeros; done when all are covered
        col_cover[:] = (mask == 1).any(axis=0)
        if col_cover.sum() >= n:
            break
        # step four (with step six until a zero is found with no star in its row)
        while True:
            zeros = (mat == 0) & ~row_cover[:, None] & ~col_cover[None, :]
            candidates = np.flatnonzero(zeros.any(axis=1))
            if not len(candidates):
                # step six: add the smallest uncovered value to covered rows, subtract it from uncovered columns
                uncovered = mat[~row_cover][:, ~col_cover]
                smallest = uncovered.min()
                mat[row_cover, :] += smallest
                mat[:, ~col_cover] -= smallest
                continue
            row = int(candidates[0])
            col = int(np.flatnonzero(zeros[row])[-1])  # the scorer's copy prefers the largest column
            mask[row, col] = 2
            stars = np.flatnonzero(mask[row] == 1)
            if len(stars):
                row_cover[row] = True
                col_cover[int(stars[0])] = False
                continue
            break
        # step five: the alternating path of primes and stars from the uncovered prime
        path = [(row, col)]
        while True:
            starred = np.flatnonzero(mask[:, path[-1][1]] == 1)
            if not len(starred):
                break
            path.append((int(starred[0]), path[-1][1]))
            primed = np.flatnonzero(mask[path[-1][0]] == 2)
            path.append((path[-1][0], int(primed[0]) if len(primed) else -1))
        for i, j in path:
            mask[i, j] = 0 if mask[i, j] == 1 else 1
        row_cover[:] = False
        col_cover[:] = False
        mask[mask == 2] = 0
    assignment = [-1] * n
    for i, j in zip(*np.nonzero(mask == 1)):
        assignment[int(i)] = int(j)
    return assignment


def blanc(key: list[list[int]], response: list[list[int]]) -> BlancCounts:
    """BLANC's link counts for one document, as ``BLANC_Internal``: the sets of coreference links
    (every pair of positions in a chain) and non-coreference links (every pair across two chains),
    each link an unordered pair of mention ids, in the key and in the response; recall counts key
    links found in the response, precision response links found in the key. A mention id repeated
    (a span repeated in the key, a twinless span repeated in the response) links to itself."""
    if _unique(key) and _unique(response):
        return _blanc_unique(key, response)
    key_coref, key_non = _links(key)
    response_coref, response_non = _links(response)
    common_coref = len(key_coref & response_coref)
    common_non = len(key_non & response_non)
    return BlancCounts(Counts(common_coref, len(key_coref), common_coref, len(response_coref)),
                       Counts(common_non, len(key_non), common_non, len(response_non)))


def _unique(chains: list[list[int]]) -> bool:
    total = sum(len(c) for c in chains)
    return len({m for c in chains for m in c}) == total


def _links(chains: list[list[int]]) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    coref, non = set(), set()
    for a, chain in enumerate(chains):
        for x in range(len(chain)):
            for y in range(x + 1, len(chain)):
                coref.add((min(chain[x], chain[y]), max(chain[x], chain[y])))
        for other in chains[a + 1:]:
            for m in chain:
                for o in other:
                    non.add((min(m, o), max(m, o)))
    return coref, non


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _blanc_unique(key: list[list[int]], response: list[list[int]]) -> BlancCounts:
    """:func:`blanc` when no id repeats within the key nor within the response, counted without
    listing the links (a long document has millions of non-coreference links)."""
    key_index = _index(key)
    response_index = _index(response)
    common = Counter((key_index[m], response_index[m]) for m in response_index if m in key_index)
    common_coref = sum(_pairs(n) for n in common.values())
    key_coref = sum(_pairs(len(c)) for c in key)
    response_coref = sum(_pairs(len(c)) for c in response)
    key_non = _pairs(len(key_index)) - key_coref
    response_non = _pairs(len(response_index)) - response_coref
    in_both = sum(common.values())
    same_key = Counter(k for k, _ in common.elements())
    same_response = Counter(r for _, r in common.elements())
    common_non = (_pairs(in_both) - sum(_pairs(n) for n in same_key.values())
                  - sum(_pairs(n) for n in same_response.values()) + common_coref)
    return BlancCounts(Counts(common_coref, key_coref, common_coref, response_coref),
                       Counts(common_non, key_non, common_non, response_non))


def _index(chains: list[list[int]]) -> dict[int, int]:
    """mention id -> index of the (last) chain holding it."""
    return {m: i for i, chain in enumerate(chains) for m in chain}


# --- documents and corpora -----------------------------------------------------------

def document_counts(key: Clusters, response: Clusters) -> dict:
    """Counts of every metric (``muc``, ``bcub``, ``ceafm``, ``ceafe``: :class:`Counts`; ``blanc``:
    :class:`BlancCounts`; ``mentions``: identification) for one document, plus ``repeats`` dropped."""
    ids = identify_mentions(key, response)
    return {
        "muc": muc(ids.key, ids.response),
        "bcub": b_cubed(ids.key, ids.response),
        "ceafm": ceaf(ids.key, ids.response, entity_based=False),
        "ceafe": ceaf(ids.key, ids.response, entity_based=True),
        "blanc": blanc(ids.key, ids.response),
        "mentions": ids.identification,
        "repeats": ids.repeats,
    }


def corpus_counts(keys: Sequence[Clusters], responses: Sequence[Clusters]) -> dict:
    """Every metric's counts summed over aligned documents (``keys[i]`` and ``responses[i]`` are the
    same part), in document order; ``repeats``: response mentions dropped as repeats. Raises
    :class:`TooManyRepeatedMentions` where the scorer refuses to score."""
    if len(keys) != len(responses):
        raise ValueError(f"{len(keys)} key documents but {len(responses)} responses")
    totals: dict = {name: Counts() for name in (*METRICS, "mentions")}
    totals["blanc"] = BlancCounts()
    repeats = 0
    for key, response in zip(keys, responses):
        counts = document_counts(key, response)
        repeats += counts.pop("repeats")
        for name, value in counts.items():
            totals[name] = totals[name] + value
    if repeats > MAX_REPEATED_MENTIONS:
        raise TooManyRepeatedMentions(f"found {repeats} repeated mentions in the response (more than "
                                      f"{MAX_REPEATED_MENTIONS}): the official scorer refuses to score")
    totals["repeats"] = repeats
    return totals


def scores_from_counts(totals: Mapping, blanc: bool = True) -> dict[str, float]:
    """Unrounded percentages from :func:`corpus_counts`: ``{metric}_p``, ``{metric}_r``, ``{metric}_f1``
    for muc, bcub, ceafm, ceafe, mentions (and blanc), and ``conll_f1`` (mean of the MUC, B-cubed,
    CEAF-e F1). For display, truncate the fractions (:func:`perl_percentage`), not these."""
    names = (*METRICS, "mentions", "blanc") if blanc else (*METRICS, "mentions")
    scores: dict[str, float] = {}
    for name in names:
        counts = totals[name]
        scores[f"{name}_p"] = 100.0 * counts.precision
        scores[f"{name}_r"] = 100.0 * counts.recall
        scores[f"{name}_f1"] = 100.0 * counts.f1
    scores["conll_f1"] = (scores["muc_f1"] + scores["bcub_f1"] + scores["ceafe_f1"]) / 3
    return scores


def coref_scores(keys: Sequence[Clusters], responses: Sequence[Clusters], blanc: bool = False) -> dict[str, float]:
    """Scores over aligned documents (``keys[i]`` and ``responses[i]`` are the same part).

    Returns percentages: ``{metric}_p``, ``{metric}_r``, ``{metric}_f1`` for muc, bcub, ceafm,
    ceafe and mentions, and ``conll_f1`` (mean of the MUC, B-cubed, CEAF-e F1): what the coreference
    task reports. ``blanc``: add ``blanc_p``, ``blanc_r``, ``blanc_f1`` (the task's per-document
    statistics leave BLANC out, so that saved runs stay comparable; :func:`score_corpus` has it).
    """
    return scores_from_counts(corpus_counts(keys, responses), blanc=blanc)


def align_parts(key: Mapping[str, Clusters], response: Mapping[str, Clusters]) -> tuple[list, list]:
    """Key and response documents paired by part name, as the scorer pairs them: a key part missing
    from the response is an empty response, response parts not in the key are ignored."""
    names = list(key)
    return [key[n] for n in names], [response.get(n, []) for n in names]


def score_corpus(key: Mapping[str, Clusters], response: Mapping[str, Clusters]) -> dict[str, float]:
    """:func:`coref_scores` with BLANC, documents paired by :func:`align_parts`."""
    return scores_from_counts(corpus_counts(*align_parts(key, response)))


# --- what the Perl script prints ----------------------------------------------------------

def perl_percentage(fraction: float) -> float:
    """The percentage as the Perl scorer prints it: truncated (not rounded) to two decimals.
    Give it the fraction (``counts.f1``), never a percentage divided by 100."""
    return int(fraction * 10000) / 100


def perl_number(value: float) -> str:
    """A number as Perl prints it (``%.15g``): ``3``, ``2.5``, ``2.33333333333333``."""
    return f"{value:.15g}"


SEPARATOR = "-" * 74


def show_rpf(recall_num: float, recall_den: float, precision_num: float, precision_den: float,
             f1: float | None = None) -> str:
    """The line ``ShowRPF`` prints (without its trailing separator line), digit for digit:
    ``Recall: (num / den) R%<TAB>Precision: (num / den) P%<TAB>F1: F%``."""
    precision = precision_num / precision_den if precision_den else 0
    recall = recall_num / recall_den if recall_den else 0
    if f1 is None:
        f1 = 2 * precision * recall / (precision + recall) if recall + precision else 0
    return (f"Recall: ({perl_number(recall_num)} / {perl_number(recall_den)}) "
            f"{perl_number(perl_percentage(recall))}%\tPrecision: ({perl_number(precision_num)} / "
            f"{perl_number(precision_den)}) {perl_number(perl_percentage(precision))}%\t"
            f"F1: {perl_number(perl_percentage(f1))}%")


def _rpf(counts: Counts) -> str:
    return show_rpf(counts.recall_num, counts.recall_den, counts.precision_num, counts.precision_den)


def scorer_report(totals: Mapping) -> str:
    """What ``perl scorer.pl all KEY RESPONSE none`` prints after its version line, from
    :func:`corpus_counts` (each metric's totals: mention identification, then the metric)."""
    lines = []
    for name in SCORER_METRICS:
        lines += ["", f"METRIC {name}:", "", "====== TOTALS =======",
                  "Identification of Mentions: " + _rpf(totals["mentions"]), SEPARATOR]
        if name == "blanc":
            b = totals["blanc"]
            lines += ["", "Coreference:", "Coreference links: " + _rpf(b.coreference), SEPARATOR,
                      "Non-coreference links: " + _rpf(b.non_coreference), SEPARATOR,
                      "BLANC: " + show_rpf(b.recall, 1, b.precision, 1, b.f1), SEPARATOR]
        else:
            lines += ["Coreference: " + _rpf(totals[name]), SEPARATOR]
    return "\n".join(lines) + "\n"


# --- files ----------------------------------------------------------------------------------

def file_counts(key_path: str, response_path: str) -> dict:
    """:func:`corpus_counts` of two CoNLL-2012 files (or directories of ``*conll`` files), parts
    read (:func:`~elmo_eval.readers.conll2012.read_coref_chains`) and paired as the scorer does."""
    from elmo_eval.readers.conll2012 import read_coref_chains

    return corpus_counts(*align_parts(read_coref_chains(key_path), read_coref_chains(response_path)))


def score_files(key_path: str, response_path: str) -> dict[str, float]:
    """Score two CoNLL-2012 files (or directories) part by part: MUC, B-cubed, CEAF-m, CEAF-e, BLANC
    and mention identification as ``scorer.pl <metric> KEY RESPONSE`` computes each, plus the CoNLL
    score.

    The scores are those of running the scorer once per metric. ``scorer.pl all`` runs the five
    metrics in one process and its count of repeated response mentions is never reset between them,
    so it stops (exit 1) at the metric where the running count passes 10: with 3 to 10 repeats
    ``all`` prints only the first metrics and refuses the rest, where each metric alone still
    scores. Here more than 10 repeats refuse everything (:class:`TooManyRepeatedMentions`), as each
    single-metric run does. Documents are summed in key-file order; the scorer sums them in Perl's
    (randomised) hash order, which can differ in a last bit (in the generated cases no printed digit
    depends on it: they print the same under two hash seeds, and the same as here).
    """
    return scores_from_counts(file_counts(key_path, response_path))

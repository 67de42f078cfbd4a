"""Coreference metrics against hand-computed values (cases from the reference scorer's
test/TestCases.README and Pradhan et al. 2014, worked by hand in the comments)."""
from __future__ import annotations

import random

import numpy as np
import pytest

from elmo_eval.metrics.coref import (
    BlancCounts,
    Counts,
    TooManyRepeatedMentions,
    blanc,
    coref_scores,
    corpus_counts,
    document_counts,
    munkres_assignment,
    perl_number,
    perl_percentage,
    score_corpus,
    show_rpf,
)

# every letter is a distinct one-token span; "B" overlaps nothing, it is just another span
SPANS = {ch: (i, i) for i, ch in enumerate("abcdefghxyzBC")}


def clusters(text: str) -> list[list[tuple[int, int]]]:
    """'{a} {bc} {def}' -> [[a], [b, c], [d, e, f]] as spans."""
    return [[SPANS[ch] for ch in group.strip("{}")] for group in text.split()]


def counts(key: str, response: str) -> dict[str, Counts]:
    return document_counts(clusters(key), clusters(response))


def assert_counts(c: Counts, recall: float, precision: float):
    assert c.recall == pytest.approx(recall) and c.precision == pytest.approx(precision)


KEY = "{a} {bc} {def}"


def test_identical_response_scores_100():
    scores = coref_scores([clusters(KEY)], [clusters(KEY)])
    for metric in ("muc", "bcub", "ceafm", "ceafe", "mentions"):
        assert scores[f"{metric}_f1"] == pytest.approx(100.0)
    assert scores["conll_f1"] == pytest.approx(100.0)


def test_missing_mentions_and_entities():
    # TC-A-2: response {a} {de}.
    # MUC: key links 0+1+2 = 3; response links 0+1 = 1; correct 1 (d-e) -> R 1/3, P 1/1.
    # B3 recall over key mentions: a 1/1, b 0, c 0, d 2/3, e 2/3, f 0 -> (1 + 4/3) / 6 = 7/18;
    #    precision over response mentions: a 1, d 1, e 1 -> 3/3.
    # CEAF-m: best alignment a-a (1), def-de (2) -> 3; R 3/6, P 3/3.
    # CEAF-e: phi4(a,a) = 1, phi4(def,de) = 2*2/5 -> 1.8; R 1.8/3, P 1.8/2.
    c = counts(KEY, "{a} {de}")
    assert_counts(c["muc"], 1 / 3, 1.0)
    assert_counts(c["bcub"], 7 / 18, 1.0)
    assert_counts(c["ceafm"], 3 / 6, 1.0)
    assert_counts(c["ceafe"], 1.8 / 3, 1.8 / 2)


def test_extra_response_mentions_count_against_precision():
    # TC-A-3: response {a} {bcx} {defy} {z} (x, y, z are not in the key).
    # MUC: correct b-c, d-e, e-f = 3; key links 3; response links 0+2+3+0 = 5 -> R 1, P 3/5.
    # B3 precision: a 1; b, c 2/3 each, x 0; d, e, f 3/4 each, y 0; z 0
    #    -> (1 + 4/3 + 9/4) / 9 = (55/12) / 9 = 55/108; recall 6/6.
    # CEAF-m: 1 + 2 + 3 = 6 -> R 6/6, P 6/9.
    # CEAF-e: 1 + 2*2/5 + 2*3/7 = 1 + 4/5 + 6/7 -> R /3, P /4 (z is a response entity too).
    c = counts(KEY, "{a} {bcx} {defy} {z}")
    assert_counts(c["muc"], 1.0, 3 / 5)
    assert_counts(c["bcub"], 1.0, 55 / 108)
    assert_counts(c["ceafm"], 1.0, 6 / 9)
    common = 1 + 4 / 5 + 6 / 7
    assert_counts(c["ceafe"], common / 3, common / 4)
    assert_counts(c["mentions"], 1.0, 6 / 9)


def test_missing_and_extra_mentions():
    # TC-A-4: response {a} {bcx} {dy} {z}.
    # MUC: correct b-c = 1; response links 2+1 = 3 -> R 1/3, P 1/3.
    # B3 recall: a 1, b 2/2, c 2/2, d 1/3, e 0, f 0 -> (3 + 1/3)/6 = 5/9;
    #    precision: a 1, b 2/3, c 2/3, x 0, d 1/2, y 0, z 0 -> (1 + 4/3 + 1/2)/7 = 17/42.
    # CEAF-e: 1 + 4/5 + 2*1/5 = 2.2 -> R 2.2/3, P 2.2/4. CEAF-m: 1 + 2 + 1 = 4 -> R 4/6, P 4/7.
    c = counts(KEY, "{a} {bcx} {dy} {z}")
    assert_counts(c["muc"], 1 / 3, 1 / 3)
    assert_counts(c["bcub"], 5 / 9, 17 / 42)
    assert_counts(c["ceafe"], 2.2 / 3, 2.2 / 4)
    assert_counts(c["ceafm"], 4 / 6, 4 / 7)


def test_repeated_response_mentions_are_dropped():
    # TC-A-7 / TC-A-8: a second "b" (same span) in the same or another cluster is dropped,
    # so both score exactly as TC-A-4 ({a} {bcx} {dy} {z}).
    SPANS_WITH_REPEAT = dict(SPANS, B=SPANS["b"])
    same = [[SPANS_WITH_REPEAT[ch] for ch in g] for g in ("a", "bcxB", "dy", "z")]
    other = [[SPANS_WITH_REPEAT[ch] for ch in g] for g in ("a", "bcx", "dy", "Bz")]
    reference = counts(KEY, "{a} {bcx} {dy} {z}")
    for response in (same, other):
        c = document_counts(clusters(KEY), response)
        assert c["repeats"] == 1
        for metric in ("muc", "bcub", "ceafm", "ceafe", "mentions"):
            assert c[metric] == reference[metric], metric


def test_more_than_ten_repeats_refuse_to_score():
    key = [[(0, 0), (1, 1)]]
    ten = [[(0, 0), (1, 1)] + [(0, 0)] * 10]
    coref_scores([key], [ten])  # ten repeats: the scorer still scores
    with pytest.raises(TooManyRepeatedMentions, match="11 repeated"):
        coref_scores([key], [[[(0, 0), (1, 1)] + [(0, 0)] * 11]])


def test_repeated_twinless_mention_is_kept_twice():
    # a repeat of a span that is not in the key is not dropped by the scorer: {x x} still has one link
    c = document_counts([[(0, 0), (1, 1)]], [[(5, 5), (5, 5)]])
    assert c["repeats"] == 0
    assert c["muc"] == Counts(0, 1, 0, 1)
    assert c["mentions"] == Counts(0, 2, 0, 1)  # unique response spans: 1


def test_repeated_key_mention_keeps_both_occurrences():
    # key {a a b}: both a's get the same id and stay -> 2 key links; response {ab} finds 1 of them
    c = document_counts([[(0, 0), (0, 0), (1, 1)]], [[(0, 0), (1, 1)]])
    assert c["muc"] == Counts(1, 2, 1, 1)
    assert c["mentions"] == Counts(2, 2, 2, 2)


def test_only_singletons_in_response():
    # TC-A-10: response {a} {b} {c} {d} {e} {f}. MUC: no response links, correct 0 -> R 0/3, P 0/0 = 0.
    # B3 recall: a 1, b, c 1/2, d, e, f 1/3 -> 3/6; precision 6/6.
    c = counts(KEY, "{a} {b} {c} {d} {e} {f}")
    assert c["muc"] == Counts(0, 3, 0, 0) and c["muc"].f1 == 0.0
    assert_counts(c["bcub"], 3 / 6, 1.0)


def test_system_mentions_all_in_one_cluster():
    # TC-A-13: response {axycdez}. MUC correct links = per key cluster, its members in the response
    #   cluster minus one: {a}: a -> 0; {bc}: c -> 0; {def}: d, e -> 1; total 1.
    #   Key links 3, response links 6 -> R 1/3, P 1/6.
    # B3 recall: a 1/1, c 1/2, d, e 2/3 each -> (1 + 1/2 + 4/3)/6 = 17/36;
    #    precision: a 1/7, c 1/7, d, e 2/7 each, x, y, z 0 -> 6/49.
    c = counts(KEY, "{axycdez}")
    assert_counts(c["muc"], 1 / 3, 1 / 6)
    assert_counts(c["bcub"], 17 / 36, 6 / 49)


def test_key_with_only_singletons_muc_is_zero():
    # TC-N-1: identical response of six singletons: MUC 0/0 -> 0; B3 and CEAF 100.
    key = "{a} {b} {c} {d} {e} {f}"
    scores = coref_scores([clusters(key)], [clusters(key)])
    assert scores["muc_f1"] == 0.0 and scores["muc_p"] == 0.0 and scores["muc_r"] == 0.0
    assert scores["bcub_f1"] == pytest.approx(100) and scores["ceafe_f1"] == pytest.approx(100)
    assert scores["conll_f1"] == pytest.approx(200 / 3)


def test_muc_paper_examples():
    # Vilain et al. 1995 (TC-F-1, TC-G-1, TC-K-1, TC-L-1)
    assert counts("{abcd}", "{ab} {cd}")["muc"] == Counts(2, 3, 2, 2)
    assert counts("{ab} {cd}", "{abcd}")["muc"] == Counts(2, 2, 2, 3)
    # key {bcdegh}: response {abc} {def} {ghx}: b-c, d-e, g-h correct; key links 5, response links 6
    assert counts("{bcdegh}", "{abc} {def} {ghx}")["muc"] == Counts(3, 5, 3, 6)
    # key {abc} {defg}, response {ab} {cd} {fgh}: a-b, f-g correct -> R 2/5, P 2/4
    assert counts("{abc} {defg}", "{ab} {cd} {fgh}")["muc"] == Counts(2, 5, 2, 4)


def test_bcubed_paper_merge_example():
    # TC-D-1 (Bagga and Baldwin): key {12345} {67} {89ABC} -> response merges {67} into {89ABC}.
    # recall 12/12; precision: 5 * 1 + 2 * 2/7 + 5 * 5/7 = 5 + 4/7 + 25/7 = 64/7 over 12 -> 16/21.
    letters = {str(i): (i, i) for i in range(1, 10)} | {ch: (10 + i, 10 + i) for i, ch in enumerate("ABC")}
    key = [[letters[c] for c in g] for g in ("12345", "67", "89ABC")]
    response = [[letters[c] for c in g] for g in ("12345", "6789ABC")]
    c = document_counts(key, response)
    assert_counts(c["bcub"], 1.0, 16 / 21)
    assert c["bcub"].f1 == pytest.approx(0.864864865)
    assert c["muc"] == Counts(9, 9, 9, 10)


def test_empty_response():
    scores = coref_scores([clusters(KEY)], [[]])
    assert all(v == 0.0 for v in scores.values())
    c = counts(KEY, "")
    assert c["muc"] == Counts(0, 3, 0, 0) and c["bcub"] == Counts(0, 6, 0, 0)
    assert c["ceafe"] == Counts(0, 3, 0, 0)


def test_documents_sum_counts_before_dividing():
    # doc 1 MUC (1, 3, 1, 1), doc 2 MUC (2, 2, 2, 3): totals R 3/5, P 3/4 (not the mean of ratios)
    scores = coref_scores([clusters(KEY), clusters("{ab} {cd}")], [clusters("{a} {de}"), clusters("{abcd}")])
    assert scores["muc_r"] == pytest.approx(60.0) and scores["muc_p"] == pytest.approx(75.0)
    f1 = 2 * 0.6 * 0.75 / 1.35
    assert scores["muc_f1"] == pytest.approx(100 * f1)


def test_score_corpus_matches_parts_by_name():
    key = {"doc/a; part 000": clusters(KEY), "doc/b; part 000": clusters("{ab}")}
    response = {"doc/a; part 000": clusters(KEY), "other; part 000": clusters("{xy}")}
    scores = score_corpus(key, response)
    # doc/b is scored as an empty response, "other" is ignored: MUC R 3/4, P 3/3
    assert scores["muc_r"] == pytest.approx(75.0) and scores["muc_p"] == pytest.approx(100.0)


def test_conll_f1_is_mean_of_muc_bcub_ceafe():
    scores = coref_scores([clusters(KEY)], [clusters("{a} {bcx} {dy} {z}")])
    assert scores["conll_f1"] == pytest.approx((scores["muc_f1"] + scores["bcub_f1"] + scores["ceafe_f1"]) / 3)


def test_perl_percentage_truncates():
    # F1 of P = 3/5, R = 1 is 0.75, but 2PR/(P+R) in floating point is 0.7499999999999999
    assert Counts(3, 3, 3, 5).f1 < 0.75
    assert perl_percentage(Counts(3, 3, 3, 5).f1) == 74.99
    assert perl_percentage(2 / 3) == 66.66


def test_truncate_the_fraction_not_the_percentage():
    # the case: R 6/7, P 6/8 -> F1 0.7999999999999999; scorer.pl prints 79.99, but 100 x F1 is 80.0
    f1 = Counts(6, 7, 6, 8).f1
    assert f1 == 0.7999999999999999 and 100 * f1 == 80.0
    assert perl_percentage(f1) == 79.99
    assert show_rpf(6, 7, 6, 8) == "Recall: (6 / 7) 85.71%\tPrecision: (6 / 8) 75%\tF1: 79.99%"


def test_numbers_print_as_perl_prints_them():
    assert [perl_number(x) for x in (3, 3.0, 2.5, 7 / 3, 0.1, 100.0, 1e-05)] == [
        "3", "3", "2.5", "2.33333333333333", "0.1", "100", "1e-05"]
    # BLANC's line: ShowRPF(R, 1, P, 1, F1) with F1 given
    assert show_rpf(0.5, 1, 0.5, 1, 0.4857142857142857) == (
        "Recall: (0.5 / 1) 50%\tPrecision: (0.5 / 1) 50%\tF1: 48.57%")


# --- BLANC --------------------------------------------------------------------------------------

def test_blanc_links_by_hand():
    # key {ab} {cd}, response {abx} {d}: coreference links key ab, cd; response ab, ax, bx -> 1 in common.
    # Non-coreference links key ac, ad, bc, bd; response ad, bd, xd -> 2 in common.
    # R = (1/2 + 2/4) / 2 = 0.5; P = (1/3 + 2/3) / 2 = 0.5; F1 = (0.4 + 4/7) / 2 (scorer.pl prints 48.57)
    c = counts("{ab} {cd}", "{abx} {d}")["blanc"]
    assert c == BlancCounts(Counts(1, 2, 1, 3), Counts(2, 4, 2, 3))
    assert c.recall == 0.5 and c.precision == 0.5
    assert c.f1 == pytest.approx((0.4 + 4 / 7) / 2) and perl_percentage(c.f1) == 48.57


def test_blanc_without_links_of_one_kind():
    # a key of singletons has no coreference links: only non-coreference links count
    only_singletons = counts("{a} {b} {c}", "{ab} {c}")["blanc"]
    assert only_singletons.coreference == Counts(0, 0, 0, 1)
    # key links ab, ac, bc; response links ac, bc: R 2/3, P 2/2
    assert only_singletons.recall == 2 / 3 and only_singletons.precision == 1.0
    # a key of one cluster has no non-coreference links: only coreference links count
    one_cluster = counts("{abc}", "{ab} {c}")["blanc"]
    assert one_cluster.recall == 1 / 3 and one_cluster.precision == 1.0
    # one mention: no links at all -> 0, even for an identical response
    single = counts("{a}", "{a}")["blanc"]
    assert (single.recall, single.precision, single.f1) == (0, 0, 0)


def test_blanc_sums_links_over_documents_before_averaging():
    totals = corpus_counts([clusters("{ab} {cd}"), clusters("{a} {b}")], [clusters("{abx} {d}"), clusters("{ab}")])
    assert totals["blanc"] == BlancCounts(Counts(1, 2, 1, 4), Counts(2, 5, 2, 3))
    assert coref_scores([clusters("{ab}")], [clusters("{ab}")], blanc=True)["blanc_f1"] == 100.0
    assert "blanc_f1" not in coref_scores([clusters("{ab}")], [clusters("{ab}")])  # the task's keys


def test_blanc_counting_equals_listing_the_links():
    """The counted shortcut (no repeated ids) against the scorer's sets of links, and repeated ids
    (a span repeated in the key, a twinless span repeated in the response) link to themselves."""
    from elmo_eval.metrics.coref import _blanc_unique, _links

    rng = random.Random(0)
    for _ in range(300):
        ids = rng.sample(range(40), rng.randint(0, 25))
        key = _split(rng, ids[:rng.randint(0, len(ids))])
        response = _split(rng, [m for m in ids if rng.random() < 0.7] + [100 + i for i in range(rng.randint(0, 4))])
        rng.shuffle(response)
        (kc, kn), (rc, rn) = _links(key), _links(response)
        listed = BlancCounts(Counts(len(kc & rc), len(kc), len(kc & rc), len(rc)),
                             Counts(len(kn & rn), len(kn), len(kn & rn), len(rn)))
        assert _blanc_unique(key, response) == listed == blanc(key, response)
    # {a a b}: the repeated id is a coreference link a-a besides a-b; {a} {a b}: a-a is a non-coreference link
    assert blanc([[0, 0, 1]], [[0, 1]]) == BlancCounts(Counts(1, 2, 1, 1), Counts(0, 0, 0, 0))
    assert blanc([[0], [0, 1]], [[0, 1]]) == BlancCounts(Counts(1, 1, 1, 1), Counts(0, 2, 0, 0))


def _split(rng: random.Random, ids: list[int]) -> list[list[int]]:
    chains: list[list[int]] = []
    for m in ids:
        if chains and rng.random() < 0.6:
            rng.choice(chains).append(m)
        else:
            chains.append([m])
    return chains


# --- CEAF's alignment -------------------------------------------------------------------------

def test_munkres_is_algorithm_munkres():
    # the example in Algorithm::Munkres' documentation (rows padded with zeros to a square)
    assert munkres_assignment([[2, 4, 7, 9], [3, 9, 5, 1], [8, 2, 9, 7]]) == [0, 3, 1, 2]
    # ties, as Algorithm::Munkres (the scorer's copy, which prefers the largest column) assigns them;
    # the port agreed with the Perl module on 2,000 random matrices
    assert munkres_assignment([[1, 0.5, 0.5], [0.5, 1, 0.5], [0.5, 0.5, 1]]) == [2, 0, 1]
    assert munkres_assignment([[0.5, 0.5], [0.5, 0.5], [0.2, 0.2]]) == [1, 2, 0]
    assert munkres_assignment([]) == []


def test_munkres_alignment_is_optimal():
    linear_sum_assignment = pytest.importorskip("scipy.optimize").linear_sum_assignment
    rng = np.random.default_rng(0)
    for _ in range(300):
        rows, columns = rng.integers(1, 8, 2)
        columns = max(rows, columns)
        cost = 1 - rng.integers(0, 4, (rows, columns)) / rng.integers(1, 6)
        square = np.zeros((columns, columns))
        square[:rows] = cost
        chosen = munkres_assignment(cost)
        assert sorted(chosen) == list(range(columns))
        best = square[linear_sum_assignment(square)].sum()
        assert square[np.arange(columns), chosen].sum() == pytest.approx(best, abs=1e-12)

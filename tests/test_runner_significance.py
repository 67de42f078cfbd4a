import numpy as np
import pytest

from elmo_eval.runner.significance import paired_permutation_test


def accuracy(instances, predictions):
    return 100.0 * float(np.mean([g == p for g, p in zip(instances, predictions)]))


def test_clear_difference_is_significant_and_equal_systems_are_not():
    rng = np.random.default_rng(0)
    gold = list(rng.integers(0, 2, 300))
    good = [g if rng.random() < 0.9 else 1 - g for g in gold]
    bad = [g if rng.random() < 0.6 else 1 - g for g in gold]
    result = paired_permutation_test(accuracy, gold, [good], [bad], samples=200)
    assert result["difference"] > 20 and result["p_value"] < 0.01
    same = paired_permutation_test(accuracy, gold, [good], [list(good)], samples=200)
    assert same["difference"] == 0 and same["p_value"] == 1.0


def test_seeds_are_paired_and_averaged():
    gold = [0, 1] * 50
    a = [[0, 1] * 50, [0, 1] * 50]
    b = [[0, 0] * 50, [1, 1] * 50]
    result = paired_permutation_test(accuracy, gold, a, b, samples=50)
    assert result["difference"] == 50.0 and result["seeds"] == 2


def test_pooled_test_agrees_with_the_generic_one():
    from elmo_eval.metrics.pooled import accuracy_from_counts
    from elmo_eval.runner.significance import paired_permutation_test_pooled

    rng = np.random.default_rng(1)
    gold = list(rng.integers(0, 2, 200))
    a = [g if rng.random() < 0.8 else 1 - g for g in gold]
    b = [g if rng.random() < 0.7 else 1 - g for g in gold]

    def stats(pred):
        return np.array([[float(g == p), 1.0] for g, p in zip(gold, pred)])

    slow = paired_permutation_test(accuracy, gold, [a], [b], samples=400, seed=0)
    fast = paired_permutation_test_pooled(accuracy_from_counts, [stats(a)], [stats(b)], samples=4000, seed=0)
    assert fast["difference"] == slow["difference"]
    assert abs(fast["p_value"] - slow["p_value"]) < 0.03


def test_pooled_f1_and_coref_scores_from_counts():
    from elmo_eval.metrics.pooled import coref_from_counts, f1_from_counts

    # 3 correct of 4 predicted and 6 gold: P 75, R 50, F1 60
    assert f1_from_counts(np.array([3.0, 4.0, 6.0])) == pytest.approx(60.0)
    assert f1_from_counts(np.array([[0.0, 0.0, 0.0]])).tolist() == [0.0]
    # MUC R 1/2 P 1/1 (F1 2/3); B3 perfect; CEAF-m nothing; CEAF-e R 1/2 P 1/2; mentions all found
    totals = np.array([1, 2, 1, 1, 3, 3, 3, 3, 0, 0, 0, 0, 1, 2, 1, 2, 3, 3, 3, 3], dtype=float)
    scores = coref_from_counts(totals)
    assert scores["conll_f1"] == pytest.approx(100 * (2 / 3 + 1 + 0.5) / 3)
    assert scores["ceafm_f1"] == 0.0 and scores["mentions_p"] == 100.0

import numpy as np

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

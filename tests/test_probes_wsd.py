"""The all-words WSD scorer and the nearest-sense probe on hand-made cases."""
from __future__ import annotations

import pytest
from probe_helpers import HandFeatures, bank_data

from elmo_eval.metrics.wsd import read_key_file, score_wsd
from elmo_eval.probes.wsd import wsd_probe
from elmo_eval.readers.errors import DataFormatError


def test_scorer_precision_over_answered_recall_over_all():
    gold = {"a": ["x"], "b": ["y"], "c": ["z"], "d": ["w"]}
    score = score_wsd(gold, {"a": "x", "b": "wrong", "c": None})   # d not answered at all
    assert score.answered == 2 and score.total == 4 and score.correct == 1
    assert score.precision == pytest.approx(50.0) and score.recall == pytest.approx(25.0)
    assert score.f1 == pytest.approx(2 * 50 * 25 / 75)


def test_scorer_any_gold_key_of_a_multi_key_instance_is_correct():
    gold = {"a": ["x", "x2"], "b": ["y", "y2"]}
    assert score_wsd(gold, {"a": "x2", "b": ["y"]}).f1 == pytest.approx(100.0)


def test_scorer_gives_fractional_credit_to_several_system_keys_and_ignores_unknown_ids():
    gold = {"a": ["x"], "b": ["y"]}
    score = score_wsd(gold, {"a": ["x", "q"], "b": "y", "not-in-gold": "x"})
    assert score.correct == pytest.approx(1.5) and score.answered == 2
    assert score.precision == pytest.approx(75.0) and score.recall == pytest.approx(75.0)


def test_scorer_with_no_answers_is_zero_not_a_division_error():
    score = score_wsd({"a": ["x"]}, {})
    assert (score.precision, score.recall, score.f1, score.answered) == (0.0, 0.0, 0.0, 0)


def test_key_file_reader_names_the_bad_line(tmp_path):
    path = tmp_path / "gold.key.txt"
    path.write_text("d000.s000.t000 art%1:06:00::\nd000.s000.t001\n")
    with pytest.raises(DataFormatError, match="gold.key.txt:2:"):
        read_key_file(path)
    path.write_text("d0 k1 k2\nd1 k3\n")
    assert read_key_file(path) == {"d0": ["k1", "k2"], "d1": ["k3"]}


def _answers(result, row):
    return result["rows"][row]["answers"]


def test_context_picks_the_nearest_sense_and_a_context_free_row_ties_to_the_most_frequent():
    result = wsd_probe(HandFeatures(), bank_data())
    contextual, static = _answers(result, "layer 1"), _answers(result, "word vectors")
    assert contextual["0.1"] == "b%river" and contextual["1.1"] == "b%money"
    # every sense of "bank" has the same static vector: a tie, broken by training frequency (money 2, river 1)
    assert static["0.1"] == static["1.1"] == "b%money"


def test_unseen_lemma_takes_the_inventory_first_sense_or_stays_unanswered():
    without = wsd_probe(HandFeatures(), bank_data())
    assert _answers(without, "layer 1")["2.1"] is None
    score = without["rows"]["layer 1"]["score"]
    assert (score["answered"], score["total"]) == (2, 3)
    assert score["precision"] == pytest.approx(100.0) and score["recall"] == pytest.approx(200 / 3)
    with_inventory = wsd_probe(HandFeatures(), bank_data({"pitch": ["p%field", "p%tone"]}))
    assert _answers(with_inventory, "layer 1")["2.1"] == "p%field"
    assert with_inventory["rows"]["layer 1"]["score"]["f1"] == pytest.approx(100.0)
    assert with_inventory["how_answered"] == {"nearest sense": 2, "inventory first sense": 1}


def test_ties_between_equally_frequent_senses_follow_the_inventory_then_the_name():
    data = bank_data()
    data.train = data.train[:2]   # river once, money once: an exact tie in frequency too
    by_name = wsd_probe(HandFeatures(), data)
    assert _answers(by_name, "word vectors")["0.1"] == "b%money"      # alphabetical
    data.inventory = {"bank": ["b%river", "b%money"]}
    by_inventory = wsd_probe(HandFeatures(), data)
    assert _answers(by_inventory, "word vectors")["0.1"] == "b%river"


def test_scores_per_group_of_targets_isolate_what_context_decides():
    result = wsd_probe(HandFeatures(), bank_data({"pitch": ["p%field", "p%tone"]}))
    groups = {row: {name: s["f1"] for name, s in r["by_how_answered"].items()} for row, r in result["rows"].items()}
    assert groups["layer 1"] == {"nearest sense": 100.0, "inventory first sense": 100.0}
    assert groups["word vectors"]["nearest sense"] == pytest.approx(50.0)   # one answer for both contexts

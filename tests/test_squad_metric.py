"""SQuAD EM / F1 against hand-computed cases, including the official scorer's odd rules."""
import pytest

from elmo_eval.metrics.squad import exact_match, normalize_answer, squad_scores, token_f1


@pytest.mark.parametrize("raw, normalised", [
    ("The Eiffel Tower", "eiffel tower"),
    ("  a   cat,  an apple; THE end. ", "cat apple end"),
    ("state-of-the-art", "stateoftheart"),            # hyphen deleted, not a space; "the" glued, so kept
    ("Theory of the atheist", "theory of atheist"),    # articles only as whole words
    ("\u201cquoted\u201d \u2014 text\u2026", "\u201cquoted\u201d \u2014 text\u2026"),  # Unicode punctuation stays
    ("the", ""),
    ("(1858)", "1858"),
    ("A.", ""),                                        # punctuation goes first, then the article
])
def test_normalisation(raw, normalised):
    assert normalize_answer(raw) == normalised


def test_exact_match_and_f1_by_hand():
    assert exact_match("the Virgin Mary", "Virgin Mary!") == 1.0
    assert exact_match("Virgin", "Virgin Mary") == 0.0
    # prediction "saint bernadette", gold "saint bernadette soubirous": P = 2/2, R = 2/3, F1 = 0.8
    assert token_f1("Saint Bernadette", "Saint Bernadette Soubirous") == pytest.approx(0.8)
    # repeated tokens count with multiplicity: pred [a1 a1 b] vs gold [a1 b b]: shared 2, P = R = 2/3
    assert token_f1("x x y", "x y y") == pytest.approx(2 / 3)
    assert token_f1("anything", "else") == 0.0


def test_two_empty_normalisations_give_em_1_f1_0():
    assert exact_match("the", "a") == 1.0
    assert token_f1("the", "a") == 0.0
    assert squad_scores({"q": ["An"]}, {"q": "."}) == {"exact_match": 100.0, "f1": 0.0, "missing": 0}


def test_empty_prediction_against_nonempty_gold():
    assert squad_scores({"q": ["Paris"]}, {"q": ""}) == {"exact_match": 0.0, "f1": 0.0, "missing": 0}


def test_maxima_over_golds_taken_separately():
    # pred "big red dog" against
    #   "the dog"           -> "dog": EM 0, F1 = 2 * (1/3 * 1) / (1/3 + 1) = 0.5
    #   "big red dog house"        : EM 0, F1 = 2 * (1 * 3/4) / (1 + 3/4) = 6/7
    scores = squad_scores({"q": ["the dog", "big red dog house"]}, {"q": "big red dog"})
    assert scores["exact_match"] == 0.0
    assert scores["f1"] == pytest.approx(100 * 6 / 7)


def test_em_and_f1_maxima_from_different_golds():
    # pred "cat" vs ["dog", "cat sat on mat"]: EM 0 from both, F1 0.4 from the second (P 1, R 1/4)
    scores = squad_scores({"q": ["dog", "cat sat on mat"]}, {"q": "cat"})
    assert scores["exact_match"] == 0.0 and scores["f1"] == pytest.approx(40.0)
    # pred "the" vs ["a", "the end of it"]: EM 1 from the first (both normalise to nothing) with F1 0
    # there; the second gives EM 0 and F1 0 (no shared token) -> EM 100, F1 0
    assert squad_scores({"q": ["a", "the end of it"]}, {"q": "the"}) == {"exact_match": 100.0, "f1": 0.0,
                                                                          "missing": 0}
    # pred "end" vs ["an", "the end of it"]: EM 0 from both; F1 0 from the first, 2*(1*1/3)/(1+1/3) = 0.5
    # from the second
    scores = squad_scores({"q": ["an", "the end of it"]}, {"q": "end"})
    assert scores["exact_match"] == 0.0 and scores["f1"] == pytest.approx(50.0)


def test_missing_prediction_scores_zero_and_unknown_ids_are_ignored():
    gold = {"q1": ["Paris"], "q2": ["London"], "q3": ["Rome"]}
    predictions = {"q1": "Paris", "q3": "rome", "q999": "Madrid"}
    scores = squad_scores(gold, predictions)
    assert scores["exact_match"] == pytest.approx(200 / 3)
    assert scores["f1"] == pytest.approx(200 / 3)
    assert scores["missing"] == 1


def test_no_gold_raises():
    with pytest.raises(ValueError, match="q7"):
        squad_scores({"q7": []}, {"q7": "x"})


def test_repeated_question_ids_count_each_time_in_dataset_order():
    # the official script walks the dataset: a question id listed twice is scored twice
    questions = [("q1", ["Paris"]), ("q2", ["Rome"]), ("q1", ["Paris"])]
    assert squad_scores(questions, {"q1": "Paris", "q2": "Milan"})["exact_match"] == pytest.approx(200 / 3)

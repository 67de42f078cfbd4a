"""srl-eval.pl's scoring rules, on hand-computed cases (see docs/official-scorers.md)."""
from __future__ import annotations

import pytest

from elmo_eval.metrics.srl_eval import (
    Argument,
    bio_to_column,
    column_arguments,
    evaluate_propositions,
    read_props,
    score_proposition,
    score_props_files,
    write_props,
)


def _col(text: str) -> list[str]:
    return text.split()


def _totals(gold, pred):
    c = score_proposition(gold, pred).total()
    return c["correct"], c["excess"], c["missed"]


def test_identical_columns_verb_excluded():
    gold = _col("(A0* *) (V*) (A1*) *")
    counts = score_proposition(gold, gold)
    assert dict(counts.total()) == {"correct": 2}
    assert dict(counts.excluded["V"]) == {"correct": 1}


def test_wrong_label_and_wrong_boundary():
    gold = _col("(A0*) (V*) (A1* *)")
    assert _totals(gold, _col("(A1*) (V*) (A1* *)")) == (1, 1, 1)
    assert _totals(gold, _col("(A0*) (V*) (A1*) *")) == (1, 1, 1)


def test_continuation_is_one_discontinuous_argument():
    gold = _col("(A1*) (V*) (C-A1*)")
    assert column_arguments(gold) == [Argument("A1", 0, 2, ((0, 0), (2, 2))), Argument("V", 1, 1)]
    assert _totals(gold, gold) == (1, 0, 0)
    # predicting only the first piece is neither correct nor a partial match
    assert _totals(gold, _col("(A1*) (V*) *")) == (0, 1, 1)
    # the right pieces with a wrong label
    assert _totals(gold, _col("(A0*) (V*) (C-A0*)")) == (0, 1, 1)


def test_continuation_without_head_becomes_plain_label():
    assert column_arguments(_col("* (V*) (C-A1*)")) == [Argument("V", 1, 1), Argument("A1", 2, 2)]
    assert _totals(_col("* (V*) (A1*)"), _col("* (V*) (C-A1*)")) == (1, 0, 0)


def test_reference_arguments_are_ordinary_labels():
    gold = _col("(A0*) (R-A0*) (V*)")
    counts = score_proposition(gold, _col("(A0*) (A0*) (V*)"))
    assert dict(counts.by_label["R-A0"]) == {"missed": 1}
    assert dict(counts.by_label["A0"]) == {"correct": 1, "excess": 1}


def test_nested_child_makes_parent_multi_part():
    gold = _col("(A1* (A2*) *) (V*)")
    assert column_arguments(gold) == [Argument("A1", 0, 2, ((1, 1),)), Argument("A2", 1, 1), Argument("V", 3, 3)]
    assert _totals(gold, gold) == (2, 0, 0)
    # the flat A1 is single, the gold one is not: excess; both gold arguments missed
    assert _totals(gold, _col("(A1* * *) (V*)")) == (0, 1, 2)


def test_same_span_later_phrase_hides_earlier():
    # '(A0(A1*))': A1 is nested in A0 on one token; the scorer keeps only A1
    assert column_arguments(_col("(A0(A1*)) (V*)")) == [Argument("A1", 0, 0), Argument("V", 1, 1)]


def test_no_arguments_scores_zero_not_error():
    result = evaluate_propositions([(2, [(1, "go", _col("* (V*)"))])], [(2, [(1, "go", _col("* (V*)"))])])
    assert (result["precision"], result["recall"], result["f1"]) == (0.0, 0.0, 0.0)
    assert result["perfect_props"] == 100.0 and result["verb"]["f1"] == 100.0


def test_sentence_level_matching_by_position():
    gold = [(6, [(1, "eat", _col("(A0*) (V*) (A1* *) (AM-TMP*) *")),
                 (5, "go", _col("* * * (A2*) * (V*)"))])]
    pred = [(6, [(0, "x", _col("(V*) * * * * (A0*)")),          # not in gold: skipped
                 (1, "eat", _col("(A0*) (V*) (A1*) * (AM-LOC*) *"))])]  # 'go' missing: its A2 missed
    result = evaluate_propositions(gold, pred)
    assert (result["correct"], result["excess"], result["missed"]) == (1, 2, 3)
    assert result["precision"] == pytest.approx(100 / 3)
    assert result["recall"] == pytest.approx(25.0)
    assert result["f1"] == pytest.approx(200 / 7)
    assert result["num_propositions"] == 2 and result["perfect_props"] == 0.0
    assert result["per_label"]["A1"] == {"correct": 0, "excess": 1, "missed": 1, "precision": 0.0,
                                         "recall": 0.0, "f1": 0.0}
    assert result["per_label"]["AM-LOC"]["excess"] == 1 and result["per_label"]["A2"]["missed"] == 1
    assert (result["verb"]["correct"], result["verb"]["missed"]) == (1, 1)


def test_other_verb_at_same_position_misses_gold_and_ignores_prediction():
    gold = [(3, [(1, "eat", _col("(A0*) (V*) (A1*)"))])]
    pred = [(3, [(1, "drink", _col("(A0*) (V*) (A1*)"))])]
    result = evaluate_propositions(gold, pred)
    assert (result["correct"], result["excess"], result["missed"]) == (0, 0, 2)


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="sentence 0"):
        evaluate_propositions([(3, [])], [(2, [])])


def test_bio_to_column():
    assert bio_to_column(["B-A0", "I-A0", "B-V", "O", "B-A1"]) == ["(A0*", "*)", "(V*)", "*", "(A1*)"]
    assert bio_to_column(["B-A1", "B-C-A1", "I-C-A1"]) == ["(A1*)", "(C-A1*", "*)"]
    # invalid sequences: I- after O or after another type starts a span (as conlleval)
    assert bio_to_column(["I-A0", "I-A1", "O"]) == ["(A0*)", "(A1*)", "*"]


def test_props_files_round_trip(tmp_path):
    gold = [(3, [(1, "eat", _col("(A0*) (V*) (A1*)"))]), (2, []), (2, [(0, "go", _col("(V*) (A4*)"))])]
    pred = [(3, [(1, "eat", _col("(A0*) (V*) *"))]), (2, []), (2, [(0, "go", _col("(V*) (A4*)"))])]
    for name, sentences in (("gold.props", gold), ("pred.props", pred)):
        with open(tmp_path / name, "w") as handle:
            write_props(handle, sentences)
    text = (tmp_path / "gold.props").read_text()
    assert text.splitlines()[:4] == ["-\t(A0*)", "eat\t(V*)", "-\t(A1*)", ""]
    assert read_props(tmp_path / "gold.props") == gold
    result = score_props_files(tmp_path / "gold.props", tmp_path / "pred.props")
    assert (result["correct"], result["excess"], result["missed"]) == (2, 0, 1)
    assert result["num_sentences"] == 3


def test_two_blank_lines_end_reading(tmp_path):
    path = tmp_path / "p.props"
    path.write_text("-\t(A0*)\neat\t(V*)\n\n\n-\t*\ngo\t(V*)\n\n")
    assert len(read_props(path)) == 1


def test_srl_eval_subcommand(tmp_path, capsys):
    import argparse

    from elmo_eval.tools_cli import register

    with open(tmp_path / "g.props", "w") as handle:
        write_props(handle, [(3, [(1, "eat", _col("(A0*) (V*) (A1*)"))])])
    with open(tmp_path / "p.props", "w") as handle:
        write_props(handle, [(3, [(1, "eat", _col("(A0*) (V*) *"))])])
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["srl-eval", str(tmp_path / "g.props"), str(tmp_path / "p.props")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "Number of Propositions :           1" in out
    assert "   Overall        1       0       1   100.00   50.00   66.67" in out


def test_label_with_an_escaped_star(tmp_path):
    # srl-eval.pl's opening bracket allows '\*' inside a label
    assert column_arguments([r"(A\*B*)", "(V*)"]) == [Argument(r"A\*B", 0, 0), Argument("V", 1, 1)]


def test_rows_of_different_widths_are_refused(tmp_path):
    path = tmp_path / "p.props"
    path.write_text("-\t(A0*)\neat\n\n")
    with pytest.raises(ValueError, match="different numbers of columns"):
        read_props(path)


def test_verb_row_only_when_a_verb_was_seen():
    from elmo_eval.tools_cli import format_srl_report

    no_propositions = evaluate_propositions([(2, [])], [(2, [])])
    assert "         V" not in format_srl_report(no_propositions)
    one = evaluate_propositions([(2, [(1, "go", ["*", "(V*)"])])], [(2, [(1, "go", ["*", "(V*)"])])])
    assert "         V        1       0       0   100.00  100.00  100.00" in format_srl_report(one)

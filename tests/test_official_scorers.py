"""The project's scorers against what the official scorers *printed* on generated inputs.

The inputs come from ``scripts/official_scorer_cases.py`` (seeded random cases and adversarial ones);
the fixtures under ``tests/fixtures/official_scorers/`` hold the official scorers' printed lines on
them, recorded once with the scorers themselves (which never enter this repository). Every printed
number must come out the same, digit for digit.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "official_scorers"


@cache
def generator():
    path = ROOT / "scripts" / "official_scorer_cases.py"
    spec = importlib.util.spec_from_file_location("official_scorer_cases", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("official_scorer_cases", module)
    spec.loader.exec_module(module)
    return module


@cache
def fixture(name: str) -> dict:
    with open(FIXTURES / name, encoding="utf-8") as handle:
        return json.load(handle)


@cache
def cases(kind: str) -> dict[str, dict]:
    return {case["name"]: case for case in getattr(generator(), f"{kind}_cases")()}


def case_inputs(kind: str, record: dict, tmp_path: Path) -> Path:
    """Write a recorded case's inputs (regenerated) to tmp_path; they must be the ones the scorer saw."""
    case = cases(kind)[record["name"]]
    assert generator().digest(case["files"]) == record["inputs"], (
        f"{record['name']}: the generator no longer makes the inputs the fixture was recorded on; "
        "re-record the fixtures (scripts/official_scorer_cases.py record)")
    return generator().write_case(case["files"], tmp_path)


def records(name: str) -> list:
    return [pytest.param(r, id=r["name"]) for r in fixture(name)["cases"]]


# --- coreference: scorer.pl v8.01 --------------------------------------------------------------

COREF = "coref_scorer_v8.01.json"


def test_coref_fixture_covers_the_generated_cases():
    recorded = [r["name"] for r in fixture(COREF)["cases"]]
    assert recorded == list(cases("coref"))
    assert len(recorded) >= 150
    assert sum("refused" in r for r in fixture(COREF)["cases"]) <= 5


@pytest.mark.parametrize("record", records(COREF))
def test_coref_prints_what_scorer_pl_prints(record, tmp_path):
    from elmo_eval.metrics.coref import TooManyRepeatedMentions, file_counts, scorer_report
    from elmo_eval.readers.errors import DataFormatError

    directory = case_inputs("coref", record, tmp_path)
    key, response = str(directory / "key.conll"), str(directory / "response.conll")
    if "refused" in record:
        error = TooManyRepeatedMentions if record["refused"].startswith("Found too many") else DataFormatError
        with pytest.raises(error):
            file_counts(key, response)
        return
    lines = generator()._coref_lines(scorer_report(file_counts(key, response)))
    mentions = [line for line in lines if line.startswith("Identification")]
    assert set(mentions) == {record["mentions"]}
    expected = [line for metric in generator().COREF_METRICS for line in record[metric]]
    assert [line for line in lines if not line.startswith("Identification")] == expected


def test_coref_report_is_scorer_pl_all_line_for_line(tmp_path):
    from elmo_eval.metrics.coref import file_counts, scorer_report

    full = fixture(COREF)["full_output"]
    assert full
    for record in fixture(COREF)["cases"]:
        if record["name"] in full:
            directory = case_inputs("coref", record, tmp_path / record["name"])
            totals = file_counts(str(directory / "key.conll"), str(directory / "response.conll"))
            assert scorer_report(totals) == full[record["name"]]


def test_coref_score_command_prints_truncated_fractions(tmp_path, capsys):
    """The issue's case: F1 = 0.7999999999999999; scorer.pl prints 79.99, 100 x F1 would show 80.00."""
    from elmo_eval.cli import main

    record = next(r for r in fixture(COREF)["cases"] if r["name"] == "adversarial-f1-just-below-80")
    assert record["muc"][0].endswith("F1: 79.99%")
    directory = case_inputs("coref", record, tmp_path)
    assert main(["coref-score", str(directory / "key.conll"), str(directory / "response.conll")]) == 0
    table = capsys.readouterr().out
    muc = next(line for line in table.splitlines() if line.split()[0] == "muc")
    assert muc.split() == ["muc", "85.71", "75.00", "79.99"]
    assert "blanc" in table and "CoNLL" in table
    assert main(["coref-score", "--full", str(directory / "key.conll"), str(directory / "response.conll")]) == 0
    full = capsys.readouterr().out
    assert "Coreference: " + record["muc"][0].removeprefix("Coreference: ") in full
    assert "BLANC: " in full


# --- semantic roles: srl-eval.pl ---------------------------------------------------------------

SRL = "srl_eval_pl.json"


def test_srl_fixture_covers_the_generated_cases():
    recorded = [r["name"] for r in fixture(SRL)["cases"]]
    assert recorded == list(cases("srl")) and len(recorded) >= 120


@pytest.mark.parametrize("record", records(SRL))
def test_srl_prints_what_srl_eval_pl_prints(record, tmp_path):
    from elmo_eval.metrics.srl_eval import score_props_files
    from elmo_eval.tools_cli import format_srl_report

    directory = case_inputs("srl", record, tmp_path)
    gold, pred = directory / "gold.props", directory / "pred.props"
    if "refused" in record:
        with pytest.raises(ValueError):
            score_props_files(gold, pred)
        return
    report = format_srl_report(score_props_files(gold, pred))
    assert generator()._srl_lines(report) == record["lines"]
    if record["name"] in fixture(SRL)["full_output"]:
        assert report + "\n" == fixture(SRL)["full_output"][record["name"]]


def test_srl_eval_command_prints_the_report(tmp_path, capsys):
    from elmo_eval.cli import main

    record = next(r for r in fixture(SRL)["cases"] if r["name"] == "adversarial-escaped-star-in-label")
    directory = case_inputs("srl", record, tmp_path)
    assert main(["srl-eval", str(directory / "gold.props"), str(directory / "pred.props")]) == 0
    assert generator()._srl_lines(capsys.readouterr().out) == record["lines"]


# --- named entities: conlleval -----------------------------------------------------------------

CONLLEVAL = "conlleval.json"


def test_conlleval_fixture_covers_the_generated_cases():
    recorded = [r["name"] for r in fixture(CONLLEVAL)["cases"]]
    assert recorded == list(cases("conlleval")) and len(recorded) >= 120


@pytest.mark.parametrize("record", records(CONLLEVAL))
def test_conlleval_prints_what_conlleval_prints(record, tmp_path):
    from elmo_eval.metrics.conlleval import conlleval_report, read_conlleval_file

    path = case_inputs("conlleval", record, tmp_path) / "input.txt"
    if "refused" in record:
        with pytest.raises(ValueError):
            read_conlleval_file(path)
        return
    assert conlleval_report(read_conlleval_file(path)).splitlines() == record["lines"]


@pytest.mark.parametrize("record", records(CONLLEVAL))
def test_conlleval_scores_of_sentences_equal_the_file_reading(record, tmp_path):
    """The sentence API the NER task uses counts as conlleval reads the file (BIOES aside: refused)."""
    from elmo_eval.metrics.conlleval import conlleval_scores, read_conlleval_file, scores_from_counts

    if "refused" in record:
        return
    path = case_inputs("conlleval", record, tmp_path) / "input.txt"
    gold, predicted, sentence = [], [], None
    for line in path.read_text(encoding="utf-8").split("\n"):
        fields = [f for f in line.split(" ") if f]
        if not fields or fields[0] == "-X-":
            sentence = None
            continue
        if sentence is None:
            sentence = len(gold)
            gold.append([])
            predicted.append([])
        gold[sentence].append(fields[-2])
        predicted[sentence].append(fields[-1])
    if any(t[:2] in ("E-", "S-") for s in (*gold, *predicted) for t in s):
        with pytest.raises(ValueError, match="BIOES"):
            conlleval_scores(gold, predicted)
        return
    assert conlleval_scores(gold, predicted) == scores_from_counts(read_conlleval_file(path))


# --- reading comprehension: SQuAD v1.1 evaluate-v1.1.py ---------------------------------------

SQUAD = "squad_evaluate_v1.1.json"


def test_squad_fixture_covers_the_generated_cases():
    recorded = [r["name"] for r in fixture(SQUAD)["cases"]]
    assert recorded == list(cases("squad")) and len(recorded) >= 120


@pytest.mark.parametrize("record", records(SQUAD))
def test_squad_prints_what_evaluate_v11_prints(record, tmp_path):
    from elmo_eval.metrics.squad import score_squad_files

    directory = case_inputs("squad", record, tmp_path)
    scores = score_squad_files(directory / "dataset.json", directory / "predictions.json")
    assert json.dumps({"exact_match": scores["exact_match"], "f1": scores["f1"]}) == record["output"]
    assert scores["missing"] == record["unanswered"]

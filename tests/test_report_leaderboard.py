"""The report from result files alone: two encoders and a shared baseline, flags, ranking, safety.

The result folders here are written by hand in the runner's format (no training), so every number
in the expected tables is known.
"""
from __future__ import annotations

import json
import pickle

import pandas as pd
import pytest

from elmo_eval.runner.report import build_report
from elmo_eval.runner.results import write_statistics

SETUP = {"elmo_placement": "input", "l2_lambda": 0.001, "tables": ["table1", "ablations"]}
PAPER = {"table1": {"baseline": 90.0, "elmo": 92.0}}


def _spec(task: str) -> dict:
    return {"name": task, "task": f"somewhere:{task.title()}", "title": task, "metric": "accuracy",
            "metric_label": "Accuracy", "setup": SETUP, "paper": PAPER, "file": f"{task}.toml", "sha256": "0" * 64}


def _write_run(root, owner, task, rep, seed, correct: list[int], dev_history=None, degenerate=None, kind="world"):
    """One finished run: result.json plus its per-instance statistics (accuracy counts)."""
    import numpy as np

    elmo = None if rep == "baseline" else "scalar_mix"
    name = "baseline" if rep == "baseline" else "elmo_mix_l0.001"
    folder = root / "runs" / owner / task / f"{name}-input-s{seed}-{kind}"
    folder.mkdir(parents=True)
    stats = np.array([[c, 1.0] for c in correct])
    write_statistics(folder / "statistics.json", "accuracy", {"test": stats})
    acc = 100.0 * sum(correct) / len(correct)
    record = {
        "task": task, "run_id": folder.name, "seed": seed, "fraction": 1.0, "variant": None, "hp_profile": "tiny",
        "tables": ["table1"], "encoder": owner, "metric": "accuracy", "metric_label": "Accuracy",
        "representation": {"name": name, "elmo": elmo, "l2_lambda": 0.001 if elmo else 0.0, "layer_norm": False,
                           "placement": "input", "word": True, "char_cnn": None},
        "hp": {"char_cnn": False}, "spec": _spec(task), "vectors_fingerprint": "v" * 40,
        "encoder_fingerprint": None if elmo is None else owner * 4,
        "encoder_description": {"kind": "test encoder" if elmo else "word-only baseline", "layers": 3, "dim": 8},
        "data_source": {"kind": kind, "version": "1.9", "size": "tiny", "fingerprint": f"d-{kind}-{task}"},
        "metrics": {"dev": {"accuracy": acc}, "test": {"accuracy": acc}},
        "dev_history": dev_history or [{"epoch": 0, "accuracy": acc}], "degenerate": degenerate,
        "statistics": {"file": "statistics.json", "aggregate": "accuracy"}, "layer_weights": {},
        "wall_seconds": 1.0,
    }
    (folder / "result.json").write_text(json.dumps(record))
    return folder


@pytest.fixture
def two_encoders(tmp_path):
    """Encoder 'strong' beats 'weak' on both tasks; one shared baseline; 'weak' also has a third task
    that 'strong' lacks, and one of its seeds sits at the floor."""
    root = tmp_path / "results"
    n = 40
    for seed in range(3):
        for task in ("alpha", "beta"):
            _write_run(root, "baseline-vvvv", task, "baseline", seed, [1] * 20 + [0] * 20)
            _write_run(root, "strong", task, "elmo", seed, [1] * (30 + seed) + [0] * (n - 30 - seed))
        floor = [{"epoch": 0, "accuracy": 0.0}] if seed == 0 else None
        _write_run(root, "weak", "alpha", "elmo", seed, [1] * 22 + [0] * 18, dev_history=floor)
        _write_run(root, "weak", "beta", "elmo", seed, [1] * 24 + [0] * 16)
        _write_run(root, "weak", "gamma", "elmo", seed, [1] * 39 + [0])
        _write_run(root, "baseline-vvvv", "gamma", "baseline", seed, [1] * 10 + [0] * 30,
                   degenerate="one constant prediction for every evaluation instance")
    return root


def test_leaderboard_ranks_on_common_tasks_with_one_shared_baseline(two_encoders):
    build_report(two_encoders, samples=200)
    board = pd.read_csv(two_encoders / "leaderboard.csv")
    assert list(board["encoder"][:2]) == ["strong", "weak"]  # ranked by the common-task average
    assert board["kind"].iloc[-1] == "baseline" and (board["kind"] == "baseline").sum() == 1
    # 'strong' lacks gamma, so the average is over alpha and beta for every row
    assert set(board["average_tasks"]) == {"alpha beta"}
    strong = board.iloc[0]
    assert strong["average"] == pytest.approx(77.5)  # seeds at 75, 77.5 and 80 on both tasks
    assert strong["gain_over_baseline"] == pytest.approx(strong["average"] - 50.0)
    assert strong["alpha_seeds"] == 3 and strong["alpha_ci_low"] < strong["alpha_mean"] < strong["alpha_ci_high"]
    page = (two_encoders / "leaderboard.md").read_text()
    assert "Ranked by the average over the tasks every row has: alpha, beta." in page


def test_per_encoder_folders_flags_and_encoder_columns(two_encoders):
    build_report(two_encoders, samples=200)
    for encoder in ("strong", "weak"):
        table = pd.read_csv(two_encoders / encoder / "table1.csv")
        assert set(table["encoder"]) == {encoder}
    weak = (two_encoders / "weak" / "table1.md").read_text()
    assert "† alpha elmo_mix_l0.001 @input seed 0: dev metric at its floor" in weak
    assert "† gamma baseline @input seed" in weak and "constant prediction" in weak
    strong = (two_encoders / "strong" / "table1.md").read_text()
    assert "| alpha |" in strong and "| gamma |" not in strong
    summary = json.loads((two_encoders / "summary.json").read_text())
    rows = {r["task"]: r for r in summary["table1"]["strong"]}
    assert rows["alpha"]["p_value"] < 0.05 and rows["alpha"]["elmo_beats_baseline"]


def test_one_seed_says_no_spread(tmp_path):
    root = tmp_path / "results"
    _write_run(root, "baseline-vvvv", "alpha", "baseline", 0, [1] * 20 + [0] * 20)
    _write_run(root, "enc", "alpha", "elmo", 0, [1] * 35 + [0] * 5)
    build_report(root, samples=200)
    table = (root / "enc" / "table1.md").read_text()
    assert "1 seed: no spread" in table and "(1 seed)" in table and "± 0.00" not in table


def test_report_reads_no_pickle_and_follows_no_symlink(two_encoders, tmp_path, monkeypatch):
    """A results folder handed over may hold a pickle and links out of it: neither is touched."""
    outside = tmp_path / "outside" / "runs" / "evil" / "alpha" / "x"
    outside.mkdir(parents=True)
    (outside / "result.json").write_text("{not json")
    (two_encoders / "runs" / "linked").symlink_to(tmp_path / "outside" / "runs" / "evil")
    run = next((two_encoders / "runs" / "strong" / "alpha").iterdir())
    (run / "test_predictions.pkl").write_bytes(pickle.dumps({"a": 1}))
    (run / "statistics.json").rename(run / "real.json")
    (run / "statistics.json").symlink_to(run / "real.json")  # a linked statistics file is not read either

    def refuse(*args, **kwargs):
        raise AssertionError("the report must not unpickle anything")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    build_report(two_encoders, samples=50)
    board = pd.read_csv(two_encoders / "leaderboard.csv")
    assert "evil" not in set(board["encoder"])
    rows = {r["task"]: r for r in json.loads((two_encoders / "summary.json").read_text())["table1"]["strong"]}
    assert rows["alpha"]["p_value"] is None  # one side's statistics are a link: no test, not a wrong one
    assert rows["beta"]["p_value"] is not None


def test_report_needs_no_task_specs(two_encoders, monkeypatch):
    """Tables come from the snapshots in the result files: loading a spec would fail here."""
    import elmo_eval.specs as specs

    def no_specs(*args, **kwargs):
        raise AssertionError("the report must not load task specs")

    monkeypatch.setattr(specs, "load_spec", no_specs)
    monkeypatch.setenv("ELMO_EVAL_TASKS", "/nonexistent")
    build_report(two_encoders, samples=50)
    assert "| alpha | Accuracy | world 1.9 | 90.00 | 92.00 |" in (two_encoders / "strong" / "table1.md").read_text()


def test_world_and_real_scores_are_never_averaged_together(tmp_path):
    root = tmp_path / "results"
    for kind, task in (("world", "alpha"), ("real", "beta")):
        _write_run(root, "baseline-vvvv", task, "baseline", 0, [1] * 20 + [0] * 20, kind=kind)
        _write_run(root, "enc", task, "elmo", 0, [1] * 30 + [0] * 10, kind=kind)
    build_report(root, samples=50)
    assert not (root / "leaderboard.csv").exists()
    world = pd.read_csv(root / "leaderboard-world.csv")
    real = pd.read_csv(root / "leaderboard-real.csv")
    assert set(world["average_tasks"]) == {"alpha"} and set(real["average_tasks"]) == {"beta"}
    assert "leaderboard-real.csv" in (root / "README.md").read_text()


def test_one_baseline_row_per_word_vectors_across_profiles(tmp_path):
    """Tasks trained with different hyperparameter profiles (NER at one, sentence-level SST at another)
    share one baseline row, so the common-task average covers both."""
    root = tmp_path / "results"
    for seed in range(2):
        for task, profile in (("alpha", "tiny"), ("beta", "cpu")):
            for owner, rep, correct in (("baseline-vvvv", "baseline", 20), ("enc", "elmo", 30)):
                folder = _write_run(root, owner, task, rep, seed, [1] * correct + [0] * (40 - correct))
                record = json.loads((folder / "result.json").read_text())
                record["hp_profile"] = profile
                if rep == "baseline" and task == "beta":
                    record["encoder_description"] = {"kind": "word-only baseline", "word_vectors": "my vectors"}
                (folder / "result.json").write_text(json.dumps(record))
    build_report(root, samples=50)
    board = pd.read_csv(root / "leaderboard.csv")
    assert (board["kind"] == "baseline").sum() == 1
    assert set(board["average_tasks"]) == {"alpha beta"}
    base = board[board["kind"] == "baseline"].iloc[0]
    assert base["alpha_mean"] == 50.0 and base["beta_mean"] == 50.0 and "my vectors" in base["encoder"]
    assert board[board["encoder"] == "enc"].iloc[0]["gain_over_baseline"] == 25.0


def test_unreadable_result_files_are_named_and_left_out_never_silently(two_encoders, capsys):
    """A result.json cut off (a failed copy, a full disk), not an object, or lacking a key: the report
    still builds from the others, and says on stderr, on its page and in summary.json which it left out."""
    from elmo_eval.cli import main

    weak_gamma = sorted((two_encoders / "runs" / "weak" / "gamma").iterdir())
    cut = weak_gamma[0] / "result.json"
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 3])
    (weak_gamma[1] / "result.json").write_text("[]")
    record = json.loads((weak_gamma[2] / "result.json").read_text())
    del record["metrics"]
    (weak_gamma[2] / "result.json").write_text(json.dumps(record))
    assert main(["report", str(two_encoders), "--significance-samples", "20"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(line.startswith("warning: ") and "left out of the report" in line for line in err)
    assert f"warning: {cut}: incomplete or corrupt result file (not JSON: " in err[0]
    assert "not a result file (a JSON list, not an object)" in err[1]
    assert "incomplete or corrupt result file ('metrics' is missing)" in err[2]
    page = (two_encoders / "README.md").read_text()
    assert "**3 result files could not be read and are left out of every table below**" in page
    assert f"`{cut.relative_to(two_encoders)}`" in page
    summary = json.loads((two_encoders / "summary.json").read_text())
    assert [s["file"] for s in summary["skipped_files"]] == [str(p.relative_to(two_encoders)) for p in
                                                             (cut, weak_gamma[1] / "result.json",
                                                              weak_gamma[2] / "result.json")]
    assert summary["runs"] == 24 - 3


def test_a_folder_of_unreadable_result_files_is_one_error_line(tmp_path, capsys):
    from elmo_eval.cli import main

    folder = _write_run(tmp_path / "results", "enc", "alpha", "elmo", 0, [1, 0])
    (folder / "result.json").write_bytes(b"\xff\xfe{")
    assert main(["report", str(tmp_path / "results")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"warning: {folder / 'result.json'}: incomplete or corrupt result file (not UTF-8")
    assert err[1] == f"elmo-eval report: error: no result files under {tmp_path / 'results' / 'runs'} " \
                     "(1 unreadable, named above)"


def test_upgrading_a_cut_off_result_file_is_one_error_line(tmp_path, capsys):
    from elmo_eval.cli import main

    folder = _write_run(tmp_path / "results", "enc", "alpha", "elmo", 0, [1, 0])
    (folder / "result.json").write_text('{"task": "alpha", "met')
    assert main(["upgrade-results", str(tmp_path / "results")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{folder / 'result.json'}: incomplete or corrupt result file" in err, err


def test_a_goal_column_says_met_or_by_how_much_the_gain_falls_short(two_encoders, capsys):
    """`report --goal table1=20` adds a column to Table 1; it stays on later rebuilds (goals.json)
    until --clear-goals; the CSV and summary carry the shortfall."""
    from elmo_eval.cli import main

    assert main(["report", str(two_encoders), "--significance-samples", "200", "--goal", "table1=20"]) == 0
    assert json.loads((two_encoders / "goals.json").read_text()) == {"table1": 20.0}
    for rebuild in (["--goal", "table1=20"], []):  # a rebuild without --goal keeps the folder's goal
        assert main(["report", str(two_encoders), "--significance-samples", "200", *rebuild]) == 0
        strong = (two_encoders / "strong" / "table1.md").read_text()
        weak = (two_encoders / "weak" / "table1.md").read_text()
        assert "| Goal: +20.00, p < 0.05 |" in strong.splitlines()[2]
        assert strong.count("| met |") == 2  # +27.50 on alpha and on beta, p < 0.05
        assert "| short by 15.00 |" in weak and "| short by 10.00 |" in weak  # +5 on alpha, +10 on beta
        assert "Goal: a gain of at least +20.00" in weak
    rows = {r["task"]: r for r in pd.read_csv(two_encoders / "weak" / "table1.csv").to_dict("records")}
    assert rows["alpha"]["goal_shortfall"] == pytest.approx(15.0) and not rows["alpha"]["goal_met"]
    assert rows["gamma"]["goal_met"]  # +72.5 over the floored baseline
    assert json.loads((two_encoders / "summary.json").read_text())["goals"] == {"table1": 20.0}
    # the character-aware comparison is not in these runs: its goal is kept, no table appears
    assert main(["report", str(two_encoders), "--goal", "table1_char=1.5", "--significance-samples", "50"]) == 0
    assert json.loads((two_encoders / "goals.json").read_text()) == {"table1": 20.0, "table1_char": 1.5}
    assert main(["report", str(two_encoders), "--clear-goals", "--significance-samples", "50"]) == 0
    assert not (two_encoders / "goals.json").exists()
    assert "Goal" not in (two_encoders / "strong" / "table1.md").read_text()


@pytest.mark.parametrize("goal, expected", [
    ("nosuch=1.5", "COMPARISON=GAIN with COMPARISON one of table1, table1_char"),
    ("table1", "COMPARISON=GAIN"),
    ("table2=1", "COMPARISON one of table1"),  # not a gain comparison
    ("table1=abc", "the gain must be a number"),
    ("table1=nan", "the gain must be a number"),
])
def test_a_bad_goal_is_one_usage_line_and_writes_nothing(two_encoders, capsys, goal, expected):
    from elmo_eval.cli import main

    assert main(["report", str(two_encoders), "--goal", goal]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("elmo-eval report: error: ") and expected in err, err
    assert not (two_encoders / "goals.json").exists() and not (two_encoders / "README.md").exists()


def test_a_goal_for_a_folder_without_results_writes_nothing(tmp_path, capsys):
    from elmo_eval.cli import main

    (tmp_path / "runs").mkdir()
    assert main(["report", str(tmp_path), "--goal", "table1_char=1.5"]) == 2
    assert "no result files" in capsys.readouterr().err and not (tmp_path / "goals.json").exists()


@pytest.mark.parametrize("content", ['{"table1": "1.5"}', '{"table9": 1}', "[1.5]", '{"table1": 1.5',
                                     '{"table1": true}'])
def test_a_malformed_goals_file_names_itself(two_encoders, capsys, content):
    from elmo_eval.cli import main

    (two_encoders / "goals.json").write_text(content)
    assert main(["report", str(two_encoders)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{two_encoders / 'goals.json'}:" in err, err
    assert (two_encoders / "goals.json").read_text() == content


def test_goal_verdict():
    from elmo_eval.runner.goals import goal_verdict

    assert goal_verdict(1.34, 0.0004, 1.5) == (False, pytest.approx(0.16), "short by 0.16")
    assert goal_verdict(-0.61, 0.24, 1.5) == (False, pytest.approx(2.11), "short by 2.11")
    assert goal_verdict(1.6, 0.2, 1.5) == (False, 0.0, "gain reached, not significant (p 0.200)")
    assert goal_verdict(1.6, None, 1.5) == (False, 0.0, "gain reached, not significant (no p)")
    assert goal_verdict(1.5, 0.01, 1.5) == (True, 0.0, "met")


def test_figure2_uses_the_papers_lambda_and_names_any_other():
    """λ=0.001 where a task has it (the other mixes left out); else the task's most-run mix, λ in the label."""
    from elmo_eval.runner.figures import figure2_means

    rows = []
    for task, rep, seeds, w in [("srl", "elmo_mix_l0.001", 2, 0.2), ("srl", "elmo_mix_l1", 3, 0.9),
                                ("ner", "elmo_mix_l0.1", 2, 0.5), ("ner", "elmo_mix_l1", 1, 0.7)]:
        for seed in range(seeds):
            for layer in range(3):
                rows.append({"task": task, "representation": rep, "location": "input", "layer": layer,
                             "weight": w + 0.01 * seed, "seed": seed})
    means = figure2_means(pd.DataFrame(rows))
    assert sorted(set(means.task)) == ["ner (λ=0.1)", "srl"]
    assert means[means.task == "srl"].weight.tolist() == pytest.approx([0.205] * 3)
    assert means[means.task == "ner (λ=0.1)"].weight.tolist() == pytest.approx([0.505] * 3)


def test_figure1_names_degenerate_points(tmp_path):
    """A curve point with a degenerate run is named under Figure 1 (and marked in its CSV), kept in the mean."""
    root = tmp_path / "results"
    for seed in range(2):
        for fraction in (0.01, 1.0):
            for rep in ("baseline", "elmo"):
                stuck = rep == "baseline" and fraction == 0.01 and seed == 1
                folder = _write_run(root, "baseline-vvvv" if rep == "baseline" else "enc", "alpha", rep, seed,
                                    [1] * (20 if stuck else 25 + seed) + [0] * (20 if stuck else 15 - seed),
                                    degenerate="one constant prediction for every evaluation instance" if stuck
                                    else None, kind=f"f{fraction}")
                record = json.loads((folder / "result.json").read_text())
                record.update(fraction=fraction, tables=["table1", "figure1"])
                record["spec"]["setup"] = {**SETUP, "tables": ["table1", "figure1"]}
                (folder / "result.json").write_text(json.dumps(record))
    build_report(root, samples=200)
    page = (root / "enc" / "README.md").read_text()
    figure = page[page.index("## Figure 1"):]
    assert ("† alpha baseline @input f=0.01 seed 1: one constant prediction for every evaluation instance "
            "(kept in the mean)") in figure
    assert figure.count("†") == 1
    curve = pd.read_csv(root / "enc" / "figure1.csv", keep_default_na=False)
    assert list(curve[curve.degenerate != ""][["system", "fraction", "seed"]].itertuples(index=False)) == [
        ("Baseline", 0.01, 1)]
    assert len(curve) == 8

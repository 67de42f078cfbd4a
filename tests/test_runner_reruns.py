"""Degenerate runs: detected, flagged in result files, and trained again with the next seed when the
spec asks (setup.rerun_degenerate)."""
from __future__ import annotations

import json

import pytest
from test_runner_end_to_end import TINY_BILM

from elmo_eval.encoders.bilm import ElmoBiLM
from elmo_eval.runner import execute as execute_module
from elmo_eval.runner.execute import constant_prediction, degenerate_reason


@pytest.mark.parametrize("predictions, constant", [
    (["a", "a", "a"], True), (["a", "b"], False), ([["O", "O"], ["O"]], True), ([["O", "B-PER"], ["O"]], False),
    ([[], []], True), ([[[(0, 1), (3, 4)]], []], False), (["x"], False),
])
def test_constant_prediction(predictions, constant):
    assert constant_prediction(predictions) is constant


def test_degenerate_reason_from_predictions_or_dev_floor():
    ok = {"predictions": {"test": ([1, 2], ["a", "b"])}, "dev_history": [{"f1": 0.0}, {"f1": 3.0}]}
    assert degenerate_reason(ok, "f1") is None
    assert "constant" in degenerate_reason({**ok, "predictions": {"test": ([1, 2], ["a", "a"])}}, "f1")
    assert "floor" in degenerate_reason({**ok, "dev_history": [{"f1": 0.0}, {"f1": 0.0}]}, "f1")


def test_a_degenerate_run_is_retrained_with_the_next_seed(tmp_path, monkeypatch):
    from elmo_eval.runner.api import reproduce
    from elmo_eval.specs import load_spec

    seeds_trained = []

    def fake_train(task, splits, rep, hp, out_dir, *, seed, **kwargs):
        seeds_trained.append(seed)
        instances = task.eval_instances(splits["test"])
        first_gold = instances[0].label
        preds = [first_gold] * len(instances) if seed < 1000 else [i.label for i in instances]
        acc = 100.0 * sum(p == i.label for p, i in zip(preds, instances)) / len(instances)
        return {"metrics": {"dev": {"accuracy": acc}, "test": {"accuracy": acc}},
                "predictions": {"test": (instances, preds)}, "layer_weights": {},
                "dev_history": [{"epoch": 0, "accuracy": acc}], "epochs": 1, "best_epoch": 0, "sizes": {},
                "vocab_size": 1, "parameters": 1, "seconds": {"fit": 0.0, "total": 0.0}}

    monkeypatch.setattr(execute_module, "train_and_evaluate", fake_train)
    spec_text = load_spec("topic").path.read_text()
    spec_text = spec_text.replace('tables = ["table1"', 'rerun_degenerate = 1\ntables = ["table1"')
    spec_file = tmp_path / "topic.toml"
    spec_file.write_text(spec_text)
    out = tmp_path / "results"
    reproduce("default", tasks=[str(spec_file)], tables=["table1"], world_size="tiny", out_dir=out,
              cache_dir=tmp_path / "cache", progress=False, significance_samples=20,
              encoder=ElmoBiLM.from_options(TINY_BILM, seed=0), encoder_name="tiny", use_world=True)
    assert sorted(seeds_trained) == [0, 0, 1000, 1000]  # both runs degenerated at seed 0 and were retrained
    for path in out.glob("runs/*/topic/*/result.json"):
        record = json.loads(path.read_text())
        assert record["seed"] == 0 and record["trained_seed"] == 1000 and record["reruns"] == 1
        assert record["degenerate"] is None
    assert "2 run(s) degenerated and were trained again with the next seed" in (out / "tiny" / "table1.md").read_text()

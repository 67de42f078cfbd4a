"""The SRL task glue: instances per predicate, features, grouping back into sentences, the props files."""
from __future__ import annotations

import torch

from elmo_eval.metrics.srl_eval import score_props_files
from elmo_eval.specs import load_spec
from elmo_eval.tasks.srl import SrlTask

SAMPLE = """\
The   -     (A0*    *
cat   -     *)      (A0*)
sat   sit   (V*)    *
and   -     *       *
purred purr *       (V*)

Hi    -
"""


def _task_and_instances(tmp_path):
    path = tmp_path / "sample.txt"
    path.write_text(SAMPLE)
    task = SrlTask(format="conll2005")
    sentences = task.read(path)
    instances = task.eval_instances(sentences)
    return task, instances


def test_one_instance_per_predicate_with_indicator(tmp_path):
    task, instances = _task_and_instances(tmp_path)
    assert [(i.sentence, i.predicate, i.verb) for i in instances] == [(0, 2, "sit"), (0, 4, "purr")]
    assert instances[1].tags == ["O", "B-A0", "O", "O", "B-V"]
    assert task.features(instances)["predicate_indicator"].tolist() == [[0, 0, 1, 0, 0], [0, 0, 0, 0, 1]]
    task.fit_labels(instances)
    assert task.labels == ["O", "B-A0", "I-A0", "B-V"]
    assert task.targets(instances)["tags"].tolist() == [[1, 2, 3, 0, 0], [0, 1, 0, 0, 3]]


def test_gold_predictions_score_100_and_files_match(tmp_path):
    task, instances = _task_and_instances(tmp_path)
    gold = [i.tags for i in instances]
    assert task.evaluate(instances, gold)["f1"] == 100.0
    wrong = [gold[0], ["O", "O", "O", "O", "B-V"]]  # the second A0 missed
    metrics = task.evaluate(instances, wrong)
    assert (metrics["correct"], metrics["excess"], metrics["missed"]) == (1.0, 0.0, 1.0)
    task.write_predictions(tmp_path / "dev.props", instances, wrong)
    assert (tmp_path / "dev.props").read_text() == (
        "-\t(A0*\t*\n-\t*)\t*\nsit\t(V*)\t*\n-\t*\t*\npurr\t*\t(V*)\n\n")
    assert (tmp_path / "dev.gold.props").read_text().splitlines()[1] == "-\t*)\t(A0*)"
    report = score_props_files(tmp_path / "dev.gold.props", tmp_path / "dev.props")
    assert report["f1"] == metrics["f1"] and report["num_propositions"] == 2


def test_spec_builds_the_task():
    spec = load_spec("srl")
    assert isinstance(spec.build_task(), SrlTask)
    assert spec.paper["table1"]["elmo"] == 84.6 and spec.paper["table3"]["output"] == 80.9
    assert spec.setup["elmo_placement"] == "input" and spec.setup["l2_lambda"] == 0.001
    tiny = spec.hp("tiny")["head"]
    assert tiny["num_layers"] >= 2 and tiny["hidden_dim"] <= 64
    assert torch.is_tensor(SrlTask().features([])["predicate_indicator"])

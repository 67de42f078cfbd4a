"""One scoring path per task: ``evaluate`` pools ``score_statistics`` and equals the official scorer bit
for bit; the significance test's ``metric_from_statistics`` is the same aggregate."""
from __future__ import annotations

import random

import numpy as np
import pytest

from elmo_eval.metrics.classification import classification_scores
from elmo_eval.metrics.conlleval import conlleval_scores
from elmo_eval.metrics.coref import coref_scores
from elmo_eval.metrics.pooled import aggregate, pool
from elmo_eval.metrics.squad import squad_scores
from elmo_eval.readers.conll2003 import convert_tags
from elmo_eval.specs import available_specs, load_spec


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from elmo_eval.world import generate_world

    out = tmp_path_factory.mktemp("world") / "tiny"
    generate_world(out, seed=0, size="tiny")
    return out


def _tags(tags: list[str], kinds: list[str], rng: random.Random) -> list[str]:
    """Gold BIO tags with about a fifth of the positions changed (invalid sequences included)."""
    return [rng.choice(["O", *(f"{p}-{k}" for k in kinds for p in "BI")]) if rng.random() < 0.2 else t for t in tags]


def _predictions(name: str, task, instances, rng: random.Random) -> list:
    if name == "ner":
        kinds = ["PER", "LOC", "ORG", "MISC"]
        return [_tags(convert_tags(i.tags, "IOB1", "BIO"), kinds, rng) for i in instances]
    if name == "srl":
        kinds = sorted({t[2:] for i in instances for t in i.tags if t != "O"})
        return [_tags(i.tags, kinds, rng) for i in instances]
    if name == "coref":
        out = []
        for doc in instances:
            clusters = [list(c) for c in doc.clusters if rng.random() < 0.7]
            if len(clusters) > 1 and rng.random() < 0.5:
                clusters = [clusters[0] + clusters[1], *clusters[2:]]
            out.append(clusters)
        return out
    if name == "squad":
        return [rng.choice([q.answers[0], q.answers[0].split()[0], "the " + q.answers[0], "nothing"])
                for q in instances]
    return [rng.choice(list(task.labels)) for _ in instances]


def _official(name: str, task, instances, predictions) -> dict:
    """The official scorers' numbers (the modules the scorer tests check), overall keys."""
    if name == "ner":
        scores = conlleval_scores([convert_tags(i.tags, "IOB1", "BIO") for i in instances],
                                  [convert_tags(p, task.scheme, "BIO") for p in predictions])
        return {**{k: scores[k] for k in ("precision", "recall", "f1")},
                **{f"f1_{kind}": s["f1"] for kind, s in scores["per_type"].items()}}
    if name == "srl":
        report = task.scores(instances, predictions)
        flat = {k: float(report[k]) for k in ("precision", "recall", "f1", "correct", "excess", "missed",
                                               "num_propositions", "perfect_props")}
        return {**flat, "f1_V": report["verb"]["f1"],
                **{f"f1_{label}": row["f1"] for label, row in report["per_label"].items()}}
    if name == "coref":
        return coref_scores([d.clusters for d in instances], list(predictions))
    if name == "squad":
        scores = squad_scores({q.id: list(q.answers) for q in instances},
                              {q.id: p for q, p in zip(instances, predictions)})
        return {k: scores[k] for k in ("exact_match", "f1")}
    gold = [task.gold(i) for i in instances]
    if name == "topic":
        return classification_scores(gold, predictions, labels=sorted(task.labels))
    return {"accuracy": classification_scores(gold, predictions)["accuracy"]}


@pytest.mark.parametrize("name", available_specs())
def test_evaluate_is_the_official_scorer_through_statistics(name, world):
    spec = load_spec(name)
    task = spec.build_task()
    instances = task.eval_instances(task.read(spec.split_paths(world, world=True)["dev"]))
    rng = random.Random(0)
    predictions = _predictions(name, task, instances, rng)
    metrics = task.evaluate(instances, predictions)
    assert metrics == _official(name, task, instances, predictions)  # exact, not approximate
    stats = task.score_statistics(instances, predictions)
    assert stats.shape[0] == len(instances)
    assert float(task.metric_from_statistics(pool(stats))) == metrics[spec.metric]
    # vectorised over totals, as the significance test calls it
    both = np.stack([pool(stats), pool(stats[: len(stats) // 2])])
    assert task.metric_from_statistics(both).shape == (2,)
    # the report recomputes it by the aggregate's name alone, without the task's code
    assert np.array_equal(aggregate(task.statistics_aggregate, both), task.metric_from_statistics(both))
    # a perfect prediction scores 100 where the scorer says so
    if name in ("snli", "sst", "topic"):
        assert task.evaluate(instances, [task.gold(i) for i in instances])["accuracy"] == 100.0


def test_statistics_do_not_depend_on_fitted_labels(world):
    """The report scores saved predictions with a fresh task (no fit_labels): same statistics."""
    spec = load_spec("srl")
    fitted, fresh = spec.build_task(), spec.build_task()
    instances = fitted.eval_instances(fitted.read(spec.split_paths(world, world=True)["dev"]))
    fitted.fit_labels(instances[:3])
    predictions = _predictions("srl", fitted, instances, random.Random(1))
    stats = fitted.score_statistics(instances, predictions)
    assert np.array_equal(stats, fresh.score_statistics(instances, predictions))

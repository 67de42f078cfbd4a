"""The coreference task glue: features, targets, the CoNLL-2012 predictions file, the spec and the world."""
from __future__ import annotations

import pytest
import torch

from elmo_eval.readers.conll2012 import read_conll2012
from elmo_eval.specs import load_spec
from elmo_eval.tasks.coref import CorefTask, coref_column, gold_path, write_conll

SAMPLE = """\
#begin document (bc/toy/00/toy_0000); part 001
bc/toy/00/toy_0000\t1\t0\tThe\tDT\t(TOP(S(NP*\t-\t-\t-\tAnn\t(ORG*\t(ARG0*\t(0
bc/toy/00/toy_0000\t1\t1\tfirm\tNN\t*)\t-\t-\t-\tAnn\t*)\t*)\t0)
bc/toy/00/toy_0000\t1\t2\tgrew\tVBD\t(VP*)\tgrow\t01\t-\tAnn\t*\t(V*)\t-
bc/toy/00/toy_0000\t1\t3\t.\t.\t*))\t-\t-\t-\tAnn\t*\t*\t-

bc/toy/00/toy_0000\t1\t0\tIt\tPRP\t(TOP(S(NP*)\t-\t-\t-\tBob\t*\t(0)
bc/toy/00/toy_0000\t1\t1\tsaid\tVBD\t(VP*\t-\t-\t-\tBob\t*\t-
bc/toy/00/toy_0000\t1\t2\tits\tPRP$\t(NP*\t-\t-\t-\tBob\t*\t(1|(0)
bc/toy/00/toy_0000\t1\t3\tboss\tNN\t*))\t-\t-\t-\tBob\t*\t1)
bc/toy/00/toy_0000\t1\t4\tleft\tVBD\t*)\t-\t-\t-\tBob\t*\t-

#end document
"""


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "sample.gold_conll"
    path.write_text(SAMPLE, encoding="utf-8")
    return read_conll2012(path)


def test_features_and_targets(sample):
    task = CorefTask()
    features = task.features(sample)
    assert features["speaker_ids"].tolist() == [[1, 1, 1, 1, 2, 2, 2, 2, 2]]
    assert features["genre_ids"].tolist() == [1]  # bc
    targets = task.targets(sample)
    mentions = sorted(zip(targets["gold_starts"][0].tolist(), targets["gold_ends"][0].tolist(),
                          targets["gold_clusters"][0].tolist()))
    assert mentions == [(0, 1, 0), (4, 4, 0), (6, 6, 0), (6, 7, 1)]
    assert task.texts(sample[0]) == {"document": [["The", "firm", "grew", "."], ["It", "said", "its", "boss", "left"]]}


def test_targets_pad_documents_without_clusters(sample, tmp_path):
    # the same part with an empty coreference column
    lines = [line.rsplit("\t", 1)[0] + "\t-" if "\t" in line else line for line in SAMPLE.splitlines()]
    path = tmp_path / "empty.gold_conll"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    empty = read_conll2012(path)
    assert empty[0].clusters == []
    targets = CorefTask().targets(sample + empty)
    assert targets["gold_clusters"].shape == (2, 4) and (targets["gold_clusters"][1] == -1).all()


def test_coref_column_nested_and_joined():
    clusters = [[(0, 3), (1, 1)], [(1, 2), (5, 5)], [(4, 6), (4, 4)]]
    assert coref_column(7, clusters) == ["(0", "(1|(0)", "1)", "0)", "(2|(2)", "(1)", "2)"]


def test_predictions_file_round_trips_through_the_reader(tmp_path, sample):
    task = CorefTask()
    predicted = [[[(0, 1), (4, 4), (6, 6)], [(2, 3), (6, 7)]]]  # (2, 3) overlaps nothing gold: an extra mention
    path = tmp_path / "dev.conll"
    task.write_predictions(path, sample, predicted)
    text = path.read_text()
    assert text.startswith("#begin document (bc/toy/00/toy_0000); part 001\n")
    assert text.rstrip().endswith("#end document")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    assert all(len(r) == len(rows[0]) or len(r) == 12 for r in rows)
    assert rows[0][:4] == ["bc/toy/00/toy_0000", "1", "0", "The"] and rows[0][10] == "(ORG*"
    assert rows[2][11] == "(V*)"  # argument columns copied through
    back = read_conll2012(path)[0]
    assert back.doc_id == "bc/toy/00/toy_0000" and back.part == 1
    assert back.clusters == predicted[0] and back.words == sample[0].words
    gold = read_conll2012(gold_path(path))[0]
    assert gold.clusters == sample[0].clusters
    assert task.evaluate(sample, [gold.clusters])["conll_f1"] == pytest.approx(100.0)


def test_official_sample_round_trips(tmp_path, formats_dir):
    docs = read_conll2012(formats_dir / "coref" / "coref.gold_conll")
    assert docs and any(d.clusters for d in docs)
    path = tmp_path / "gold.conll"
    write_conll(path, docs, [d.clusters for d in docs])
    back = read_conll2012(path)
    assert [(d.doc_id, d.part, d.clusters, d.words) for d in back] == \
        [(d.doc_id, d.part, d.clusters, d.words) for d in docs]
    task = CorefTask()
    scores = task.evaluate(docs, [d.clusters for d in docs])
    assert scores["conll_f1"] == pytest.approx(100.0)
    # speakers and genres of real OntoNotes parts
    features = task.features(docs[:1])
    assert int(features["genre_ids"][0]) == 1 and int(features["speaker_ids"].max()) >= 1


def test_spec_profiles_and_paper_numbers():
    spec = load_spec("coref")
    assert spec.metric == "conll_f1" and spec.build_task().main_metric == "conll_f1"
    assert spec.paper["table1"]["baseline"] == 67.2 and spec.paper["table1"]["elmo"] == 70.4
    paper, tiny = spec.hyperparameters("paper"), spec.hyperparameters("tiny")
    assert paper.head["top_span_ratio"] == 0.4 and paper.head["max_span_width"] == 10
    assert paper.trainer.batch_size == 1 and paper.trainer.plateau_patience == 2
    assert tiny.trainer.plateau_patience is None and tiny.head["max_span_width"] == 4
    head = spec.build_task().build_head(40, 0, **tiny.head)
    assert sum(p.numel() for p in head.parameters()) > 0
    assert spec.setup["elmo_placement"] == "input"


def test_generated_world_reads_back(tmp_path_factory):
    generate = pytest.importorskip("elmo_eval.world.generate")
    root = tmp_path_factory.mktemp("world")
    generate.generate_world(root, seed=0, size="small")
    spec = load_spec("coref")
    task = spec.build_task()
    splits = {name: task.read(path) for name, path in spec.split_paths(root, world=True).items()}
    assert set(splits) == {"train", "dev", "test"}
    for docs in splits.values():
        assert docs and sum(len(d.clusters) for d in docs) > 0
        for doc in docs:
            for cluster in doc.clusters:
                assert all(0 <= s <= e < len(doc.words) for s, e in cluster)
    assert torch.equal(task.features(splits["train"][:1])["genre_ids"], torch.tensor([4]))  # nw


def test_coref_score_command_scores_written_files(tmp_path, sample, capsys):
    import argparse

    from elmo_eval.metrics import coref as metric
    from elmo_eval.tools_cli import register

    predicted = [[[(0, 1), (4, 4)], [(2, 3), (6, 7)]]]
    CorefTask().write_predictions(tmp_path / "dev.conll", sample, predicted)
    expected = metric.coref_scores([sample[0].clusters], predicted, blanc=True)
    assert metric.score_files(str(tmp_path / "dev.gold.conll"), str(tmp_path / "dev.conll")) == expected
    assert {k: expected[k] for k in metric.coref_scores([sample[0].clusters], predicted)} == task_scores(
        sample, predicted)  # the task reports the same numbers, BLANC aside
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["coref-score", str(tmp_path / "dev.gold.conll"), str(tmp_path / "dev.conll")])
    assert args.func(args) == 0
    table = capsys.readouterr().out
    muc = metric.corpus_counts([sample[0].clusters], predicted)["muc"]
    assert "CoNLL" in table and "blanc" in table and f"{metric.perl_percentage(muc.f1):.2f}" in table


def task_scores(documents, predicted):
    return CorefTask().evaluate(documents, predicted)

"""The coreference head: span enumeration, features, loss, decoding, and learning a toy world."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch

from elmo_eval.heads.coref import CorefHead, clusters_from_antecedents, distance_buckets
from elmo_eval.metrics.coref import coref_scores
from elmo_eval.modules.span_extractor import SpanRepresentation, enumerate_spans
from elmo_eval.readers.conll2012 import read_conll2012
from elmo_eval.representations.config import standard_representation
from elmo_eval.tasks.coref import CorefTask, coref_column
from elmo_eval.training.fields import Collator
from elmo_eval.training.fit import build_vocabulary, train_and_evaluate
from elmo_eval.training.layers import LiveLayers

MALE, FEMALE = ["John", "Bill", "Tom", "Jack"], ["Mary", "Anna", "Kate", "Sue"]
VERBS = ["ran", "sat", "smiled", "left", "slept"]


def toy_documents(n: int, seed: int, tmp_path, name: str):
    """Parts where ``he``/``she`` refer to the nearest preceding male/female name, names repeat.

    Written as a CoNLL-2012 file and read back with the project's reader.
    """
    rng = random.Random(seed)
    lines = []
    for d in range(n):
        people = [rng.choice(MALE), rng.choice(FEMALE)]
        sentences, mentions = [], {}  # mentions: entity name -> spans
        last = {}
        offset = 0
        for _ in range(rng.randint(4, 7)):
            person = rng.choice(people)
            male = person in MALE
            if person in last and rng.random() < 0.6:
                word = "he" if male else "she"
            else:
                word = person
            last[person] = True
            sentences.append([word, rng.choice(VERBS), "."])
            mentions.setdefault(person, []).append((offset, offset))
            offset += 3
        clusters = [spans for spans in mentions.values() if len(spans) > 1]
        coref = coref_column(offset, clusters)
        doc_id = f"nw/toy/{d:04d}"
        lines.append(f"#begin document ({doc_id}); part 000")
        k = 0
        for sentence in sentences:
            for i, word in enumerate(sentence):
                lines.append("\t".join([doc_id, "0", str(i), word, "NN", "*", "-", "-", "-", "-", "*", coref[k]]))
                k += 1
            lines.append("")
        lines.append("#end document")
    path = tmp_path / f"{name}.gold_conll"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_conll2012(path)


class HashEncoder:
    """A fake biLM: layer 1 carries a fixed random vector per word (a 'contextual' signal), 0 and 2 noise."""

    num_layers, output_dim = 3, 16

    def embed(self, sentences):
        T = max((len(s) for s in sentences), default=0)
        layers = torch.zeros(len(sentences), 3, T, 16)
        mask = torch.zeros(len(sentences), T, dtype=torch.bool)
        for b, s in enumerate(sentences):
            for t, word in enumerate(s):
                g = torch.Generator().manual_seed(sum(map(ord, word)) * 131 + len(word))
                layers[b, :, t] = torch.randn(3, 16, generator=g)
                layers[b, 1, t] *= 3.0
            mask[b, :len(s)] = True
        return layers, mask


HP = {
    "trainer": {"lr": 0.01, "batch_size": 1, "max_epochs": 5, "patience": 2, "grad_clip": 5.0},
    "embedder": {"word_dim": 16, "word_trainable": True, "char_cnn": False},
    "head": {"context_hidden": 16, "ffnn_hidden": 32, "ffnn_layers": 2, "feature_dim": 8, "max_span_width": 3,
             "max_antecedents": 10, "hidden_dropout": 0.0},
}




@pytest.fixture(scope="module")
def toy_splits(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy_coref")
    return {"train": toy_documents(50, 0, root, "train"), "dev": toy_documents(15, 1, root, "dev"),
            "test": toy_documents(15, 2, root, "test")}


def all_singletons_score(docs) -> float:
    """CoNLL F1 of the gold mentions, each its own entity (the no-link answer with perfect mentions)."""
    return coref_scores([d.clusters for d in docs], [[[m] for c in d.clusters for m in c] for d in docs])["conll_f1"]


def test_baseline_head_learns_pronouns(tmp_path, toy_splits):
    result = train_and_evaluate(CorefTask(), toy_splits, standard_representation("baseline"), HP, tmp_path, seed=0)
    test_f1 = result["metrics"]["test"]["conll_f1"]
    trivial = all_singletons_score(toy_splits["test"])
    assert test_f1 > trivial + 20, (test_f1, trivial)
    predictions = (tmp_path / "predictions" / "test.conll").read_text()
    assert predictions.count("#begin document") == 15 and (tmp_path / "predictions" / "test.gold.conll").exists()


@pytest.mark.parametrize("placement", ["input", "output"])
def test_elmo_placements_train(tmp_path, toy_splits, placement):
    # output placement keeps the word vectors at the input; the input run is ELMo-only
    rep = standard_representation("elmo_mix_l0.001", placement=placement, word=placement == "output")
    hp = {**HP, "trainer": {**HP["trainer"], "max_epochs": 3}}
    result = train_and_evaluate(CorefTask(), toy_splits, rep, hp, tmp_path, layer_source=LiveLayers(HashEncoder()))
    assert set(result["layer_weights"]) == {placement}
    assert result["metrics"]["test"]["conll_f1"] > all_singletons_score(toy_splits["test"]) + 10


def test_enumerate_spans_stay_inside_sentences():
    starts, ends = enumerate_spans(torch.tensor([0, 0, 0, 1, 1]), max_width=2)
    assert list(zip(starts.tolist(), ends.tolist())) == [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2),
                                                           (3, 3), (3, 4), (4, 4)]


def test_soft_head_attends_only_inside_the_span():
    module = SpanRepresentation(context_dim=2, input_dim=3, max_width=3, feature_dim=1)
    context = torch.randn(5, 2)
    inputs = torch.arange(15.0).reshape(5, 3)
    starts, ends = torch.tensor([1, 2]), torch.tensor([1, 4])
    emb = module(context, inputs, starts, ends)
    assert emb.shape == (2, module.output_dim)
    assert torch.allclose(emb[0, 4:7], inputs[1])  # one-token span: its own input vector
    head = emb[1, 4:7]
    assert (head >= inputs[2] - 1e-5).all() and (head <= inputs[4] + 1e-5).all()


def test_distance_buckets():
    distances = torch.tensor([0, 1, 4, 5, 7, 8, 15, 16, 63, 64, 1000])
    assert distance_buckets(distances).tolist() == [0, 1, 4, 5, 5, 6, 6, 7, 8, 9, 9]


def test_clusters_are_the_transitive_closure_of_links():
    starts, ends = [0, 2, 5, 7, 9], [0, 3, 5, 7, 9]
    # 1 -> 0, 2 -> none, 3 -> 1, 4 -> 2
    clusters = clusters_from_antecedents(starts, ends, [-1, 0, -1, 1, 2])
    assert clusters == [[(0, 0), (2, 3), (7, 7)], [(5, 5), (9, 9)]]
    assert clusters_from_antecedents(starts, ends, [-1] * 5) == []


def test_loss_is_the_marginal_likelihood_of_gold_antecedents():
    # three kept spans; span 2's gold antecedents are spans 0 and 1 (same cluster); span 1 is gold
    # with antecedent 0; span 0 has only the dummy.
    scores = torch.tensor([[0.0, -math.inf, -math.inf],
                           [0.0, 1.0, -math.inf],
                           [0.0, 2.0, 0.5]])  # columns: dummy, nearest antecedent, second nearest
    antecedents = torch.tensor([[0, 0], [0, 0], [1, 0]])
    valid = torch.tensor([[False, False], [True, False], [True, True]])
    starts = ends = torch.tensor([0, 3, 6])
    gold = (torch.tensor([0, 3, 6]), torch.tensor([0, 3, 6]), torch.tensor([0, 0, 0]))
    loss = CorefHead._loss(scores, starts, ends, antecedents, valid, gold)
    expected = (0.0  # span 0: dummy is the only option and gold
                + (math.log(1 + math.e) - 1.0)
                + (math.log(1 + math.e ** 2 + math.e ** 0.5) - math.log(math.e ** 2 + math.e ** 0.5)))
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    # no gold mention at all: every span's gold antecedent is the dummy
    none = (torch.tensor([9]), torch.tensor([9]), torch.tensor([0]))
    loss = CorefHead._loss(scores, starts, ends, antecedents, valid, none)
    assert float(loss) == pytest.approx(math.log(1 + math.e) + math.log(1 + math.e ** 2 + math.e ** 0.5), rel=1e-5)


def _batch(task, docs):
    vocab = build_vocabulary(task, docs, [], None)
    return Collator(task, vocab)([(i, d) for i, d in enumerate(docs)])


def test_training_crops_long_documents_and_eval_sees_everything(toy_splits):
    task = CorefTask()
    docs = toy_splits["train"][:2]
    batch = _batch(task, docs)
    head = CorefHead(8, 0, context_hidden=4, ffnn_hidden=8, feature_dim=2, max_span_width=2,
                     max_training_sentences=2, hidden_dropout=0.0)
    inputs = {"document": torch.randn(2, batch.fields["document"].mask.size(1), 8)}
    torch.manual_seed(0)
    head.train()
    out = head(inputs, None, batch)
    assert out["loss"].dim() == 0 and torch.isfinite(out["loss"])
    out["loss"].backward()
    for doc, document in zip(docs, out["documents"]):
        length = sum(len(s) for s in doc.sentences)
        # two 3-token sentences: at most 0.4 * 6 kept spans, all inside the document
        assert len(document["starts"]) <= 2 and int(document["ends"].max()) < length
    head.eval()
    with torch.no_grad():
        out = head(inputs, None, batch)
    for doc, document in zip(docs, out["documents"]):
        length = sum(len(s) for s in doc.sentences)
        assert len(document["starts"]) == math.floor(0.4 * length)


def test_same_seed_same_crop(toy_splits):
    task = CorefTask()
    batch = _batch(task, toy_splits["train"][:1])
    inputs = {"document": torch.randn(1, batch.fields["document"].mask.size(1), 8)}
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        head = CorefHead(8, 0, context_hidden=4, ffnn_hidden=8, feature_dim=2, max_span_width=2,
                         max_training_sentences=2)
        head.train()
        runs.append(head(inputs, None, batch))
    assert float(runs[0]["loss"].detach()) == float(runs[1]["loss"].detach())
    assert np.array_equal(runs[0]["documents"][0]["starts"], runs[1]["documents"][0]["starts"])


def test_mention_loss_is_the_cross_entropy_of_mention_scores_against_gold_mentions():
    scores = torch.tensor([2.0, -1.0, 0.5, -3.0])  # four candidate spans
    starts, ends = torch.tensor([0, 0, 1, 2]), torch.tensor([0, 1, 1, 2])
    gold = (torch.tensor([0, 2]), torch.tensor([0, 2]), torch.tensor([0, 0]))  # spans (0,0) and (2,2)
    loss = CorefHead._mention_loss(scores, starts, ends, gold, length=3, num_kept=2)
    target = torch.tensor([1.0, 0.0, 0.0, 1.0])
    expected = -(target * torch.log(torch.sigmoid(scores)) + (1 - target) * torch.log(1 - torch.sigmoid(scores)))
    assert float(loss) == pytest.approx(float(expected.mean()) * 2, rel=1e-5)


def test_the_mention_loss_reaches_the_mention_scorer_at_the_all_dummy_solution(toy_splits):
    """The all-dummy solution: pruning keeps no gold mention with a kept antecedent (here: one kept span
    per document), so every kept span's gold antecedent is the dummy, the antecedent loss is exactly 0
    and no gradient reaches the mention scorer. The mention loss still ranks gold mentions up."""
    task = CorefTask()
    batch = _batch(task, toy_splits["train"][:2])
    inputs = {"document": torch.randn(2, batch.fields["document"].mask.size(1), 8)}
    grads = {}
    for weight in (0.0, 1.0):
        torch.manual_seed(0)
        head = CorefHead(8, 0, context_hidden=4, ffnn_hidden=8, feature_dim=2, max_span_width=2,
                         hidden_dropout=0.0, top_span_ratio=0.01, mention_loss_weight=weight)
        head.train()
        out = head(inputs, None, batch)
        out["loss"].backward()
        grad = head.mention_scorer[-1].weight.grad
        grads[weight] = 0.0 if grad is None else float(grad.abs().sum())
        if weight == 0.0:
            assert float(out["loss"].detach()) == 0.0  # training loss exactly 0, as in the collapsed runs
    assert grads[0.0] == 0.0  # no gradient for the mention scorer ...
    assert grads[1.0] > 0.0   # ... unless the mention loss gives it one

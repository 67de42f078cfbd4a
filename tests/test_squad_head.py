"""BiDAF pieces (span search, trilinear similarity) and the head trained end to end on synthetic QA."""
from __future__ import annotations

import json
import random

import pytest
import torch
from stand_in_encoders import WordHashEncoder

from elmo_eval.modules.pair_similarity import TrilinearSimilarity
from elmo_eval.modules.span_search import best_spans
from elmo_eval.readers.squad import SquadQuestion, tokenize_with_offsets
from elmo_eval.representations.config import standard_representation
from elmo_eval.tasks.squad import SquadTask
from elmo_eval.training.fit import train_and_evaluate
from elmo_eval.training.layers import LiveLayers

FILLER = [f"f{i}" for i in range(15)]
KEYS = [f"k{i}" for i in range(6)]
ANSWER_WORDS = [f"a{i}" for i in range(10)]


def synthetic_questions(n: int, seed: int) -> list[SquadQuestion]:
    """Passages of filler words with three 'key answer...' pairs; 'what follows KEY ?' asks for one answer.

    The answer (1-2 tokens after the asked key) depends on the question, so the
    head has to attend from passage to question to beat chance.
    """
    rng = random.Random(seed)
    out = []
    for k in range(n):
        words = [rng.choice(FILLER) for _ in range(rng.randint(8, 14))]
        keys = rng.sample(KEYS, 3)
        for key, pos in zip(keys, sorted(rng.sample(range(len(words)), 3), reverse=True)):
            words[pos:pos] = [key] + [rng.choice(ANSWER_WORDS) for _ in range(rng.randint(1, 2))]
        passage = " ".join(words)
        tokens, spans = tokenize_with_offsets(passage)
        asked = rng.choice(keys)
        start = tokens.index(asked) + 1
        end = start + (1 if start + 1 < len(tokens) and tokens[start + 1].startswith("a") else 0)
        question = f"what follows {asked} ?"
        out.append(SquadQuestion(f"q{seed}-{k}", question, tuple(question.split()), passage, tuple(tokens),
                                 tuple(spans), (passage[spans[start][0]:spans[end][1]],), (start, end)))
    return out


SPLITS = {"train": synthetic_questions(200, 0), "dev": synthetic_questions(60, 1),
          "test": synthetic_questions(60, 2)}
HP = {
    "trainer": {"lr": 0.02, "batch_size": 32, "max_epochs": 6, "patience": 3},
    "embedder": {"word_dim": 16, "word_trainable": True},
    "head": {"hidden": 16, "head_dropout": 0.0, "max_span_length": 5},
}
# Chance: a uniformly random span of at most 5 of ~17 tokens is exactly right ~1.5% of the time.
MIN_EM = 20.0


def train(tmp_path, placement: str | None, trainer: dict | None = None, head: dict | None = None):
    """Train on the toy splits with HP, ``trainer`` / ``head`` overriding keys of those sections."""
    if placement is None:
        rep, source = standard_representation("baseline"), None
    else:  # output-only needs something at the input: the word vectors
        rep = standard_representation("elmo_mix_l0.001", placement=placement, word=placement == "output")
        source = LiveLayers(WordHashEncoder())
    sections = {**HP, "trainer": {**HP["trainer"], **(trainer or {})}, "head": {**HP["head"], **(head or {})}}
    return train_and_evaluate(SquadTask(), SPLITS, rep, sections, tmp_path, layer_source=source)


def _brute_force(start, end, mask, max_len):
    best = (float("-inf"), 0, 0)
    length = int(mask.sum())
    for i in range(length):
        for j in range(i, min(length, i + max_len)):
            if start[i] + end[j] > best[0]:
                best = (float(start[i] + end[j]), i, j)
    return best


@pytest.mark.parametrize("max_len", [1, 3, 30, None])
def test_best_spans_equal_brute_force(max_len):
    g = torch.Generator().manual_seed(0)
    start, end = torch.randn(6, 9, generator=g), torch.randn(6, 9, generator=g)
    mask = torch.arange(9).unsqueeze(0) < torch.tensor([9, 1, 4, 7, 2, 9]).unsqueeze(1)
    starts, ends, scores = best_spans(start, end, mask, max_len)
    for b in range(6):
        score, i, j = _brute_force(start[b], end[b], mask[b], max_len or 9)
        assert (int(starts[b]), int(ends[b])) == (i, j)
        assert float(scores[b]) == pytest.approx(score)


def test_trilinear_similarity_equals_explicit_concatenation():
    torch.manual_seed(0)
    sim = TrilinearSimilarity(4)
    a, b = torch.randn(2, 3, 4), torch.randn(2, 5, 4)
    w = torch.cat([sim.weight_a, sim.weight_b, sim.weight_ab])
    pairs = torch.cat([a.unsqueeze(2).expand(2, 3, 5, 4), b.unsqueeze(1).expand(2, 3, 5, 4),
                       a.unsqueeze(2) * b.unsqueeze(1)], dim=-1)
    assert torch.allclose(sim(a, b), pairs @ w + sim.bias, atol=1e-5)


def test_baseline_learns_and_writes_official_predictions(tmp_path):
    result = train(tmp_path, None)
    assert result["metrics"]["test"]["exact_match"] > MIN_EM
    assert result["metrics"]["test"]["f1"] >= result["metrics"]["test"]["exact_match"]
    predictions = json.loads((tmp_path / "predictions" / "test.json").read_text(encoding="utf-8"))
    assert list(predictions) == [q.id for q in SPLITS["test"]]
    for q in SPLITS["test"]:
        assert predictions[q.id] in q.passage                     # a substring of the passage, as decoded
    # the written file scores as train_and_evaluate reported
    task = SquadTask()
    recomputed = task.evaluate(SPLITS["test"], [predictions[q.id] for q in SPLITS["test"]])
    assert recomputed == result["metrics"]["test"]


def test_elmo_at_input_and_output_learns(tmp_path):
    result = train(tmp_path, "both")
    assert result["metrics"]["test"]["exact_match"] > MIN_EM
    assert set(result["layer_weights"]) == {"input", "output"}

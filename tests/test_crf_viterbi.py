"""Viterbi decoding against brute force, and the tagging-scheme constraints."""
import itertools

import pytest
import torch

from elmo_eval.modules.viterbi import (
    allowed_ends,
    allowed_transitions,
    constrained_scores,
    split_label,
    viterbi_decode,
)


def brute_force(emissions, transitions, length, start=None, end=None):
    """Best path of one row by enumerating every tag sequence."""
    num_tags = emissions.shape[-1]
    best, best_path = None, None
    for path in itertools.product(range(num_tags), repeat=length):
        score = sum(float(emissions[t, k]) for t, k in enumerate(path))
        score += sum(float(transitions[a, b]) for a, b in itertools.pairwise(path))
        if start is not None:
            score += float(start[path[0]])
        if end is not None:
            score += float(end[path[-1]])
        if best is None or score > best:
            best, best_path = score, list(path)
    return best_path


@pytest.mark.parametrize("with_ends", [False, True])
def test_viterbi_matches_brute_force_with_padding(with_ends):
    torch.manual_seed(0)
    batch, time, tags = 4, 5, 3
    emissions = torch.randn(batch, time, tags)
    transitions = torch.randn(tags, tags)
    start = torch.randn(tags) if with_ends else None
    end = torch.randn(tags) if with_ends else None
    lengths = [5, 3, 1, 4]
    mask = torch.arange(time).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
    decoded = viterbi_decode(emissions, transitions, mask, start, end)
    for b, n in enumerate(lengths):
        assert decoded[b] == brute_force(emissions[b, :n], transitions, n, start, end)


def test_viterbi_empty_and_shape_error():
    assert viterbi_decode(torch.zeros(2, 0, 3), torch.zeros(3, 3), torch.zeros(2, 0, dtype=torch.bool)) == [[], []]
    with pytest.raises(ValueError, match=r"\(3, 3\)"):
        viterbi_decode(torch.zeros(1, 2, 3), torch.zeros(2, 2), torch.ones(1, 2, dtype=torch.bool))


def test_bio_constraints():
    labels = ["O", "B-A0", "I-A0", "B-A1", "I-A1"]
    trans, start = allowed_transitions(labels, "BIO")
    assert start.tolist() == [True, True, False, True, False]
    assert trans[labels.index("B-A0"), labels.index("I-A0")]
    assert trans[labels.index("I-A0"), labels.index("I-A0")]
    assert not trans[labels.index("B-A0"), labels.index("I-A1")]  # I- never continues another argument
    assert not trans[labels.index("O"), labels.index("I-A0")]
    assert trans[labels.index("I-A1"), labels.index("B-A0")]
    assert allowed_ends(labels, "BIO").all()


def test_iob1_and_bioes_constraints():
    labels = ["O", "I-PER", "B-PER", "I-LOC"]
    trans, start = allowed_transitions(labels, "IOB1")
    assert start.tolist() == [True, True, False, True]
    assert trans[1, 2] and not trans[0, 2] and not trans[3, 2]
    labels = ["O", "B-X", "I-X", "E-X", "S-X", "S-Y"]
    trans, start = allowed_transitions(labels, "BIOES")
    assert start.tolist() == [True, True, False, False, True, True]
    assert trans[1, 2] and trans[1, 3] and trans[2, 3] and not trans[1, 0] and not trans[3, 2]
    assert trans[3, 4] and trans[4, 5] and trans[3, 0]
    assert allowed_ends(labels, "BIOES").tolist() == [True, False, False, True, True, True]


def test_constrained_decoding_never_breaks_bio():
    """Emissions that prefer an illegal I- tag still decode to a legal sequence."""
    labels = ["O", "B-A0", "I-A0", "B-A1", "I-A1"]
    trans_mask, start_mask = allowed_transitions(labels, "BIO")
    emissions = torch.zeros(1, 3, 5)
    emissions[0, 0, labels.index("B-A0")] = 2.0
    emissions[0, 1, labels.index("I-A1")] = 3.0  # illegal after B-A0
    emissions[0, 1, labels.index("I-A0")] = 1.0
    emissions[0, 2, labels.index("I-A1")] = 5.0  # illegal continuation of A0
    emissions[0, 2, labels.index("O")] = 1.0
    free = viterbi_decode(emissions, torch.zeros(5, 5), torch.ones(1, 3, dtype=torch.bool))[0]
    assert [labels[i] for i in free] == ["B-A0", "I-A1", "I-A1"]
    path = viterbi_decode(emissions, constrained_scores(torch.zeros(5, 5), trans_mask),
                          torch.ones(1, 3, dtype=torch.bool),
                          start_transitions=constrained_scores(torch.zeros(5), start_mask))[0]
    # the best legal path re-reads the start as B-A1 (0 + 3 + 5) rather than B-A0 I-A0 O (2 + 1 + 1)
    assert [labels[i] for i in path] == ["B-A1", "I-A1", "I-A1"]
    assert all(trans_mask[a, b] for a, b in itertools.pairwise(path)) and start_mask[path[0]]


def test_bad_labels_and_scheme():
    assert split_label("O") == ("O", "")
    assert split_label("B-ARGM-TMP") == ("B", "ARGM-TMP")
    with pytest.raises(ValueError, match="X-PER"):
        allowed_transitions(["O", "X-PER"])
    with pytest.raises(ValueError, match="scheme"):
        allowed_transitions(["O"], "BILOU")

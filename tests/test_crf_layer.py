"""The CRF's forward algorithm and likelihood against brute force; maxout, masked LSTM and batch norm."""
import itertools

import pytest
import torch

from elmo_eval.modules.crf import ConditionalRandomField
from elmo_eval.modules.masked_batch_norm import MaskedBatchNorm
from elmo_eval.modules.masked_lstm import MaskedLSTM
from elmo_eval.modules.maxout import Maxout
from elmo_eval.modules.viterbi import allowed_ends, allowed_transitions


def _path_score(crf, emissions, path):
    score = sum(emissions[t, k] for t, k in enumerate(path))
    score = score + sum(crf.transitions[a, b] for a, b in itertools.pairwise(path))
    if crf.include_start_end:
        score = score + crf.start_transitions[path[0]] + crf.end_transitions[path[-1]]
    return score


@pytest.mark.parametrize("start_end", [False, True])
@torch.no_grad()
def test_log_partition_and_likelihood_match_brute_force(start_end):
    torch.manual_seed(1)
    crf = ConditionalRandomField(3, include_start_end=start_end)
    emissions = torch.randn(3, 4, 3)
    lengths = [4, 2, 1]
    mask = torch.arange(4).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
    tags = torch.randint(0, 3, (3, 4))
    log_z = crf.log_partition(emissions, mask)
    ll = crf.log_likelihood(emissions, tags, mask)
    for b, n in enumerate(lengths):
        scores = torch.stack([_path_score(crf, emissions[b], p) for p in itertools.product(range(3), repeat=n)])
        assert float(log_z[b]) == pytest.approx(float(torch.logsumexp(scores, 0)), abs=1e-5)
        gold = _path_score(crf, emissions[b], tags[b, :n].tolist())
        assert float(ll[b]) == pytest.approx(float(gold - torch.logsumexp(scores, 0)), abs=1e-5)
    assert float(crf(emissions, tags, mask)) == pytest.approx(-float(ll.sum()), abs=1e-5)


def test_crf_decoding_respects_bioes_constraints():
    labels = ["O", "B-X", "I-X", "E-X", "S-X"]
    allowed, start = allowed_transitions(labels, "BIOES")
    crf = ConditionalRandomField(5, constraints=(allowed, start, allowed_ends(labels, "BIOES")))
    emissions = torch.zeros(1, 3, 5)
    emissions[0, :, labels.index("I-X")] = 5.0  # I-X everywhere is the unconstrained argmax
    path = [labels[i] for i in crf.decode(emissions, torch.ones(1, 3, dtype=torch.bool))[0]]
    assert path == ["B-X", "I-X", "E-X"]
    with pytest.raises(ValueError, match="expected \\(5, 5\\)"):
        ConditionalRandomField(5, constraints=(allowed[:4], start, start))


def test_maxout_takes_the_max_of_each_pool():
    maxout = Maxout(3, [2], pool_sizes=2)
    with torch.no_grad():
        maxout.linears[0].weight.copy_(torch.eye(4, 3))
        maxout.linears[0].bias.zero_()
    out = maxout(torch.tensor([[1.0, 5.0, -2.0]]))
    assert out.tolist() == [[5.0, 0.0]]  # pools (1, 5) and (-2, 0)
    assert Maxout(8, [6, 4, 5], 4, [0.2, 0.3, 0.0])(torch.randn(2, 8)).shape == (2, 5)
    with pytest.raises(ValueError, match="2 pool sizes"):
        Maxout(8, [6, 4, 5], [4, 4])


def test_masked_lstm_ignores_padding_and_final_state():
    torch.manual_seed(0)
    lstm = MaskedLSTM(3, 4, num_layers=2, bidirectional=True)
    x = torch.randn(2, 5, 3)
    mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])
    padded = x.clone()
    padded[1, 3:] = 99.0
    out = lstm(x, mask)
    assert torch.allclose(out, lstm(padded, mask)) and out[1, 3:].abs().sum() == 0
    alone = lstm(x[1:2, :3], mask[1:2, :3])
    assert torch.allclose(out[1, :3], alone[0], atol=1e-6)
    uni = MaskedLSTM(3, 4, bidirectional=False)
    assert torch.allclose(uni.final_state(x, mask)[1], uni(x, mask)[1, 2], atol=1e-6)


def test_masked_batch_norm_uses_real_tokens_only():
    norm = MaskedBatchNorm(2)
    x = torch.randn(2, 4, 2)
    mask = torch.tensor([[True, True, True, False], [True, False, False, False]])
    out = norm(x, mask)
    real = out[mask]
    assert torch.allclose(real.mean(0), torch.zeros(2), atol=1e-5)
    assert out[~mask].abs().sum() == 0
    norm(x[:1, :1], mask[:1, :1])  # a single token in training mode does not fail

"""Training speed of the biLM pretrainer (words/s, forward + backward + optimizer step).

For each preset (``tiny``, ``small``) this times full training steps of
:class:`~elmo_eval.pretrain.lm_module.BiLMPretrainer` (ELMo's own LSTM recurrence with
clipping, char CNN input, preset softmax) on random sentences of 10-35 words whose
lengths in characters follow English running text (:data:`WORD_LENGTHS`: the char CNN
only convolves as far as the batch's longest word, so word length matters), and,
as a reference, the same sizes built from ``torch.nn.LSTM(proj_size=...)`` (two
2-layer stacks, word-embedding input instead of the char CNN, same softmax).
Writes ``results/benchmarks/pretrain_speed.json``.

    python benchmarks/pretrain_speed.py [--threads 2] [--steps 8]

Other processes may share the CPU: the JSON records the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from collections import Counter
from pathlib import Path

import torch
from torch import nn

from elmo_eval.pretrain.batching import LMBatchCollator
from elmo_eval.pretrain.lm_module import BiLMPretrainer
from elmo_eval.pretrain.presets import get_preset
from elmo_eval.pretrain.softmax import SharedSoftmax
from elmo_eval.pretrain.vocab import Vocabulary

VOCAB_SIZES = {"tiny": 300, "small": 15_000}
# Share of running-text tokens by length in characters (English news text, rounded; tail to 25).
WORD_LENGTHS = {1: 0.08, 2: 0.16, 3: 0.19, 4: 0.15, 5: 0.11, 6: 0.08, 7: 0.07, 8: 0.05, 9: 0.04, 10: 0.03,
                11: 0.02, 12: 0.01, 13: 0.005, 14: 0.003, 16: 0.0015, 20: 0.0004, 25: 0.0001}


def _vocabulary(size: int, seed: int = 0) -> Vocabulary:
    """``size`` distinct random lowercase words, every length of :data:`WORD_LENGTHS` present."""
    rng = random.Random(seed)
    lengths, weights = list(WORD_LENGTHS), list(WORD_LENGTHS.values())
    words: set[str] = set()
    while len(words) < size:
        length = lengths[len(words) % len(lengths)] if len(words) < 4 * len(lengths) else \
            rng.choices(lengths, weights)[0]
        words.add("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(length)))
    return Vocabulary.from_counts(Counter({word: 1 for word in sorted(words)}))


class ReferenceBiLM(nn.Module):
    """Word embedding -> forward / backward ``nn.LSTM(2 layers, proj_size)`` -> shared softmax."""

    def __init__(self, vocab_size: int, cell_dim: int, projection_dim: int, num_sampled: int | None, dropout: float):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, projection_dim)
        self.forward_lstm = nn.LSTM(projection_dim, cell_dim, num_layers=2, proj_size=projection_dim, batch_first=True)
        self.backward_lstm = nn.LSTM(projection_dim, cell_dim, num_layers=2, proj_size=projection_dim, batch_first=True)
        self.softmax = SharedSoftmax(vocab_size, projection_dim, num_sampled)
        self.dropout = nn.Dropout(dropout)

    def loss(self, words: torch.Tensor, batch) -> torch.Tensor:
        """``words [B, T]`` word ids of the boundary-included batch (padding = any id)."""
        embedded = self.dropout(self.embedding(words))
        forward_states = self.dropout(self.forward_lstm(embedded)[0])
        # Reference only: the flip ignores per-row lengths, which changes nothing about speed.
        backward_states = self.dropout(self.backward_lstm(embedded.flip(1))[0].flip(1))
        losses = []
        for states, targets in ((forward_states, batch.forward_targets), (backward_states, batch.backward_targets)):
            selected = targets >= 0
            losses.append(self.softmax(states[selected], targets[selected]).mean())
        return (losses[0] + losses[1]) / 2


def _batches(vocab: Vocabulary, batch_size: int, count: int, seed: int) -> list:
    rng = random.Random(seed)
    by_length: dict[int, list[str]] = {}
    for word in vocab.words[3:]:
        by_length.setdefault(len(word), []).append(word)
    lengths, weights = list(WORD_LENGTHS), list(WORD_LENGTHS.values())

    def word() -> str:  # a token of running text: its length first, then a word of that length
        return rng.choice(by_length[rng.choices(lengths, weights)[0]])

    collate = LMBatchCollator(vocab)
    return [collate([[word() for _ in range(rng.randint(10, 35))] for _ in range(batch_size)]) for _ in range(count)]


def _time_steps(loss_fn, parameters, batches, warmup: int) -> float:
    optimizer = torch.optim.Adam(parameters, lr=1e-3)
    words, seconds = 0, 0.0
    for index, batch in enumerate(batches):
        started = time.perf_counter()
        loss = loss_fn(batch)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 10.0)
        optimizer.step()
        if index >= warmup:
            seconds += time.perf_counter() - started
            words += batch.num_words
    return words / seconds


def benchmark(preset_name: str, steps: int, warmup: int = 2) -> dict:
    preset = get_preset(preset_name)
    vocab = _vocabulary(VOCAB_SIZES[preset_name])
    batches = _batches(vocab, preset.batch_size, steps + warmup, seed=0)
    torch.manual_seed(0)
    module = BiLMPretrainer(preset.options, len(vocab), dropout=preset.dropout, num_sampled=preset.num_sampled)
    module.train()

    def elmo_loss(batch):
        sums = module.nll_sums(batch)
        return (sums[0] / sums[1] + sums[2] / sums[3]) / 2

    elmo_rate = _time_steps(elmo_loss, list(module.parameters()), batches, warmup)
    lstm = preset.options["lstm"]
    reference = ReferenceBiLM(len(vocab), lstm["dim"], lstm["projection_dim"], preset.num_sampled, preset.dropout)
    reference.train()
    reference_rate = _time_steps(
        lambda b: reference.loss(b.forward_targets.clamp(min=0), b), list(reference.parameters()), batches, warmup
    )
    return {
        "preset": preset_name,
        "vocab_size": len(vocab),
        "batch_size": preset.batch_size,
        "num_sampled": preset.num_sampled,
        "parameters": sum(p.numel() for p in module.parameters()),
        "timed_steps": steps,
        "elmo_words_per_second": round(elmo_rate, 1),
        "torch_lstm_reference_words_per_second": round(reference_rate, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--out", default="results/benchmarks/pretrain_speed.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    results = [benchmark(name, args.steps) for name in ("tiny", "small")]
    report = {
        "threads": args.threads,
        "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "note": "words = real tokens (boundaries excluded); other helpers' jobs may share the CPU "
        "(see load averages), so absolute numbers are lower bounds",
        "target_small_words_per_second": 4000,
        "results": results,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

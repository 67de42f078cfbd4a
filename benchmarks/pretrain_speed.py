"""Training speed of the biLM pretrainer (words/s, forward + backward + optimizer step), side by
side with the same model built on ``torch.nn.LSTM(proj_size=...)``.

For each preset (``tiny``, ``small``) three models take turns on the same batches, one training
step each in every round (the order rotates between rounds), on random sentences of 10-35 words
whose lengths in characters follow English running text (:data:`WORD_LENGTHS`: the char CNN
only convolves as far as the batch's longest word, so word length matters):

  - ``elmo``: :class:`~elmo_eval.pretrain.lm_module.BiLMPretrainer` (char CNN, ELMo's own LSTM
    recurrence with cell and projection clipping and the residual, preset softmax);
  - ``torch_lstm``: the same pretrainer (same char CNN, dropout, softmax, optimizer) with its two
    LSTM stacks replaced by ``torch.nn.LSTM(proj_size=...)`` layers of the same sizes
    (:class:`TorchLstmStack`: one ``nn.LSTM`` per layer and direction, the residual added
    between layers as in ELMo, the backward stack reading each sentence reversed within its
    length; ``nn.LSTM`` has no clipping). Only the recurrence differs: this is the comparison
    of the goal (words/s >= 1.0x);
  - ``torch_lstm_word_input``: the earlier reference, kept for comparison with past results:
    a word embedding instead of the char CNN, two 2-layer ``nn.LSTM(proj_size=...)`` stacks
    without the residual, the same softmax. It does less work than ELMo (no char CNN).

Times are wall clock and this process's CPU time (less disturbed by other jobs on a shared
machine); words/s = real words (boundaries excluded) / summed step time; the ratio is also given
per round (median [min, max]). Writes ``results/benchmarks/pretrain_speed.json`` with the load
average before and after.

    python benchmarks/pretrain_speed.py [--threads 1,2] [--steps 12] [--device cuda]

``--device cuda`` puts the three models and the batches on the GPU, closes every timed step with
``torch.cuda.synchronize()``, runs once without a thread count (threads: null), records the device,
torch and CUDA versions and writes ``pretrain_speed_cuda.json``; without CUDA it says so on stderr and
exits 0, writing nothing (``benchmarks/_device.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from collections import Counter
from pathlib import Path

import torch
from _device import (
    add_device_argument,
    device_record,
    output_path,
    pick_device,
    set_threads,
    synchronize,
    thread_counts,
    threads_label,
)
from torch import nn

from elmo_eval.encoders.elmo_lstm import _gather_time, reverse_within_lengths
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


class TorchLstmStack(nn.Module):
    """:class:`~elmo_eval.encoders.elmo_lstm.ElmoLstm`'s interface on ``nn.LSTM(proj_size=...)`` layers.

    ``forward(inputs [B, T, D], mask [B, T])`` -> ``[num_layers, B, T, 2P]`` (``[forward, backward]``,
    the residual for layers >= 1); the backward stack reads each row reversed within its length.
    Padding is fed (``nn.LSTM`` without packing; packing costs more than it saves at these lengths)
    and nothing is clipped.
    """

    def __init__(self, input_dim: int, cell_dim: int, projection_dim: int, num_layers: int):
        super().__init__()
        dims = [input_dim] + [projection_dim] * (num_layers - 1)
        self.forward_layers = nn.ModuleList(
            [nn.LSTM(d, cell_dim, proj_size=projection_dim, batch_first=True) for d in dims])
        self.backward_layers = nn.ModuleList(
            [nn.LSTM(d, cell_dim, proj_size=projection_dim, batch_first=True) for d in dims])

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        reverse_index = reverse_within_lengths(mask.sum(dim=1), inputs.shape[1])
        forward_in, backward_in = inputs, _gather_time(inputs, reverse_index)
        float_mask = mask.unsqueeze(-1).to(inputs.dtype)
        outputs = []
        for index, (forward_layer, backward_layer) in enumerate(zip(self.forward_layers, self.backward_layers)):
            forward_out, backward_out = forward_layer(forward_in)[0], backward_layer(backward_in)[0]
            if index > 0:
                forward_out, backward_out = forward_out + forward_in, backward_out + backward_in
            forward_out, backward_out = forward_out * float_mask, backward_out * float_mask
            outputs.append(torch.cat([forward_out, _gather_time(backward_out, reverse_index)], dim=-1))
            forward_in, backward_in = forward_out, backward_out
        return torch.stack(outputs)


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


class _Trainee:
    """One model with its optimizer: ``step(batch)`` = loss, backward, gradient clipping, Adam step,
    timed until ``device`` has finished it."""

    def __init__(self, parameters, loss_fn, grad_clip: float, device: torch.device):
        self.device = device
        self.parameters = list(parameters)
        self.loss_fn = loss_fn
        self.grad_clip = grad_clip
        self.optimizer = torch.optim.Adam(self.parameters, lr=1e-3)

    def step(self, batch) -> tuple[float, float]:
        synchronize(self.device)
        wall, cpu = time.perf_counter(), time.process_time()
        loss = self.loss_fn(batch)
        self.optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.parameters, self.grad_clip)
        self.optimizer.step()
        synchronize(self.device)
        return time.perf_counter() - wall, time.process_time() - cpu


def _pretrainer_loss(module: BiLMPretrainer):
    def loss(batch):
        sums = module.nll_sums(batch)
        return (sums[0] / sums[1] + sums[2] / sums[3]) / 2
    return loss


def _spread(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 4), "min": round(min(values), 4),
            "max": round(max(values), 4)}


def benchmark(preset_name: str, steps: int, device: torch.device, warmup: int = 2) -> dict:
    preset = get_preset(preset_name)
    vocab = _vocabulary(VOCAB_SIZES[preset_name])
    batches = [batch.to(device) for batch in _batches(vocab, preset.batch_size, steps + warmup, seed=0)]
    lstm = preset.options["lstm"]
    models = {}
    torch.manual_seed(0)
    elmo = BiLMPretrainer(preset.options, len(vocab), dropout=preset.dropout, num_sampled=preset.num_sampled)
    elmo.to(device)
    models["elmo"] = _Trainee(elmo.parameters(), _pretrainer_loss(elmo), preset.grad_clip, device)
    torch.manual_seed(0)
    twin = BiLMPretrainer(preset.options, len(vocab), dropout=preset.dropout, num_sampled=preset.num_sampled)
    twin.bilm.lstm = TorchLstmStack(lstm["projection_dim"], lstm["dim"], lstm["projection_dim"], lstm["n_layers"])
    twin.to(device)
    models["torch_lstm"] = _Trainee(twin.parameters(), _pretrainer_loss(twin), preset.grad_clip, device)
    torch.manual_seed(0)
    reference = ReferenceBiLM(len(vocab), lstm["dim"], lstm["projection_dim"], preset.num_sampled, preset.dropout)
    reference.to(device)
    models["torch_lstm_word_input"] = _Trainee(
        reference.parameters(), lambda b: reference.loss(b.forward_targets.clamp(min=0), b), preset.grad_clip, device)
    for module in (elmo, twin, reference):
        module.train()
    names = list(models)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    words = []
    for index, batch in enumerate(batches):
        order = names[index % len(names):] + names[:index % len(names)]
        step_times = {name: models[name].step(batch) for name in order}
        if index >= warmup:
            words.append(batch.num_words)
            for name in names:
                times[name].append(step_times[name])
    result: dict = {
        "preset": preset_name, "vocab_size": len(vocab), "batch_size": preset.batch_size,
        "num_sampled": preset.num_sampled, "parameters": sum(p.numel() for p in elmo.parameters()),
        "timed_steps": steps, "words": sum(words),
    }
    for clock, position in (("wall", 0), ("cpu", 1)):
        per_model = {name: [t[position] for t in times[name]] for name in names}
        rates = {name: sum(words) / sum(per_model[name]) for name in names}
        result[clock] = {
            **{f"{name}_words_per_second": round(rate, 1) for name, rate in rates.items()},
            "elmo_over_torch_lstm": round(rates["elmo"] / rates["torch_lstm"], 4),
            "elmo_over_torch_lstm_per_step": _spread(
                [b / a for a, b in zip(per_model["elmo"], per_model["torch_lstm"])]),
            "elmo_over_torch_lstm_word_input": round(rates["elmo"] / rates["torch_lstm_word_input"], 4),
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="torch thread counts, comma-separated (default 1,2)")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--presets", default="tiny,small")
    parser.add_argument("--out", default=None,
                        help="the JSON written (default results/benchmarks/pretrain_speed.json, _cuda.json on cuda)")
    add_device_argument(parser)
    args = parser.parse_args(argv)
    device = pick_device(args.device, "pretrain_speed")
    if device is None:
        return 0
    load_before = os.getloadavg()
    results = []
    for threads in thread_counts([int(t) for t in args.threads.split(",")], device, "pretrain_speed"):
        set_threads(threads)
        for name in args.presets.split(","):
            row = {"threads": threads, **benchmark(name, args.steps, device)}
            results.append(row)
            print(f"{threads_label(threads)} {name:>5}: " + "; ".join(
                f"{clock} elmo {row[clock]['elmo_words_per_second']:.0f} words/s, torch.nn.LSTM same model "
                f"{row[clock]['torch_lstm_words_per_second']:.0f} ({row[clock]['elmo_over_torch_lstm']:.2f}x, per step "
                f"{row[clock]['elmo_over_torch_lstm_per_step']['median']:.2f} "
                f"[{row[clock]['elmo_over_torch_lstm_per_step']['min']:.2f}, "
                f"{row[clock]['elmo_over_torch_lstm_per_step']['max']:.2f}]), word-input reference "
                f"{row[clock]['torch_lstm_word_input_words_per_second']:.0f}" for clock in ("wall", "cpu")),
                flush=True)
    report = {
        "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "note": "words = real tokens (boundaries excluded); the three models take turns on the same batches "
        "(order rotating); 'wall' is wall-clock time, 'cpu' this process's CPU time (other jobs may share the "
        "CPU: see the load averages)",
        "target_small_words_per_second": 4000,
        "goal": "elmo words/s >= 1.0x torch_lstm (the same model on torch.nn.LSTM(proj_size=...)) at tiny and small",
        "results": results,
        **device_record(device),
    }
    out = Path(args.out or output_path("results/benchmarks/pretrain_speed.json", device))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

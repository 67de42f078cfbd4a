"""Encoder throughput: our biLM vs a straightforward reference, cache reads, and the FLOP-rate bound.

Run: ``python benchmarks/encoder_speed.py [--quick]`` (torch with 2 threads). Writes
``results/benchmarks/encoder_speed.json``.

Measures, on batches of sentences x 20 tokens:
  - tokens/s of :class:`ElmoBiLM` for the full-size architecture (random weights written
    in the official layout with ``export_official`` and loaded back) and for the fixture
    model when ``../shared`` is present;
  - the same for :class:`ReferenceBiLM` below, which computes the LSTM input projection
    inside the time loop (one ``[x_t, h] @ W_0`` per step and direction) and runs the
    char CNN on every position, as a ratio;
  - reading the layers from a :class:`LayerCache` vs recomputing them, as a ratio;
  - the analytic floating-point work per token, this machine's matmul GFLOP/s in the same
    run, and the achieved fraction; and a sweep over batch sizes.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

import torch

from elmo_eval.cache import LayerCache
from elmo_eval.encoders import ElmoBiLM, batch_to_char_ids, export_official
from elmo_eval.encoders.char_ids import BOS_IDS, EOS_IDS

PROJECT_ROOT = Path(__file__).resolve().parents[1]

FULL_OPTIONS = {
    "lstm": {"cell_clip": 3, "use_skip_connections": True, "n_layers": 2, "proj_clip": 3,
             "projection_dim": 512, "dim": 4096},
    "char_cnn": {"embedding": {"dim": 16},
                 "filters": [[1, 32], [2, 32], [3, 64], [4, 128], [5, 256], [6, 512], [7, 1024]],
                 "n_highway": 2, "n_characters": 262, "max_characters_per_token": 50, "activation": "relu"},
}
SHARED_FIXTURE = Path(os.environ.get("ELMO_EVAL_SHARED", PROJECT_ROOT.parent / "shared")) / "fixtures" / "elmo"
TOKENS_PER_SENTENCE = 20


# ---------------------------------------------------------------------------- work model
def flops_per_position(options: dict) -> dict[str, float]:
    """Multiply-adds x 2 for one sequence position (a token or a boundary marker), by part."""
    cnn, lstm = options["char_cnn"], options["lstm"]
    char_dim, chars = cnn["embedding"]["dim"], cnn.get("max_characters_per_token", 50)
    n_filters = sum(count for _, count in cnn["filters"])
    proj, cell, layers = lstm["projection_dim"], lstm["dim"], lstm["n_layers"]
    conv = sum(2 * (chars - width + 1) * width * char_dim * count for width, count in cnn["filters"])
    highway = cnn["n_highway"] * 2 * (2 * n_filters * n_filters)
    projection = 2 * n_filters * proj
    # Per layer and direction: [x, h] @ W_0 (input_dim = proj) and the cell projection.
    lstm_flops = 2 * layers * (2 * (proj + proj) * 4 * cell + 2 * cell * proj)
    return {"char_cnn_conv": conv, "highway": highway, "projection": projection, "lstm": lstm_flops,
            "total": conv + highway + projection + lstm_flops}


def measure_matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
    """Best-of-``repeats`` GFLOP/s of a square float32 matmul: the machine's rate bound."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best / 1e9


# ---------------------------------------------------------------------------- reference
class ReferenceBiLM:
    """Straightforward re-implementation on the same weights, for speed comparison only.

    Char CNN on every position of the padded batch; each LSTM direction loops over time
    computing ``[x_t, h_{t-1}] @ W_0 + B`` inside the loop.
    """

    def __init__(self, bilm: ElmoBiLM):
        self.bilm = bilm
        self.lstm = bilm.lstm

    @torch.no_grad()
    def __call__(self, char_ids: torch.Tensor) -> torch.Tensor:
        """``[B, T, 50]`` -> layers ``[B, L, T, 2P]``."""
        batch, steps, _ = char_ids.shape
        lengths = (char_ids > 0).any(-1).sum(1)
        ids = torch.zeros(batch, steps + 2, 50, dtype=torch.long)
        ids[:, 1:-1] = char_ids
        ids[:, 0] = torch.tensor(BOS_IDS)
        ids[torch.arange(batch), lengths + 1] = torch.tensor(EOS_IDS)
        mask = torch.arange(steps + 2).unsqueeze(0) < (lengths + 2).unsqueeze(1)
        embedded = self.bilm.char_cnn(ids) * mask.unsqueeze(-1)
        outputs = [torch.cat([embedded, embedded], -1)]
        forward_in, backward_in = embedded, embedded
        for index in range(self.lstm.num_layers):
            forward_out = self._direction(self.lstm.forward_layers[index], forward_in, mask, reverse=False)
            backward_out = self._direction(self.lstm.backward_layers[index], backward_in, mask, reverse=True)
            if index > 0:
                forward_out = forward_out + forward_in
                backward_out = backward_out + backward_in
            forward_out, backward_out = forward_out * mask.unsqueeze(-1), backward_out * mask.unsqueeze(-1)
            outputs.append(torch.cat([forward_out, backward_out], -1))
            forward_in, backward_in = forward_out, backward_out
        layers = torch.stack(outputs, 1)[:, :, 1:-1]
        return layers * mask[:, 2:].unsqueeze(1).unsqueeze(-1)

    def _direction(self, layer, inputs, mask, reverse: bool) -> torch.Tensor:
        batch, steps, _ = inputs.shape
        weight = torch.cat([layer.input_weight, layer.state_weight])  # the file's W_0
        bias = layer.gate_bias()
        h = inputs.new_zeros(batch, layer.projection_dim)
        c = inputs.new_zeros(batch, layer.cell_dim)
        out = inputs.new_zeros(batch, steps, layer.projection_dim)
        lengths = mask.sum(1)
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        for t in order:
            # Backward: a row starts at its own last position, so position t is live iff t < length.
            valid = (t < lengths).unsqueeze(1)
            gates = torch.cat([inputs[:, t], h], 1) @ weight + bias
            i, j, f, o = gates.chunk(4, 1)
            new_c = (torch.sigmoid(i) * torch.tanh(j) + torch.sigmoid(f) * c).clamp(-self.lstm.cell_clip,
                                                                                  self.lstm.cell_clip)
            new_h = ((torch.sigmoid(o) * torch.tanh(new_c)) @ layer.projection_weight).clamp(
                -self.lstm.proj_clip, self.lstm.proj_clip)
            h, c = torch.where(valid, new_h, h), torch.where(valid, new_c, c)
            out[:, t] = new_h * valid
        return out


# ---------------------------------------------------------------------------- helpers
def make_sentences(count: int, length: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(5000)]
    return [[rng.choice(vocab) for _ in range(length)] for _ in range(count)]


def time_call(fn, repeats: int, warmup: bool = True) -> dict[str, float]:
    """Optionally warm up once, then ``repeats`` timed calls; min (least disturbed by other load) and median."""
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {"min_s": min(times), "median_s": statistics.median(times), "repeats": repeats}


def throughput(bilm, reference, batch_size: int, repeats: int, with_reference: bool, warmup: bool = True) -> dict:
    sentences = make_sentences(batch_size, TOKENS_PER_SENTENCE, seed=batch_size)
    char_ids = batch_to_char_ids(sentences)
    tokens = batch_size * TOKENS_PER_SENTENCE
    with torch.no_grad():
        ours = time_call(lambda: bilm(char_ids), repeats, warmup)
    result = {"batch_size": batch_size, "tokens": tokens, "ours": ours,
              "ours_tokens_per_s": tokens / ours["min_s"]}
    if with_reference:
        ref = time_call(lambda: reference(char_ids), repeats, warmup)
        with torch.no_grad():
            diff = (bilm(char_ids)[0] - reference(char_ids)).abs().max().item()
        result.update({"reference": ref, "reference_tokens_per_s": tokens / ref["min_s"],
                       "speedup_vs_reference": ref["min_s"] / ours["min_s"],
                       "max_abs_diff_vs_reference": diff})
    return result


def cache_vs_recompute(bilm, n_sentences: int, repeats: int, workdir: Path) -> dict:
    sentences = make_sentences(n_sentences, TOKENS_PER_SENTENCE, seed=99)
    batch = sentences[:32]
    start = time.perf_counter()
    cache = LayerCache.build(workdir / "cache.h5", bilm, sentences, dtype="float16", batch_size=32,
                             progress=False)
    build_s = time.perf_counter() - start
    recompute = time_call(lambda: bilm.embed(batch), repeats)
    read = time_call(lambda: cache.batch(batch), max(repeats, 5))
    cache.preload()
    read_preloaded = time_call(lambda: cache.batch(batch), max(repeats, 5))
    cache.close()
    return {"sentences_in_cache": n_sentences, "batch": f"{len(batch)}x{TOKENS_PER_SENTENCE}",
            "dtype": "float16", "build_s": build_s,
            "file_mb": (workdir / "cache.h5").stat().st_size / 2 ** 20,
            "recompute": recompute, "read": read, "read_preloaded": read_preloaded,
            "read_speedup_vs_recompute": recompute["min_s"] / read["min_s"],
            "preloaded_read_speedup_vs_recompute": recompute["min_s"] / read_preloaded["min_s"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and batch sizes")
    parser.add_argument("--output", default=str(PROJECT_ROOT / "results" / "benchmarks" / "encoder_speed.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    torch.manual_seed(0)
    repeats = 1 if args.quick else 2
    # 32 first: it warms up the allocator and is the size the targets are stated for.
    batch_sizes = [32, 64] if args.quick else [32, 64, 128]
    began = time.perf_counter()
    load_before = os.getloadavg()

    report: dict = {
        "machine": {"python": platform.python_version(), "torch": torch.__version__,
                    "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
                    "loadavg_at_start": load_before},
        "note": "CPU shared with other concurrently running jobs (see loadavg; 2 cores); times are min over repeats "
                "(median also given). Tokens exclude the <S>/</S> markers the model adds (2 per sentence), "
                "whose work is still counted in flops_per_token.",
        "tokens_per_sentence": TOKENS_PER_SENTENCE,
        "quick": args.quick,
    }
    matmul_gflops = measure_matmul_gflops()
    report["matmul_gflops_2048_at_start"] = matmul_gflops
    print(f"matmul 2048^3: {matmul_gflops:.1f} GFLOP/s", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        random_model = ElmoBiLM.from_options(FULL_OPTIONS, seed=0)
        options_path, weights_path = export_official(random_model, tmp / "full")
        del random_model
        bilm = ElmoBiLM.from_official(options_path, weights_path)
        reference = ReferenceBiLM(bilm)
        work = flops_per_position(FULL_OPTIONS)
        per_token = work["total"] * (TOKENS_PER_SENTENCE + 2) / TOKENS_PER_SENTENCE
        full: dict = {"options": FULL_OPTIONS, "flops_per_position": work,
                      "flops_per_token_incl_boundaries": per_token,
                      "parameters": sum(p.numel() for p in bilm.parameters())}
        sweep = []
        for batch_size in batch_sizes:
            first = batch_size == batch_sizes[0]
            row = throughput(bilm, reference, batch_size, repeats if first else 1, with_reference=batch_size == 32,
                             warmup=first)
            row["achieved_gflops"] = row["ours_tokens_per_s"] * per_token / 1e9
            sweep.append(row)
            print(f"full-size {batch_size}x{TOKENS_PER_SENTENCE}: {row['ours_tokens_per_s']:.0f} tok/s, "
                  f"{row['achieved_gflops']:.1f} GFLOP/s"
                  + (f", {row['speedup_vs_reference']:.2f}x reference" if "speedup_vs_reference" in row else ""),
                  flush=True)
        # The bound is the best matmul rate seen in this run (measured before and after the sweep),
        # so load from other jobs during one measurement cannot inflate the fraction.
        report["matmul_gflops_2048_after_sweep"] = measure_matmul_gflops()
        matmul_gflops = max(matmul_gflops, report["matmul_gflops_2048_after_sweep"])
        report["matmul_gflops_bound"] = matmul_gflops
        for row in sweep:
            row["fraction_of_matmul_rate"] = row["achieved_gflops"] / matmul_gflops
        best = max(sweep, key=lambda r: r["ours_tokens_per_s"])
        full["batch_sweep"] = sweep
        full["at_32x20"] = next(r for r in sweep if r["batch_size"] == 32)
        full["best_batch_size"] = best["batch_size"]
        full["best_tokens_per_s"] = best["ours_tokens_per_s"]
        full["best_fraction_of_matmul_rate"] = best["fraction_of_matmul_rate"]
        full["targets"] = {
            "speedup_vs_reference_at_32x20 >= 1.5": full["at_32x20"]["speedup_vs_reference"] >= 1.5,
            "best_fraction_of_matmul_rate >= 0.6": best["fraction_of_matmul_rate"] >= 0.6,
        }
        report["full_size"] = full
        report["cache_vs_recompute_full_size"] = cache_vs_recompute(bilm, 64, repeats, tmp)
        print(f"cache read: {report['cache_vs_recompute_full_size']['read_speedup_vs_recompute']:.0f}x faster "
              "than recomputing", flush=True)
        del bilm, reference

    if (SHARED_FIXTURE / "options.json").exists():
        small = ElmoBiLM.from_official(SHARED_FIXTURE / "options.json", SHARED_FIXTURE / "lm_weights.hdf5")
        row = throughput(small, ReferenceBiLM(small), 32, 10 if args.quick else 20, with_reference=True)
        work = flops_per_position(small.options)
        row["flops_per_token_incl_boundaries"] = work["total"] * (TOKENS_PER_SENTENCE + 2) / TOKENS_PER_SENTENCE
        report["fixture_model"] = row
        print(f"fixture model 32x20: {row['ours_tokens_per_s']:.0f} tok/s, "
              f"{row['speedup_vs_reference']:.2f}x reference", flush=True)
    else:
        report["fixture_model"] = f"skipped: {SHARED_FIXTURE} is absent"

    report["loadavg_at_end"] = os.getloadavg()
    report["total_run_s"] = time.perf_counter() - began
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out} ({report['total_run_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

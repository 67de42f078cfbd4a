"""``--device cpu|cuda`` for ``encoder_speed.py`` and ``pretrain_speed.py``: which device, the skip
when CUDA is asked for and absent, the synchronisation that closes a timed region, what the JSON
records about the device, and where it goes.

Both benchmarks take the same code path on either device; only :func:`synchronize` (a no-op on the
CPU) and the skip differ. On the CPU nothing here changes a benchmark's output: no JSON key is added
and the default output file is the usual one.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

CUDA_NOTE = ("every timed region ends with torch.cuda.synchronize(); the 'cpu' clocks are this process's host CPU "
             "time (launching kernels and waiting for them), not the GPU's work; thread counts do not apply "
             "(threads: null, one run)")


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where the models and inputs live (default cpu); cuda writes <name>_cuda.json and "
                             "skips, writing nothing, on a machine without CUDA")


def pick_device(name: str, benchmark: str) -> torch.device | None:
    """The device called ``name``, or ``None`` after one line on stderr when CUDA is asked for and absent."""
    if name == "cuda" and not torch.cuda.is_available():
        print(f"{benchmark}: --device cuda: no CUDA device on this machine (torch {torch.__version__}, built with "
              f"CUDA: {torch.version.cuda or 'none'}); skipped, nothing written", file=sys.stderr)
        return None
    return torch.device(name)


def synchronize(device: torch.device) -> None:
    """Wait until ``device`` has finished the work queued on it (call it before reading a clock)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def device_record(device: torch.device) -> dict:
    """What the JSON records about ``device``: nothing on the CPU (the CPU files keep their keys)."""
    if device.type == "cpu":
        return {}
    return {"device": {"type": device.type, "name": torch.cuda.get_device_name(device), "torch": torch.__version__,
                       "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
                       "tf32_allowed": {"matmul": torch.backends.cuda.matmul.allow_tf32,
                                        "cudnn": torch.backends.cudnn.allow_tf32},
                       "note": CUDA_NOTE}}


def output_path(path: str | Path, device: torch.device) -> Path:
    """The default output for ``device``: ``path`` on the CPU, ``<stem>_cuda<suffix>`` beside it on CUDA."""
    path = Path(path)
    return path if device.type == "cpu" else path.with_name(f"{path.stem}_{device.type}{path.suffix}")


def thread_counts(requested: list[int], device: torch.device, benchmark: str) -> list[int | None]:
    """The torch thread counts to run at: ``requested`` on the CPU; one run at ``None`` on CUDA (said on stdout)."""
    if device.type == "cpu":
        return list(requested)
    print(f"{benchmark}: thread counts do not apply on {device.type}: one run, threads recorded as null", flush=True)
    return [None]


def set_threads(threads: int | None) -> None:
    """``torch.set_num_threads(threads)``; ``None`` (a CUDA run) leaves torch's setting as it is."""
    if threads is not None:
        torch.set_num_threads(threads)


def threads_label(threads: int | None) -> str:
    """``"2 thread(s)"``, or ``"no thread count"`` for a CUDA run."""
    return "no thread count" if threads is None else f"{threads} thread(s)"

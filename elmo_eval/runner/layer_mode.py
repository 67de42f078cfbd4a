"""Where the runs of a task get their ELMo layers, and on which device the biLM runs.

- ``cache``: the layers of every sentence are computed once, stored on disk
  (float16 by default) and streamed to the heads;
- ``on-the-fly``: the frozen biLM runs inside each training step on the training
  device (AllenNLP's way), nothing is stored: for datasets whose cache would not
  fit on disk;
- ``auto`` (the default): ``cache`` unless the estimated cache size exceeds
  ``disk_share`` of the free space where it would be written (a finished cache
  already on disk is always used).

No torch import at module level: the CLI imports this to list the choices.
"""
from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

LAYER_MODES = ("auto", "cache", "on-the-fly")
CACHE_DTYPES = ("float16", "float32")
DEFAULT_DISK_SHARE = 0.5


@dataclass(frozen=True)
class LayerPolicy:
    """How a reproduction gets its layers: ``mode`` (one of :data:`LAYER_MODES`), the cache's
    storage ``dtype``, and for ``auto`` the share of free disk a cache may take."""

    mode: str = "auto"
    dtype: str = "float16"
    disk_share: float = DEFAULT_DISK_SHARE

    def __post_init__(self):
        if self.mode not in LAYER_MODES:
            raise ValueError(f"layer mode must be one of {', '.join(LAYER_MODES)}, got {self.mode!r}")
        if self.dtype not in CACHE_DTYPES:
            raise ValueError(f"cache dtype must be one of {', '.join(CACHE_DTYPES)}, got {self.dtype!r}")
        if not 0 < self.disk_share <= 1:
            raise ValueError(f"cache disk share must be in (0, 1], got {self.disk_share}")


def estimated_cache_bytes(sentences: Iterable[Sequence[str]], num_layers: int, dim: int, dtype: str) -> int:
    """Bytes of a cache of these sentences: tokens x layers x dim x bytes per value, plus the index
    (40-byte key, offset and length per sentence)."""
    tokens = n_sentences = 0
    for sentence in sentences:
        tokens += len(sentence)
        n_sentences += 1
    return tokens * num_layers * dim * (2 if dtype == "float16" else 4) + n_sentences * 56


def free_disk_bytes(path: Path) -> int:
    """Free bytes on the file system that holds ``path`` (or its nearest existing parent)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def choose_layer_mode(policy: LayerPolicy, cache_path: Path, estimate_bytes: int,
                      free_bytes: int | None = None) -> tuple[str, str]:
    """``(mode, reason)``: ``cache`` or ``on-the-fly`` for one task's cache at ``cache_path``.

    ``free_bytes`` defaults to the free space of ``cache_path``'s file system; an interrupted
    build (``<path>.partial``) counts as space already taken.
    """
    if policy.mode != "auto":
        return policy.mode, f"--layers {policy.mode}"
    if cache_path.exists():
        return "cache", "the cache is on disk already"
    partial = cache_path.with_name(cache_path.name + ".partial")
    needed = estimate_bytes - (partial.stat().st_size if partial.exists() else 0)
    free = free_disk_bytes(cache_path) if free_bytes is None else free_bytes
    budget = policy.disk_share * free
    words = f"estimated cache {_size(estimate_bytes)}, {policy.disk_share:g} of free disk is {_size(budget)}"
    if needed > budget:
        return "on-the-fly", words
    return "cache", words


def bilm_device(trainer_options: dict | None) -> str:
    """The device the biLM runs on for the given Lightning trainer options: the accelerator's when
    one is asked for (and present), else the CPU. ``"cuda"`` without an index means the process's
    current GPU (each DDP rank's own); one listed GPU (``devices=[2]``) gives ``"cuda:2"``."""
    import torch

    options = trainer_options or {}
    accelerator = str(options.get("accelerator") or "cpu").lower()
    devices = options.get("devices")
    if accelerator == "auto":
        if torch.cuda.is_available():
            accelerator = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            accelerator = "mps"
        else:
            accelerator = "cpu"
    if accelerator in ("gpu", "cuda"):
        if not torch.cuda.is_available():
            return "cpu"  # Lightning itself stops with a clear error for a missing GPU
        if isinstance(devices, (list, tuple)) and len(devices) == 1:
            return f"cuda:{int(devices[0])}"
        return "cuda"
    if accelerator == "mps":
        return "mps"
    return "cpu"


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"

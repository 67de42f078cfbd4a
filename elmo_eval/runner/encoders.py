"""Which encoder a reproduction evaluates, and the word vectors its baseline uses.

- official ELMo files (``options.json`` + ``weights.hdf5``),
- a biLM pretrained with ``elmo-eval pretrain`` (a folder with both files),
- any object with ``embed``, ``num_layers``, ``output_dim`` and ``fingerprint``
  (the Python interface for a user's own encoder),
- an ``--encoder KIND:...`` spec (:mod:`elmo_eval.encoders.spec`: ELMo files, a pretrained biLM,
  a Hugging Face model, a Python factory),
- by default, the generated world with a ``tiny`` biLM pretrained on its
  corpus, both cached for later runs.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from elmo_eval.io import exclusive_lock, sha256_of
from elmo_eval.runner.stages import stage
from elmo_eval.word_vectors import PretrainedVectors

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    return Path(os.environ.get("ELMO_EVAL_CACHE", Path.home() / ".cache" / "elmo-eval"))


@dataclass
class EncoderSetup:
    """An encoder under evaluation plus what its runs need.

    encoder_id: its row in the leaderboard. encoder: None for a word-only row.
    vectors: the baseline's word vectors (None = randomly initialised, trained).
    world_dir: the generated world when running on the embedded default.
    """

    encoder_id: str
    encoder: object | None
    vectors: PretrainedVectors | None
    world_dir: Path | None = None
    description: dict = field(default_factory=dict)

    def __post_init__(self):
        # what a leaderboard row says of the encoder: its size (no machine paths: callers give names)
        if self.encoder is not None:
            self.description.setdefault("layers", getattr(self.encoder, "num_layers", None))
            self.description.setdefault("dim", getattr(self.encoder, "output_dim", None))
            parameters = getattr(self.encoder, "parameters", None)
            if callable(parameters):
                self.description.setdefault("parameters", sum(p.numel() for p in parameters()))

    @cached_property
    def encoder_fingerprint(self) -> str | None:
        """The encoder's weight fingerprint, hashed once (a second for full-size weights)."""
        return self.encoder.fingerprint() if self.encoder is not None else None

    @cached_property
    def vectors_fingerprint(self) -> str | None:
        return self.vectors.fingerprint() if self.vectors is not None else None


def load_official(options: str | Path, weights: str | Path):
    from elmo_eval.encoders.bilm import ElmoBiLM

    model = ElmoBiLM.from_official(options, weights)
    model.eval()
    return model


def prepare_world(cache_dir: Path, world_size: str = "small", seed: int = 0) -> tuple[Path, dict]:
    """Generate (or reuse) the world under ``cache_dir``."""
    from elmo_eval.world.generate import generate_world

    world_dir = cache_dir / f"world-{world_size}-seed{seed}"
    return world_dir, generate_world(world_dir, seed=seed, size=world_size)


def world_vectors(world_dir: Path, seed: int = 0) -> PretrainedVectors:
    """The world's context-free baseline vectors: PPMI + SVD over its corpus (cached beside it)."""
    from elmo_eval.ppmi import corpus_vectors

    corpus = world_dir / "corpus" / "train.txt"
    return corpus_vectors(corpus, world_dir / "corpus" / "ppmi_svd_50d.txt", dim=50, seed=seed)


def pretrain_complete(bilm_dir: Path) -> bool:
    """Whether ``bilm_dir`` holds a finished pretraining (its result file says complete)."""
    try:
        return bool(json.loads((bilm_dir / "pretrain_result.json").read_text(encoding="utf-8")).get("complete"))
    except (OSError, ValueError):
        return False


def bilm_cache_name(world_dir: Path, preset: str, pretrain_options: dict | None = None) -> str:
    """Folder name of the biLM pretrained on a world's corpus: keyed by the corpus files' bytes and
    the training options, so a biLM of another corpus is never reused, and a world whose labeled
    splits alone changed keeps its biLM."""
    key = [json.dumps(pretrain_options or {}, sort_keys=True, default=str)]
    key += [sha256_of(world_dir / "corpus" / f"{part}.txt") for part in ("train", "heldout")]
    return f"bilm-{preset}-{world_dir.name}-{hashlib.sha1(chr(31).join(key).encode()).hexdigest()[:10]}"


def default_world_setup(cache_dir: Path, world_size: str = "small", seed: int = 0, bilm_preset: str = "tiny",
                        progress: bool = True, pretrain_options: dict | None = None) -> EncoderSetup:
    """Generate (or reuse) the world, pretrain (or reuse) its biLM and corpus vectors."""
    from elmo_eval.pretrain.api import pretrain_bilm

    # one process at a time per world: shards sharing the cache folder generate and pretrain it once
    with exclusive_lock(cache_dir / f"world-{world_size}-seed{seed}"):
        world_dir = cache_dir / f"world-{world_size}-seed{seed}"
        with stage(f"world generation ({world_size}, seed {seed})",
                   computed=not (world_dir / "world.json").exists()):
            world_dir, _ = prepare_world(cache_dir, world_size, seed)
        bilm_dir = cache_dir / bilm_cache_name(world_dir, bilm_preset, pretrain_options)
        with stage(f"biLM pretraining ({bilm_preset}) on the world's corpus",
                   computed=not pretrain_complete(bilm_dir)):
            trained = pretrain_bilm([world_dir / "corpus" / "train.txt"], world_dir / "corpus" / "heldout.txt",
                                    bilm_dir, preset=bilm_preset, seed=seed, progress=progress,
                                    **(pretrain_options or {}))
        with stage("baseline word vectors (PPMI + SVD over the corpus)",
                   computed=not (world_dir / "corpus" / "ppmi_svd_50d.txt").exists()):
            vectors = world_vectors(world_dir, seed)
    encoder = load_official(trained["options"], trained["weights"])
    description = {"kind": "biLM pretrained on the generated world's corpus", "world": world_dir.name,
                   "world_size": world_size, "bilm_preset": bilm_preset, "bilm_dir": bilm_dir.name,
                   "heldout_perplexity": trained.get("final_heldout_perplexity"),
                   "unigram_perplexity": trained.get("unigram_perplexity"),
                   "baseline_vectors": "PPMI + truncated SVD (50d) over the same corpus"}
    return EncoderSetup(f"world-bilm-{bilm_preset}", encoder, vectors, world_dir, description)


def run_device(trainer_options: dict | None) -> str:
    """The torch device the run's accelerator names (``cpu`` unless a GPU was asked for)."""
    accelerator = str((trainer_options or {}).get("accelerator") or "cpu").lower()
    if accelerator in ("gpu", "cuda"):
        return "cuda"
    if accelerator == "mps":
        return "mps"
    if accelerator == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return "cpu"


def prepare_encoder(setup: EncoderSetup, device: str) -> EncoderSetup:
    """Eval mode (no dropout) and the run's device for the encoder under evaluation; the layer cache
    embeds under ``torch.no_grad``."""
    from elmo_eval.encoders.spec import ready_for_inference

    if setup.encoder is not None:
        setup.encoder = ready_for_inference(setup.encoder, device)
    return setup

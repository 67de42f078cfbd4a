"""``pretrain_bilm``: train (or continue / domain-adapt) a biLM and export it.

Resumable: ``out_dir/checkpoints/last.ckpt`` is written during training and at the
end; re-running with the same ``out_dir`` continues from it (with the vocabulary in
``out_dir/vocab.txt``, which must be the one the checkpoint was trained with), and a
complete export for the same request is returned without training.
"""
from __future__ import annotations

import json
import logging
import math
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.loggers import CSVLogger
from pytorch_lightning.utilities.exceptions import SIGTERMException

from ..encoders.official_format import WeightsMismatchError, load_official_weights, load_options
from .batching import LMBatchCollator
from .corpus import (
    CorpusError,
    CorpusStats,
    EvalBatchStream,
    SentenceBatchStream,
    resolve_corpus_files,
    scan_corpus,
)
from .data import (
    FinalStepCheckpoint,
    InterruptCheckpoint,
    PretrainDataModule,
    StreamEpochCallback,
    ThreadsProgressBar,
    ThroughputCallback,
)
from .export import RESULT_NAME, VOCAB_NAME, completed_result, export_run
from .lm_module import BiLMPretrainer, vocab_digest
from .presets import get_preset
from .vocab import Vocabulary, VocabularyError

LAST_CHECKPOINT = "last.ckpt"


class PretrainInterrupted(Exception):
    """Training was stopped by a signal; ``result`` is what was exported (``complete: false``)."""

    def __init__(self, signal_name: str, result: dict[str, Any]):
        super().__init__(f"pretraining interrupted by {signal_name} at step {result.get('global_step')}")
        self.signal_name = signal_name
        self.result = result


def unigram_perplexity(vocab: Vocabulary, train_counts: Counter, train_sentences: int,
                       heldout_counts: Counter, heldout_sentences: int) -> float:
    """Perplexity of the held-out forward targets (words + one ``</S>`` each sentence) under the
    add-one smoothed training unigram distribution: the baseline an LM must beat."""
    log_probs = vocab.unigram_log_probs(train_counts, train_sentences)
    ids = torch.tensor([vocab.id(word) for word in heldout_counts], dtype=torch.long)
    counts = torch.tensor(list(heldout_counts.values()), dtype=torch.float64)
    total_log_prob = float((counts * log_probs[ids]).sum()) + heldout_sentences * float(log_probs[vocab.eos_id])
    return math.exp(-total_log_prob / (float(counts.sum()) + heldout_sentences))


def _check_checkpoint_vocab(checkpoint_path: Path, vocab: Vocabulary, vocab_path: Path) -> None:
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
    hyper = checkpoint.get("hyper_parameters", {})
    stored_sha, stored_size = hyper.get("vocab_sha1"), hyper.get("vocab_size")
    if stored_sha != vocab_digest(vocab.words) or stored_size != len(vocab):
        raise VocabularyError(
            f"vocabulary {vocab_path} ({len(vocab)} words, sha1 {vocab_digest(vocab.words)[:12]}) does not match "
            f"checkpoint {checkpoint_path} (trained with {stored_size} words, sha1 {str(stored_sha)[:12]}): "
            "restore the vocabulary the checkpoint was trained with, or use a new output directory")


def _load_init_weights(module: BiLMPretrainer, init_from: Sequence[str | Path] | str | Path) -> str:
    """Load biLM weights (the softmax stays new) from ``(options, weights)`` or a Lightning checkpoint."""
    paths = [Path(p) for p in ([init_from] if isinstance(init_from, (str, Path)) else init_from)]
    if len(paths) == 2:
        load_official_weights(module.bilm, paths[1], options_source=paths[0])
        return f"{paths[0]} + {paths[1]}"
    if len(paths) == 1 and paths[0].suffix == ".ckpt":
        state = torch.load(paths[0], map_location="cpu", weights_only=True)["state_dict"]
        own = module.bilm.state_dict()
        loaded = {}
        for name, tensor in own.items():
            key = f"bilm.{name}"
            if key not in state:
                raise WeightsMismatchError(f"checkpoint {paths[0]} has no tensor {key}")
            if tuple(state[key].shape) != tuple(tensor.shape):
                raise WeightsMismatchError(f"{paths[0]}: tensor {key} has shape {tuple(state[key].shape)}, "
                                           f"the model expects {tuple(tensor.shape)}")
            loaded[name] = state[key]
        module.bilm.load_state_dict(loaded)
        return str(paths[0])
    raise ValueError(f"init_from must be (options.json, weights.hdf5) or one .ckpt file, got {init_from}")


def _init_options(init_from) -> dict[str, Any]:
    paths = [Path(p) for p in ([init_from] if isinstance(init_from, (str, Path)) else init_from)]
    if len(paths) == 2:
        return load_options(paths[0])
    if len(paths) == 1 and paths[0].suffix == ".ckpt":
        return torch.load(paths[0], map_location="cpu", weights_only=True)["hyper_parameters"]["options"]
    raise ValueError(f"init_from must be (options.json, weights.hdf5) or one .ckpt file, got {init_from}")


def pretrain_bilm(train_files: str | Path | Sequence[str | Path], heldout_file: str | Path | None, out_dir: str | Path,
                  preset: str = "tiny", epochs: int | None = None, seed: int = 0, max_steps: int | None = None,
                  devices: int | str = 1, num_nodes: int = 1, strategy: str = "auto", accelerator: str = "cpu",
                  init_from: Sequence[str | Path] | str | Path | None = None, progress: bool = True,
                  batch_size: int | None = None, lr: float | None = None, heldout_fraction: float | None = None,
                  max_sentence_length: int | None = None, min_count: int | None = None,
                  num_sampled: int | None = None, dropout: float | None = None, num_workers: int = 0,
                  checkpoint_every_n_steps: int | None = None, max_time: str | None = None,
                  threads: int | None = None) -> dict[str, Any]:
    """Train a biLM on ``train_files`` (file, directory, glob or list), export it to ``out_dir``.

    Held-out text: ``heldout_file``, or else every ``round(1/heldout_fraction)``-th line of the
    training files. ``init_from`` = ``(options.json, weights.hdf5)`` or a ``.ckpt``: continue
    training that biLM (domain adaptation; architecture from there, new softmax for the new
    vocabulary). ``None`` arguments take the preset's value.

    ``max_time`` (``"DD:HH:MM:SS"``, Lightning's ``max_time``) ends training after that much
    wall time (checked after every step); the biLM is exported as after a finished run.
    ``threads`` sets ``torch.set_num_threads`` (the number is shown in the progress bar).
    SIGTERM / Ctrl-C: the weights so far are exported with ``"complete": false`` and
    ``"interrupted"`` naming the signal in the result file, and :class:`PretrainInterrupted`
    is raised (the CLI exits non-zero); re-running the same command resumes.

    Returns a dict with ``options``, ``weights``, ``vocab`` (paths), ``heldout_perplexity``
    (one record per evaluation: epoch, step, forward/backward/mean perplexity),
    ``final_heldout_perplexity``, ``unigram_perplexity``, ``words_per_second``, corpus
    statistics and ``request`` (the arguments that identify the run).
    """
    out_dir = Path(out_dir)
    config = get_preset(preset).with_overrides(
        epochs=epochs, batch_size=batch_size, lr=lr, max_sentence_length=max_sentence_length,
        min_count=min_count, num_sampled=num_sampled, dropout=dropout,
        checkpoint_every_n_steps=checkpoint_every_n_steps)
    train_paths = resolve_corpus_files(train_files)
    heldout_paths = resolve_corpus_files(heldout_file) if heldout_file is not None else None
    holdout_every = None
    if heldout_paths is None and heldout_fraction:
        if not 0 < heldout_fraction < 1:
            raise ValueError(f"heldout_fraction must be in (0, 1), got {heldout_fraction}")
        holdout_every = max(2, round(1 / heldout_fraction))
    request = json.loads(json.dumps({
        "train": [str(p) for p in train_paths], "heldout": [str(p) for p in heldout_paths or []],
        "holdout_every": holdout_every, "preset": preset, "epochs": config.epochs, "max_steps": max_steps,
        "seed": seed, "batch_size": config.batch_size, "lr": config.lr, "dropout": config.dropout,
        "max_sentence_length": config.max_sentence_length, "min_count": config.min_count,
        "num_sampled": config.num_sampled, "max_time": max_time, "init_from": None if init_from is None else (
            [str(init_from)] if isinstance(init_from, (str, Path)) else [str(p) for p in init_from]),
    }))
    done = completed_result(out_dir, request)
    if done is not None:
        return done
    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
    out_dir.mkdir(parents=True, exist_ok=True)
    checkpoint_dir = out_dir / "checkpoints"
    last_checkpoint = checkpoint_dir / LAST_CHECKPOINT

    # -- corpus, vocabulary, baseline
    train_counts, train_stats = scan_corpus(train_paths, config.max_sentence_length, holdout_every, "train")
    heldout_counts, heldout_stats = Counter(), CorpusStats()
    if heldout_paths is not None:
        heldout_counts, heldout_stats = scan_corpus(heldout_paths, config.max_sentence_length, None, "train")
    elif holdout_every is not None:
        heldout_counts, heldout_stats = scan_corpus(train_paths, config.max_sentence_length, holdout_every,
                                                    "heldout")
    vocab_path = out_dir / VOCAB_NAME
    built = Vocabulary.from_counts(train_counts, config.min_count, config.max_vocab_size)
    if vocab_path.is_file() and last_checkpoint.is_file():
        vocab = Vocabulary.load(vocab_path)  # resuming: the vocabulary the checkpoint was trained with
        _check_checkpoint_vocab(last_checkpoint, vocab, vocab_path)
        if vocab.words != built.words:
            # another corpus or --min-count / vocabulary size than the interrupted run's: resuming would
            # quietly train on with the old settings (and a vocabulary these settings do not build)
            raise VocabularyError(
                f"{out_dir} holds an interrupted pretraining whose vocabulary ({len(vocab)} words, {vocab_path}) "
                f"is not the one these settings build from this corpus ({len(built)} words: min count "
                f"{config.min_count}, at most {config.max_vocab_size or 'any number of'} words): re-run with the "
                "--train files and settings it was started with to resume it, or use a new --out")
    else:
        vocab = built
        vocab.save(vocab_path)
        if last_checkpoint.is_file():  # a checkpoint without its vocabulary file: it must fit the rebuilt one
            _check_checkpoint_vocab(last_checkpoint, vocab, vocab_path)
    unigram_ppl = (unigram_perplexity(vocab, train_counts, train_stats.sentences, heldout_counts,
                                      heldout_stats.sentences) if heldout_stats.sentences else None)

    # -- model
    pl.seed_everything(seed, workers=True, verbose=False)
    options = _init_options(init_from) if init_from is not None else config.options_copy()
    module = BiLMPretrainer(options, len(vocab), vocab_sha1=vocab_digest(vocab.words), dropout=config.dropout,
                            optimizer=config.optimizer, lr=config.lr, num_sampled=config.num_sampled, seed=seed)
    initialised_from = _load_init_weights(module, init_from) if init_from is not None else None

    # -- data and trainer
    train_stream = SentenceBatchStream(train_paths, config.batch_size, config.max_sentence_length,
                                       train_stats.sentences, seed=seed, holdout_every=holdout_every)
    heldout_stream = None
    if heldout_paths is not None:
        heldout_stream = EvalBatchStream(heldout_paths, config.batch_size, config.max_sentence_length, None, "train")
    elif holdout_every is not None:
        heldout_stream = EvalBatchStream(train_paths, config.batch_size, config.max_sentence_length, holdout_every,
                                         "heldout")
    data = PretrainDataModule(train_stream, heldout_stream, LMBatchCollator(vocab), num_workers=num_workers)
    throughput = ThroughputCallback()
    interrupt = InterruptCheckpoint(str(last_checkpoint))
    checkpointing = ModelCheckpoint(dirpath=checkpoint_dir, save_last=True, save_top_k=0,
                                    every_n_train_steps=config.checkpoint_every_n_steps)
    trainer = pl.Trainer(
        accelerator=accelerator, devices=devices, num_nodes=num_nodes, strategy=strategy,
        max_epochs=config.epochs, max_steps=-1 if max_steps is None else max_steps,
        gradient_clip_val=config.grad_clip, num_sanity_val_steps=0, deterministic=True, log_every_n_steps=10,
        max_time=max_time,
        callbacks=[checkpointing, StreamEpochCallback(train_stream), throughput,
                   FinalStepCheckpoint(str(last_checkpoint)), interrupt]
        + ([ThreadsProgressBar()] if progress else []),
        logger=CSVLogger(str(out_dir), name="logs"), enable_progress_bar=progress,
        enable_model_summary=progress, default_root_dir=str(out_dir))
    if not progress:
        logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)
    # Our stream splits work across workers itself (see corpus.SentenceBatchStream).
    warnings.filterwarnings("ignore", message="Your `IterableDataset` has `__len__` defined")
    # Our stream resumes inside an epoch itself (PretrainDataModule.train_dataloader skips ahead).
    warnings.filterwarnings("ignore", message="You're resuming from a checkpoint that ended before the epoch")
    try:
        trainer.fit(module, datamodule=data,
                    ckpt_path=str(last_checkpoint) if last_checkpoint.is_file() else None)
    except (SystemExit, KeyboardInterrupt) as stop:
        # Lightning turns SIGTERM into SIGTERMException (a SystemExit with code 0) and Ctrl-C into
        # sys.exit(1): either would end the process without the weights trained so far.
        signal_name = "SIGTERM" if isinstance(stop, SIGTERMException) else "SIGINT"
        partial = {"request": request, "complete": False, "interrupted": signal_name,
                   "global_step": int(trainer.global_step), "checkpoint": str(last_checkpoint),
                   "words_per_second": throughput.words_per_second(trainer), "vocab_size": len(vocab),
                   "train_stats": train_stats.as_dict(), "preset_options": options, "threads": torch.get_num_threads()}
        if trainer.is_global_zero:
            module.bilm.eval()
            partial = export_run(module.bilm, vocab, out_dir, partial, complete=False)
        raise PretrainInterrupted(signal_name, partial) from None
    if max_steps is None or trainer.global_step < max_steps:
        trainer.save_checkpoint(str(last_checkpoint))  # finished all epochs (else FinalStepCheckpoint saved)
    history = module.heldout_history
    if heldout_stream is not None and (not history or history[-1]["step"] != trainer.global_step):
        trainer.validate(module, datamodule=data, verbose=False)
    words_per_second = throughput.words_per_second(trainer)

    result = {
        "request": request, "checkpoint": str(last_checkpoint), "initialised_from": initialised_from,
        "heldout_perplexity": module.heldout_history,
        "final_heldout_perplexity": module.heldout_history[-1]["heldout_ppl"] if module.heldout_history else None,
        "unigram_perplexity": unigram_ppl, "words_per_second": words_per_second,
        "global_step": int(trainer.global_step), "epochs_completed": int(trainer.current_epoch),
        "vocab_size": len(vocab), "train_stats": train_stats.as_dict(), "heldout_stats": heldout_stats.as_dict(),
        "world_size": trainer.world_size, "preset_options": options, "threads": torch.get_num_threads(),
        "stopped_by_max_time": bool(max_time) and trainer.current_epoch < config.epochs
        and (max_steps is None or trainer.global_step < max_steps),
    }
    if trainer.is_global_zero:
        module.bilm.eval()
        result = export_run(module.bilm, vocab, out_dir, result)
    trainer.strategy.barrier()
    if not trainer.is_global_zero:
        result = dict(result, options=str(out_dir / "options.json"), weights=str(out_dir / "weights.hdf5"),
                      vocab=str(out_dir / VOCAB_NAME), result_file=str(out_dir / RESULT_NAME))
    return result


__all__ = ["CorpusError", "PretrainInterrupted", "VocabularyError", "pretrain_bilm", "unigram_perplexity"]

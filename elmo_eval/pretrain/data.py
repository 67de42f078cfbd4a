"""Lightning glue for the streams: data module, per-epoch ordering, throughput.

Ordering: the training stream's order depends on ``(seed, epoch, rank)``. The epoch
(and, when resuming mid-epoch, the number of batches already trained) is handed to
the stream in the main process before each epoch's iterator is created:
``train_dataloader()`` runs after Lightning restored a checkpoint (first epoch of a
run), :class:`StreamEpochCallback` at every later epoch start.
"""
from __future__ import annotations

import time

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import TQDMProgressBar
from pytorch_lightning.utilities.exceptions import SIGTERMException
from torch.utils.data import DataLoader

from .batching import LMBatchCollator
from .corpus import EvalBatchStream, SentenceBatchStream


class PretrainDataModule(pl.LightningDataModule):
    """Training and held-out loaders over :class:`SentenceBatchStream` / :class:`EvalBatchStream`."""

    def __init__(self, train_stream: SentenceBatchStream, heldout_stream: EvalBatchStream | None,
                 collator: LMBatchCollator, num_workers: int = 0):
        super().__init__()
        self.train_stream = train_stream
        self.heldout_stream = heldout_stream
        self.collator = collator
        self.num_workers = num_workers

    def setup(self, stage: str) -> None:
        rank, world = self.trainer.global_rank, self.trainer.world_size
        self.train_stream.set_distributed(rank, world)
        if self.heldout_stream is not None:
            self.heldout_stream.set_distributed(rank, world)

    def _loader(self, stream) -> DataLoader:
        # batch_size=None: the stream already yields batches; collate turns one into tensors.
        # Own generator: creating a loader iterator draws a worker seed, which must not consume the
        # global RNG (dropout / sampled softmax draw from it; a resumed run must replay them exactly).
        return DataLoader(stream, batch_size=None, collate_fn=self.collator, num_workers=self.num_workers,
                          persistent_workers=False, generator=torch.Generator().manual_seed(0))

    def train_dataloader(self) -> DataLoader:
        fit_loop = self.trainer.fit_loop
        # A mid-epoch checkpoint is taken in on_train_batch_end: that batch is "processed"
        # (its optimizer step is in the weights) but not yet "completed".
        done = fit_loop.epoch_loop.batch_progress.current.processed if fit_loop.restarting else 0
        self.train_stream.set_epoch(self.trainer.current_epoch, done if done < len(self.train_stream) else 0)
        return self._loader(self.train_stream)

    def val_dataloader(self):
        return [] if self.heldout_stream is None else self._loader(self.heldout_stream)


class StreamEpochCallback(pl.Callback):
    """Select each new epoch's order in the training stream (before its iterator starts)."""

    def __init__(self, stream: SentenceBatchStream):
        self.stream = stream

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.stream.set_epoch(trainer.current_epoch, 0)


class ThroughputCallback(pl.Callback):
    """Training words per second: time inside training batches only (no validation or
    checkpointing), words = real tokens (boundaries excluded), summed over DDP ranks."""

    def __init__(self):
        self.words = 0
        self.seconds = 0.0
        self._started = 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_index) -> None:
        self._started = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_index) -> None:
        self.seconds += time.perf_counter() - self._started
        self.words += batch.num_words

    def words_per_second(self, trainer: pl.Trainer) -> float:
        local = torch.tensor([float(self.words), self.seconds], dtype=torch.float64)
        total = trainer.strategy.reduce(local, reduce_op="sum") if trainer.world_size > 1 else local
        # Ranks run in parallel: global rate = all words / mean time per rank.
        mean_seconds = float(total[1]) / trainer.world_size
        return float(total[0]) / mean_seconds if mean_seconds > 0 else 0.0


class FinalStepCheckpoint(pl.Callback):
    """Save ``path`` right after the step that reaches ``max_steps``: a mid-epoch state, so a
    later run with a larger budget continues that epoch (a checkpoint taken after ``fit``
    returns would mark the epoch as finished)."""

    def __init__(self, path: str):
        self.path = path

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_index) -> None:
        if 0 < trainer.max_steps <= trainer.global_step:
            trainer.save_checkpoint(self.path)


class InterruptCheckpoint(pl.Callback):
    """On SIGTERM save ``path``: Lightning raises it between steps, so the state is consistent
    and a re-run resumes exactly there. (Ctrl-C can land inside a step: the last periodic
    checkpoint stays the resume point.)"""

    def __init__(self, path: str):
        self.path = path

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        if isinstance(exception, SIGTERMException):
            trainer.save_checkpoint(self.path)


class ThreadsProgressBar(TQDMProgressBar):
    """The training bar with the number of torch threads in use, and the epoch's total kept
    when a run resumes mid-epoch (the bar then starts at the batches already trained)."""

    def get_metrics(self, trainer, pl_module):
        return {**super().get_metrics(trainer, pl_module), "threads": torch.get_num_threads()}

    def on_train_start(self, trainer, pl_module) -> None:
        super().on_train_start(trainer, pl_module)
        # Resuming mid-epoch, Lightning does not call on_train_epoch_start for the restored epoch,
        # so the bar would stay "Training: n/?". Give it the epoch, its total and the batches done.
        done = trainer.fit_loop.epoch_loop.batch_progress.current.ready
        if done and not self.train_progress_bar.disable:
            self.train_progress_bar.reset(total=trainer.num_training_batches)
            self.train_progress_bar.initial = 0
            self.train_progress_bar.n = done
            self.train_progress_bar.set_description(f"Epoch {trainer.current_epoch}")
            self.train_progress_bar.refresh()

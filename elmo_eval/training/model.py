"""The LightningModule that wires token features, ELMo representation(s), a task head and its metric.

Only the model lives here; the engineering (trainer, checkpoints, early
stopping, logging) is in :mod:`elmo_eval.training.fit`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytorch_lightning as pl
import torch
from torch import nn

from elmo_eval.modules.char_cnn_embedder import CharCNNEmbedder
from elmo_eval.representations.config import RepresentationConfig
from elmo_eval.representations.modules import build_representation
from elmo_eval.specs import Hyperparameters
from elmo_eval.training.embedder import TokenEmbedder
from elmo_eval.training.fields import Batch
from elmo_eval.word_vectors import PretrainedVectors, Vocabulary, WordEmbedding


class TaskModel(pl.LightningModule):
    """Embedder (input) + optional output representation + head, trained on the task's loss.

    ``hp.embedder`` builds the input side, ``hp.trainer`` the optimiser (the rest of it is the
    trainer's, :mod:`elmo_eval.training.fit`), ``hp.head`` goes to ``task.build_head`` as keywords.
    """

    def __init__(self, task, rep: RepresentationConfig, hp: Hyperparameters, vocab: Vocabulary,
                 vectors: PretrainedVectors | None, layer_shape: tuple[int, int] | None, seed: int = 0):
        super().__init__()
        self.task, self.rep, self.hp = task, rep, hp
        embedding = hp.embedder
        words = None
        if rep.word:
            words = WordEmbedding(vocab, vectors, dim=embedding.word_dim, trainable=embedding.word_trainable,
                                  seed=seed)
        use_chars = rep.char_cnn if rep.char_cnn is not None else embedding.char_cnn is not None
        chars = None
        if use_chars:  # the representation may ask for characters the profile does not size: the defaults
            sizes = dataclasses.asdict(embedding.char_cnn) if embedding.char_cnn is not None else {}
            chars = CharCNNEmbedder(**sizes)

        def representation():
            if layer_shape is None:
                raise ValueError(f"representation {rep.name!r} needs ELMo layers but no layer source was given")
            return build_representation(rep.elmo, layer_shape[0], layer_shape[1], l2_lambda=rep.l2_lambda,
                                        do_layer_norm=rep.layer_norm, dropout=embedding.elmo_dropout)

        self.embedder = TokenEmbedder(words, chars, representation() if rep.at_input else None,
                                      dropout=embedding.dropout)
        self.output_elmo = representation() if rep.at_output else None
        out_dim = self.output_elmo.output_dim if self.output_elmo is not None else 0
        self.head: nn.Module = task.build_head(self.embedder.output_dim, out_dim, **hp.head)
        self.dev_instances: Sequence = []
        self._val_outputs: list[tuple[int, object]] = []
        self.dev_history: list[dict] = []

    # --- forward ------------------------------------------------------------
    def forward(self, batch: Batch) -> dict:
        inputs = {name: self.embedder(f) for name, f in batch.fields.items()}
        outputs = None
        if self.output_elmo is not None:
            outputs = {name: self.output_elmo(f.layers, f.mask) for name, f in batch.fields.items()}
        return self.head(inputs, outputs, batch)

    def representations(self) -> dict[str, nn.Module]:
        found = {"input": self.embedder.elmo, "output": self.output_elmo}
        return {k: v for k, v in found.items() if v is not None}

    def layer_weights(self) -> dict[str, dict]:
        """Learned softmax layer weights and gamma per placement (for Figure 2)."""
        return {k: {"weights": r.layer_weights(), "gamma": float(r.gamma.detach())}
                for k, r in self.representations().items()}

    def transfer_batch_to_device(self, batch: Batch, device, dataloader_idx: int = 0) -> Batch:
        return batch.to(device)

    # --- training -----------------------------------------------------------
    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        output = self(batch)
        penalty = sum((r.penalty() for r in self.representations().values()), torch.zeros((), device=self.device))
        loss = output["loss"] + penalty
        self.log("train_loss", output["loss"].detach(), prog_bar=True, batch_size=len(batch))
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        output = self(batch)
        self._val_outputs.extend(zip(batch.indices, self.task.decode(output, batch)))

    def on_validation_epoch_end(self) -> None:
        gathered = self._val_outputs
        if self.trainer.world_size > 1 and torch.distributed.is_initialized():
            parts: list = [None] * self.trainer.world_size
            torch.distributed.all_gather_object(parts, gathered)
            gathered = [item for part in parts for item in part]
        self._val_outputs = []
        by_index = dict(gathered)
        if len(by_index) != len(self.dev_instances):
            return  # sanity-check pass over a few batches only
        predictions = [by_index[i] for i in range(len(self.dev_instances))]
        metrics = self.task.evaluate(self.dev_instances, predictions, breakdown=False)
        self.dev_history.append({"epoch": self.current_epoch, **metrics})
        self.log("dev_metric", float(metrics[self.task.main_metric]), prog_bar=True, sync_dist=False)
        for key, value in metrics.items():
            if isinstance(value, (int, float)):
                self.log(f"dev_{key}", float(value))

    def configure_optimizers(self):
        params = [p for p in self.parameters() if p.requires_grad]
        trainer = self.hp.trainer
        if trainer.optimizer == "adam":
            opt = torch.optim.Adam(params, lr=trainer.lr, betas=tuple(trainer.adam_betas),
                                   weight_decay=trainer.weight_decay)
        elif trainer.optimizer == "adadelta":
            opt = torch.optim.Adadelta(params, lr=trainer.lr, rho=trainer.rho, eps=1e-6)
        elif trainer.optimizer == "sgd":
            opt = torch.optim.SGD(params, lr=trainer.lr, momentum=trainer.momentum)
        else:
            raise ValueError(f"unknown optimizer {trainer.optimizer!r}")
        if trainer.plateau_patience is None:
            return opt
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5,
                                                           patience=trainer.plateau_patience)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "dev_metric"}}

"""The LightningModule that wires token features, ELMo representation(s), a task head and its metric.

Only the model lives here; the engineering (trainer, checkpoints, early
stopping, logging) is in :mod:`elmo_eval.training.fit`.
"""
from __future__ import annotations

from collections.abc import Sequence

import pytorch_lightning as pl
import torch
from torch import nn

from elmo_eval.modules.char_cnn_embedder import CharCNNEmbedder
from elmo_eval.representations.modules import build_representation
from elmo_eval.representations.config import RepresentationConfig
from elmo_eval.training.embedder import TokenEmbedder
from elmo_eval.training.fields import Batch
from elmo_eval.word_vectors import PretrainedVectors, Vocabulary, WordEmbedding


class TaskModel(pl.LightningModule):
    """Embedder (input) + optional output representation + head, trained on the task's loss.

    ``hp`` keys used here: ``lr``, ``optimizer`` (adam | adadelta | sgd), ``weight_decay``,
    ``dropout`` (on the concatenated input), ``elmo_dropout``, ``word_dim`` (when no vectors),
    ``word_trainable``, ``char_cnn`` (dict with char_dim, num_filters, width, or false),
    ``adam_betas``, ``plateau_patience``. Everything else is the head's.
    """

    def __init__(self, task, rep: RepresentationConfig, hp: dict, vocab: Vocabulary,
                 vectors: PretrainedVectors | None, layer_shape: tuple[int, int] | None, seed: int = 0):
        super().__init__()
        self.task, self.rep, self.hp = task, rep, dict(hp)
        words = None
        if rep.word:
            words = WordEmbedding(vocab, vectors, dim=hp.get("word_dim", 50),
                                  trainable=hp.get("word_trainable", False), seed=seed)
        char_hp = hp.get("char_cnn", False)
        use_chars = rep.char_cnn if rep.char_cnn is not None else bool(char_hp)
        chars = CharCNNEmbedder(**(char_hp if isinstance(char_hp, dict) else {})) if use_chars else None

        def representation():
            if layer_shape is None:
                raise ValueError(f"representation {rep.name!r} needs ELMo layers but no layer source was given")
            return build_representation(rep.elmo, layer_shape[0], layer_shape[1], l2_lambda=rep.l2_lambda,
                                        do_layer_norm=rep.layer_norm, dropout=hp.get("elmo_dropout", 0.0))

        self.embedder = TokenEmbedder(words, chars, representation() if rep.at_input else None,
                                      dropout=hp.get("dropout", 0.0))
        self.output_elmo = representation() if rep.at_output else None
        out_dim = self.output_elmo.output_dim if self.output_elmo is not None else 0
        self.head: nn.Module = task.build_head(self.embedder.output_dim, out_dim, self.hp)
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
        metrics = self.task.evaluate(self.dev_instances, predictions)
        self.dev_history.append({"epoch": self.current_epoch, **metrics})
        self.log("dev_metric", float(metrics[self.task.main_metric]), prog_bar=True, sync_dist=False)
        for key, value in metrics.items():
            if isinstance(value, (int, float)):
                self.log(f"dev_{key}", float(value))

    def configure_optimizers(self):
        params = [p for p in self.parameters() if p.requires_grad]
        name = self.hp.get("optimizer", "adam")
        lr = self.hp.get("lr", 1e-3)
        if name == "adam":
            opt = torch.optim.Adam(params, lr=lr, betas=tuple(self.hp.get("adam_betas", (0.9, 0.999))),
                                   weight_decay=self.hp.get("weight_decay", 0.0))
        elif name == "adadelta":
            opt = torch.optim.Adadelta(params, lr=lr, rho=self.hp.get("rho", 0.95), eps=1e-6)
        elif name == "sgd":
            opt = torch.optim.SGD(params, lr=lr, momentum=self.hp.get("momentum", 0.9))
        else:
            raise ValueError(f"unknown optimizer {name!r}")
        if self.hp.get("plateau_patience") is None:
            return opt
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5,
                                                           patience=self.hp["plateau_patience"])
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "dev_metric"}}

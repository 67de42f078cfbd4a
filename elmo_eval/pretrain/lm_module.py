"""Lightning module that trains ELMo's biLM as two language models over one softmax.

The network is :class:`~elmo_eval.encoders.bilm.ElmoBiLM` itself (char CNN,
highway, projection, 2-layer LSTM stacks with projection, clipping and the
residual), so the trained weights export to the original format unchanged.
Training adds what the frozen extractor does not have: dropout on the LSTM
input and on the top-layer output (bilm-tf also drops between the two LSTM
layers; the encoder's ``ElmoLstm`` has no hook for that) and a
:class:`~elmo_eval.pretrain.softmax.SharedSoftmax` used by both directions.
"""
from __future__ import annotations

import hashlib
import math
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn

from ..encoders.bilm import ElmoBiLM
from .batching import LMBatch
from .softmax import SharedSoftmax


def vocab_digest(words: list[str]) -> str:
    """SHA-1 of the vocabulary (one word per line): ties a checkpoint to its vocabulary file."""
    return hashlib.sha1(("\n".join(words) + "\n").encode("utf-8")).hexdigest()


class BiLMPretrainer(pl.LightningModule):
    """Forward + backward LM loss of an :class:`ElmoBiLM`.

    ``training_step`` loss = (mean forward NLL + mean backward NLL) / 2 over the batch's
    targets. Validation accumulates summed NLL and target counts (all DDP ranks) and
    records per epoch ``heldout_ppl_forward``/``_backward`` = exp(mean NLL) and
    ``heldout_ppl`` = their average (the paper's "mean fwd/bwd perplexity").
    """

    def __init__(self, options: dict[str, Any], vocab_size: int, vocab_sha1: str = "", dropout: float = 0.1,
                 optimizer: str = "adam", lr: float = 1e-3, num_sampled: int | None = None, seed: int = 0):
        super().__init__()
        self.save_hyperparameters()
        self.bilm = ElmoBiLM.from_options(options, seed=seed)
        projection_dim = self.bilm.projection_dim
        self.softmax = SharedSoftmax(vocab_size, projection_dim, num_sampled)
        self.softmax.reset_parameters(torch.Generator().manual_seed(seed + 1))
        self.dropout = nn.Dropout(dropout)
        self.heldout_history: list[dict[str, float]] = []
        self._heldout_sums = torch.zeros(4, dtype=torch.float64)

    # ------------------------------------------------------------------ network
    def directional_states(self, char_ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Top-layer outputs ``(forward [B, T, P], backward [B, T, P])`` for boundary-included
        ``char_ids [B, T, 50]`` and ``mask [B, T]`` (``<S>``/``</S>`` are real positions here)."""
        batch, steps = mask.shape
        token_vectors = self.bilm.char_cnn(char_ids[mask])  # [n_real, P]: padding never reaches the CNN
        embedded = token_vectors.new_zeros(batch, steps, self.bilm.projection_dim).index_put((mask,), token_vectors)
        top = self.bilm.lstm(self.dropout(embedded), mask)[-1]  # [B, T, 2P]
        top = self.dropout(top)
        return top[..., :self.bilm.projection_dim], top[..., self.bilm.projection_dim:]

    def nll_sums(self, batch: LMBatch) -> torch.Tensor:
        """``[4]``: summed forward NLL, forward targets, summed backward NLL, backward targets."""
        forward_states, backward_states = self.directional_states(batch.char_ids, batch.mask)
        sums = []
        for states, targets in ((forward_states, batch.forward_targets), (backward_states, batch.backward_targets)):
            selected = targets >= 0
            nll = self.softmax(states[selected], targets[selected])
            sums += [nll.sum(), nll.new_tensor(float(selected.sum()))]
        return torch.stack(sums)

    # ------------------------------------------------------------------ training
    def training_step(self, batch: LMBatch, batch_index: int) -> torch.Tensor:
        sums = self.nll_sums(batch)
        forward_loss, backward_loss = sums[0] / sums[1], sums[2] / sums[3]
        loss = (forward_loss + backward_loss) / 2
        self.log("train_loss", loss, prog_bar=True, batch_size=batch.char_ids.shape[0])
        self.log("train_ppl", torch.exp(loss.detach()), prog_bar=True, batch_size=batch.char_ids.shape[0])
        return loss

    def configure_optimizers(self):
        name = self.hparams.optimizer
        if name == "adam":
            return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        if name == "adagrad":
            # bilm-tf: Adagrad with initial accumulator 1.0.
            return torch.optim.Adagrad(self.parameters(), lr=self.hparams.lr, initial_accumulator_value=1.0)
        raise ValueError(f"unknown optimizer {name!r} (expected 'adam' or 'adagrad')")

    # ------------------------------------------------------------------ held-out perplexity
    def on_validation_epoch_start(self) -> None:
        self._heldout_sums = torch.zeros(4, dtype=torch.float64, device=self.device)

    def validation_step(self, batch: LMBatch, batch_index: int) -> None:
        self._heldout_sums += self.nll_sums(batch).detach().to(torch.float64)

    def on_validation_epoch_end(self) -> None:
        sums = self.trainer.strategy.reduce(self._heldout_sums, reduce_op="sum")
        if float(sums[1]) == 0:
            return
        forward_ppl = math.exp(float(sums[0] / sums[1]))
        backward_ppl = math.exp(float(sums[2] / sums[3]))
        record = {"epoch": int(self.current_epoch), "step": int(self.global_step),
                  "heldout_ppl_forward": forward_ppl, "heldout_ppl_backward": backward_ppl,
                  "heldout_ppl": (forward_ppl + backward_ppl) / 2}
        if not self.trainer.sanity_checking:
            self.heldout_history.append(record)
        for key in ("heldout_ppl", "heldout_ppl_forward", "heldout_ppl_backward"):
            # Already summed over ranks: the sync averages identical values and keeps Lightning quiet.
            self.log(key, record[key], prog_bar=key == "heldout_ppl", sync_dist=True)
        self.print(f"epoch {record['epoch']} step {record['step']}: held-out perplexity forward "
                   f"{forward_ppl:.2f} backward {backward_ppl:.2f} mean {record['heldout_ppl']:.2f}")

    # ------------------------------------------------------------------ exact resume
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # Lightning does not store RNG states; dropout and sampled softmax need them for
        # a resumed run to reproduce an uninterrupted one.
        checkpoint["elmo_pretrain"] = {"heldout_history": list(self.heldout_history),
                                       "torch_rng_state": torch.get_rng_state(),
                                       "vocab_sha1": self.hparams.vocab_sha1}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        extra = checkpoint.get("elmo_pretrain", {})
        self.heldout_history = list(extra.get("heldout_history", []))
        if "torch_rng_state" in extra:
            torch.set_rng_state(extra["torch_rng_state"])

"""The frozen ELMo biLM: char ids -> a stack of layers ``[batch, layers, time, dim]`` + mask.

Submodules (the pretraining code relies on these names):
  - ``bilm.char_cnn``: :class:`~elmo_eval.encoders.char_cnn.CharacterCNN` (ids -> ``e``)
  - ``bilm.lstm``: :class:`~elmo_eval.encoders.elmo_lstm.ElmoLstm` (forward/backward stacks)

Pretraining (:mod:`elmo_eval.pretrain.lm_module`) calls neither :meth:`ElmoBiLM.forward` nor
:meth:`ElmoBiLM.forward_with_boundaries`: its batches already hold ``<S>``/``</S>``, and it runs
``bilm.char_cnn`` on the real positions only and ``bilm.lstm`` itself, with dropout on the LSTM's
input and output. :meth:`ElmoBiLM.forward_with_boundaries` is the first half of :meth:`ElmoBiLM.forward`
(the layers with the boundary positions still in place).

The computation follows the original bilm-tf / AllenNLP model: sentence
boundaries ``<S>``/``</S>`` are added internally around each sentence (callers
never add them) and removed from the output; layer 0 is ``[e, e]`` (the char
CNN output duplicated to ``2*projection_dim``); layers 1.. are ``[forward, backward]``
LSTM outputs. Padding positions are zero in every layer and False in the mask.
"""
from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .char_cnn import CharacterCNN
from .char_ids import BOS_IDS, EOS_IDS, batch_to_char_ids
from .elmo_lstm import ElmoLstm
from .official_format import load_official_weights, load_options, validate_options


class ElmoBiLM(nn.Module):
    """ELMo's bidirectional LM used as a (frozen) feature extractor.

    Attributes: ``options`` (the options.json dict), ``num_layers`` (= lstm layers + 1),
    ``output_dim`` (= 2 * projection_dim), ``projection_dim``, ``char_cnn``, ``lstm``.
    """

    def __init__(self, options: dict[str, Any], stateful: bool = False):
        super().__init__()
        validate_options(options, source="options")
        self.options = copy.deepcopy(options)
        cnn_options = options["char_cnn"]
        lstm_options = options["lstm"]
        self.projection_dim = int(lstm_options["projection_dim"])
        self.char_cnn = CharacterCNN(
            char_dim=int(cnn_options["embedding"]["dim"]),
            filters=cnn_options["filters"],
            n_highway=int(cnn_options["n_highway"]),
            projection_dim=self.projection_dim,
            activation=cnn_options.get("activation", "relu"),
            n_characters=int(cnn_options.get("n_characters", 262)),
        )
        self.lstm = ElmoLstm(
            input_dim=self.projection_dim,
            cell_dim=int(lstm_options["dim"]),
            projection_dim=self.projection_dim,
            num_layers=int(lstm_options["n_layers"]),
            cell_clip=_optional_float(lstm_options.get("cell_clip")),
            proj_clip=_optional_float(lstm_options.get("proj_clip")),
            stateful=stateful,
        )
        self.num_layers = self.lstm.num_layers + 1
        self.output_dim = 2 * self.projection_dim

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_options(cls, options: dict[str, Any], seed: int | None = None, stateful: bool = False) -> ElmoBiLM:
        """Randomly initialised model (bilm-tf's init); the same seed gives the same weights."""
        bilm = cls(options, stateful=stateful)
        generator = None
        if seed is not None:
            generator = torch.Generator().manual_seed(seed)
        bilm.char_cnn.reset_parameters(generator)
        bilm.lstm.reset_parameters(generator)
        return bilm

    @classmethod
    def from_official(cls, options_file: str | Path, weights_file: str | Path, stateful: bool = False
                      ) -> ElmoBiLM:
        """Load a released model (``options.json`` + bilm-tf ``weights.hdf5``); the two must describe one
        model (see :func:`~.official_format.load_official_weights`)."""
        bilm = cls(load_options(options_file), stateful=stateful)
        load_official_weights(bilm, weights_file, options_source=options_file)
        bilm.eval()
        return bilm

    def reset_states(self) -> None:
        """Stateful mode: forget the LSTM state carried between calls."""
        self.lstm.reset_states()

    # ------------------------------------------------------------------ computation
    def _embed_masked(self, char_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``e`` ``[B, T, P]`` computed only for positions where ``mask`` ``[B, T]`` is True
        (zeros elsewhere: padding rows never reach the CNN)."""
        batch, steps = mask.shape
        embedded = self.char_cnn(char_ids[mask])  # [n_real, P]
        out = embedded.new_zeros(batch, steps, self.projection_dim)
        return out.index_put((mask,), embedded)

    def token_embedding(self, char_ids: torch.Tensor) -> torch.Tensor:
        """Context-independent token vectors ``e``: ``[B, T, 50]`` -> ``[B, T, P]`` (0 at padding)."""
        return self._embed_masked(char_ids, (char_ids > 0).any(dim=-1))

    def add_boundaries(self, char_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``[B, T, 50]`` right-padded ids -> ``(ids [B, T+2, 50], mask [B, T+2])`` with ``<S>`` at
        position 0 and ``</S>`` right after each row's last token (an empty row gets ``<S></S>``)."""
        batch, steps, _ = char_ids.shape
        lengths = (char_ids > 0).any(dim=-1).sum(dim=1)  # [B]
        positions = torch.arange(steps + 2, device=char_ids.device).unsqueeze(0)
        full_mask = positions < (lengths + 2).unsqueeze(1)  # [B, T+2]
        token_mask = full_mask[:, 2:]  # [B, T]: position t is a token iff t < n
        full_ids = char_ids.new_zeros(batch, steps + 2, char_ids.shape[-1])
        full_ids[:, 1:-1] = char_ids * token_mask.unsqueeze(-1)
        full_ids[:, 0] = torch.tensor(BOS_IDS, dtype=char_ids.dtype, device=char_ids.device)
        full_ids[torch.arange(batch, device=char_ids.device), lengths + 1] = torch.tensor(
            EOS_IDS, dtype=char_ids.dtype, device=char_ids.device)
        return full_ids, full_mask

    def forward_with_boundaries(self, char_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Like :meth:`forward` but keeping the ``<S>``/``</S>`` positions it adds:
        ``[B, T, 50]`` -> ``(layers [B, num_layers, T+2, output_dim], mask [B, T+2])``.

        In layers >= 1 the first ``projection_dim`` features are the forward LSTM, the rest
        the backward one; positions past ``</S>`` are zero.
        """
        full_ids, full_mask = self.add_boundaries(char_ids)
        embedded = self._embed_masked(full_ids, full_mask)  # [B, T+2, P]
        lstm_outputs = self.lstm(embedded, full_mask)  # [L-1, B, T+2, 2P]
        layers = torch.cat([torch.cat([embedded, embedded], dim=-1).unsqueeze(0), lstm_outputs], dim=0)
        return layers.transpose(0, 1), full_mask

    def forward(self, char_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``char_ids`` ``[B, T, 50]`` (right-padded, rows of 0 = no token) ->
        ``(layers [B, num_layers, T, output_dim], mask [B, T] bool)``."""
        layers, full_mask = self.forward_with_boundaries(char_ids)
        token_mask = full_mask[:, 2:]
        # Drop <S> (position 0) and the slot that holds </S> for the longest row; zero the
        # remaining </S> of shorter rows with the token mask.
        layers = layers[:, :, 1:-1] * token_mask.unsqueeze(1).unsqueeze(-1).to(layers.dtype)
        return layers, token_mask

    @torch.no_grad()
    def embed(self, sentences: Sequence[Sequence[str]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokenised sentences -> ``(layers [B, num_layers, T, output_dim], mask [B, T])``."""
        device = self.char_cnn.projection_weight.device
        return self(batch_to_char_ids(sentences).to(device))

    # ------------------------------------------------------------------ identity
    def fingerprint(self) -> str:
        """SHA-256 hex over the options and every parameter (name, shape, float32 bytes):
        models with the same options and weights share it, any changed value changes it."""
        digest = hashlib.sha256()
        digest.update(json.dumps(self.options, sort_keys=True).encode("utf-8"))
        for name, tensor in sorted(self.state_dict().items()):
            data = tensor.detach().to("cpu", torch.float32).contiguous()
            digest.update(f"{name}:{tuple(data.shape)}".encode())
            digest.update(data.numpy().tobytes())
        return digest.hexdigest()


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)

"""The biLM's LSTM stacks: LSTM cells with a projection, clipping and residuals.

Two fully independent stacks (forward, backward) of ``num_layers`` layers; layer
``l >= 1`` reads only the same direction's layer ``l-1`` output. One layer, with
state ``(h [P], c [C])`` and input ``x_t``::

    z = x_t @ W_x + h_{t-1} @ W_h + B          # gates in TF order i, j, f, o
    c = sigmoid(i) * tanh(j) + sigmoid(f + 1.0) * c_{t-1}; c = clip(c, cell_clip)
    h = clip((sigmoid(o) * tanh(c)) @ W_P, proj_clip)
    output = h (+ x_t for layer >= 1)          # the recurrent state stays the un-added h

``x @ W_x`` is computed outside the time loop (for all timesteps in one matmul when
training; in chunks of steps without a graph); only ``h @ W_h`` runs inside it. Without a
graph (``torch.no_grad()`` or frozen weights) :meth:`ElmoLstm.forward` runs the feature-major
loop of :mod:`elmo_eval.encoders.lstm_inference` (same numbers up to float rounding, faster).

Padding is never fed: a row's state is frozen after its last real step and its outputs
there are 0; the backward stack reads each sentence reversed within its own length.

Stateless by default (zero initial state per call). ``stateful=True`` follows
AllenNLP: the final ``(h, c)`` of every layer and direction is kept per batch
row and is the next call's initial state for the same row index; a smaller
batch leaves the other rows untouched, a bigger one starts its new rows from 0;
:meth:`ElmoLstm.reset_states` zeroes everything.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from elmo_eval.encoders.lstm_inference import InferenceWeights, inference_weights, run_layers
from elmo_eval.encoders.lstm_recurrence import LstmRecurrence

# TensorFlow's LSTMCell adds this to the forget gate; it is not in the weights file.
FORGET_BIAS = 1.0


class LstmProjectionLayer(nn.Module):
    """One layer of one direction.

    Parameters (TF orientation, gate columns in order i, j, f, o):
      ``input_weight`` ``[input_dim, 4*cell_dim]`` (first rows of the file's ``W_0``),
      ``state_weight`` ``[projection_dim, 4*cell_dim]`` (the remaining rows of ``W_0``),
      ``bias`` ``[4*cell_dim]`` (the file's ``B``, *without* the +1.0 forget bias),
      ``projection_weight`` ``[cell_dim, projection_dim]`` (``W_P_0``).
    """

    def __init__(self, input_dim: int, cell_dim: int, projection_dim: int):
        super().__init__()
        self.input_dim = input_dim
        self.cell_dim = cell_dim
        self.projection_dim = projection_dim
        self.input_weight = nn.Parameter(torch.empty(input_dim, 4 * cell_dim))
        self.state_weight = nn.Parameter(torch.empty(projection_dim, 4 * cell_dim))
        self.bias = nn.Parameter(torch.empty(4 * cell_dim))
        self.projection_weight = nn.Parameter(torch.empty(cell_dim, projection_dim))
        self.reset_parameters()

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Glorot-uniform weights (TF's default for ``W_0`` / ``W_P_0``), zero bias."""
        fan_in = self.input_dim + self.projection_dim
        bound = math.sqrt(6.0 / (fan_in + 4 * self.cell_dim))
        proj_bound = math.sqrt(6.0 / (self.cell_dim + self.projection_dim))
        with torch.no_grad():
            self.input_weight.uniform_(-bound, bound, generator=generator)
            self.state_weight.uniform_(-bound, bound, generator=generator)
            self.bias.zero_()
            self.projection_weight.uniform_(-proj_bound, proj_bound, generator=generator)

    def gate_bias(self) -> torch.Tensor:
        """``[4*cell_dim]``: the file bias plus TF's forget bias on the ``f`` block."""
        offset = torch.zeros_like(self.bias)
        offset[2 * self.cell_dim: 3 * self.cell_dim] = FORGET_BIAS
        return self.bias + offset

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor],
                cell_clip: float | None, proj_clip: float | None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """One direction: ``inputs`` ``[B, T, input_dim]``, ``mask`` ``[B, T]``, ``state`` =
        ``(h [B, P], c [B, C])`` -> ``(h_seq [B, T, P], (h_final, c_final))`` (see :func:`run_lstm_layers`)."""
        h_seq, (h, c) = run_lstm_layers([self], inputs.unsqueeze(0), mask,
                                        (state[0].unsqueeze(0), state[1].unsqueeze(0)), cell_clip, proj_clip)
        return h_seq[0], (h[0], c[0])


def stack_layer_weights(layers: list[LstmProjectionLayer]) -> tuple[torch.Tensor, ...]:
    """``K`` layers' weights stacked for batched matmuls: ``input_weight [K, D, 4C]``,
    ``state_weight [K, P, 4C]``, ``projection_weight [K, C, P]``, ``gate_bias [K, 1, 4C]``."""
    return (torch.stack([layer.input_weight for layer in layers]),
            torch.stack([layer.state_weight for layer in layers]),
            torch.stack([layer.projection_weight for layer in layers]),
            torch.stack([layer.gate_bias() for layer in layers]).unsqueeze(1))


def run_lstm_layers(layers: list[LstmProjectionLayer], inputs: torch.Tensor, mask: torch.Tensor,
                    state: tuple[torch.Tensor, torch.Tensor], cell_clip: float | None, proj_clip: float | None,
                    stacked_weights: tuple[torch.Tensor, ...] | None = None, custom_backward: bool = True
                    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """Run ``K`` independent layers (e.g. the forward and backward layer of one depth) in lockstep.

    ``inputs`` ``[K, B, T, input_dim]`` (each right-padded; the backward one already reversed
    within lengths), ``mask`` ``[B, T]`` bool (a prefix per row, shared by all ``K``),
    ``state`` = ``(h [K, B, P], c [K, B, C])``. Returns ``(h_seq [K, B, T, P]`` with zeros at
    padding, ``(h_final, c_final))`` = the state after each row's last real step.

    The ``K`` layers share each step's batched matmuls (``bmm``), which keeps the
    small-batch recurrence closer to the machine's matmul rate than ``K`` separate ``mm``.
    ``stacked_weights``: :func:`stack_layer_weights` of ``layers`` when the caller keeps them.
    When gradients are needed the loop runs inside :class:`LstmRecurrence` (hand-written
    backward); ``custom_backward=False`` uses plain autograd through the loop instead.
    """
    n_dirs, batch, steps, input_dim = inputs.shape
    cell_dim = layers[0].cell_dim
    h, c = state
    if stacked_weights is None:
        stacked_weights = stack_layer_weights(layers)
    input_weight, state_weight, projection_weight, gate_bias = stacked_weights
    # One matmul for the input part of every gate at every step.
    # Time-major [K, T, B, 4C] so each step's slice is a contiguous matrix per direction.
    time_major = inputs.transpose(1, 2).reshape(n_dirs, steps * batch, input_dim)
    if custom_backward and torch.is_grad_enabled() and any(
            t.requires_grad for t in (time_major, input_weight, gate_bias, h, c, state_weight, projection_weight)):
        # training: same loop, hand-written backward (weight gradients in one matmul over all steps)
        return _with_final_state(LstmRecurrence.apply(time_major, input_weight, gate_bias, h, c, state_weight,
                                                      projection_weight, mask.bool(), cell_clip, proj_clip))
    input_gates = torch.baddbmm(gate_bias, time_major, input_weight).reshape(n_dirs, steps, batch, 4 * cell_dim)
    # unbind once: indexing input_gates[:, t] inside the loop makes autograd build (and zero-fill)
    # a full-size gradient buffer at every step, quadratic in the sentence length when training.
    step_gates = input_gates.unbind(1)
    step_mask = mask.unsqueeze(-1)  # [B, T, 1]
    all_valid = bool(mask.all())
    outputs = []
    for t in range(steps):
        gates = torch.baddbmm(step_gates[t], h, state_weight)  # [K, B, 4C]
        i, j, f, o = gates.chunk(4, dim=2)
        new_c = torch.sigmoid(i) * torch.tanh(j) + torch.sigmoid(f) * c
        if cell_clip is not None:
            new_c = new_c.clamp(-cell_clip, cell_clip)
        new_h = torch.bmm(torch.sigmoid(o) * torch.tanh(new_c), projection_weight)
        if proj_clip is not None:
            new_h = new_h.clamp(-proj_clip, proj_clip)
        if all_valid:
            h, c = new_h, new_c
            outputs.append(new_h)
        else:
            # Rows past their end keep their state (padding is never fed) and output 0.
            valid = step_mask[:, t]  # [B, 1], broadcast over K
            h = torch.where(valid, new_h, h)
            c = torch.where(valid, new_c, c)
            outputs.append(new_h * valid)
    if outputs:
        h_seq = torch.stack(outputs, dim=2)
    else:
        h_seq = inputs.new_zeros(n_dirs, batch, 0, layers[0].projection_dim)
    return h_seq, (h, c)


def _with_final_state(result: tuple[torch.Tensor, torch.Tensor, torch.Tensor]):
    h_seq, h, c = result
    return h_seq, (h, c)


def reverse_within_lengths(lengths: torch.Tensor, steps: int) -> torch.Tensor:
    """``[B, T]`` gather index that reverses each row's first ``lengths[b]`` steps and
    leaves the padding in place; it is its own inverse."""
    positions = torch.arange(steps, device=lengths.device).unsqueeze(0)  # [1, T]
    reversed_positions = lengths.unsqueeze(1) - 1 - positions
    return torch.where(positions < lengths.unsqueeze(1), reversed_positions, positions)


def _gather_time(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``values`` ``[B, T, D]`` reordered along time by ``index`` ``[B, T]``."""
    return values.gather(1, index.unsqueeze(-1).expand(-1, -1, values.shape[-1]))


class ElmoLstm(nn.Module):
    """Forward and backward stacks of :class:`LstmProjectionLayer`.

    Attributes: ``forward_layers``, ``backward_layers`` (``nn.ModuleList`` of length
    ``num_layers``), ``cell_clip``, ``proj_clip``, ``stateful``.
    Forward: ``inputs`` ``[B, T, input_dim]``, ``mask`` ``[B, T]`` ->
    ``[num_layers, B, T, 2*projection_dim]`` (``[forward, backward]`` on the last axis,
    residuals included for layers >= 1, zeros at padding).
    """

    def __init__(self, input_dim: int, cell_dim: int, projection_dim: int, num_layers: int,
                 cell_clip: float | None = None, proj_clip: float | None = None, stateful: bool = False):
        super().__init__()
        self.input_dim = input_dim
        self.cell_dim = cell_dim
        self.projection_dim = projection_dim
        self.num_layers = num_layers
        self.cell_clip = cell_clip
        self.proj_clip = proj_clip
        self.stateful = stateful
        dims = [input_dim] + [projection_dim] * (num_layers - 1)
        self.forward_layers = nn.ModuleList([LstmProjectionLayer(d, cell_dim, projection_dim) for d in dims])
        self.backward_layers = nn.ModuleList([LstmProjectionLayer(d, cell_dim, projection_dim) for d in dims])
        # Stateful mode: [num_layers, 2 directions, rows_seen, P] and [..., C]; None = all zero.
        self._h_states: torch.Tensor | None = None
        self._c_states: torch.Tensor | None = None
        # Inference-only cache of the transposed weights per depth (a copy, ~150 MB per depth at
        # full size); keyed on the parameters' storage and version so any update invalidates it.
        self._weights_cache: dict[int, tuple[tuple, InferenceWeights]] = {}

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        for layer in [*self.forward_layers, *self.backward_layers]:
            layer.reset_parameters(generator)

    def reset_states(self) -> None:
        """Forget the carried state (stateful mode): the next call starts from zeros."""
        self._h_states = None
        self._c_states = None

    def _inference_weights(self, index: int) -> InferenceWeights:
        """Transposed ``[forward, backward]`` weights of depth ``index`` for the feature-major
        recurrence, cached while the parameters are unchanged."""
        pair = [self.forward_layers[index], self.backward_layers[index]]
        params = [p for layer in pair for p in layer.parameters()]
        key = tuple((p.data_ptr(), p._version, p.device, p.dtype) for p in params)
        cached = self._weights_cache.get(index)
        if cached is None or cached[0] != key:
            cached = (key, inference_weights(pair))
            self._weights_cache[index] = cached
        return cached[1]

    def _initial_states(self, batch: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``[num_layers, 2, B, P]``, ``[num_layers, 2, B, C]`` initial states for this call."""
        h0 = like.new_zeros(self.num_layers, 2, batch, self.projection_dim)
        c0 = like.new_zeros(self.num_layers, 2, batch, self.cell_dim)
        if self.stateful and self._h_states is not None:
            rows = min(batch, self._h_states.shape[2])
            h0[:, :, :rows] = self._h_states[:, :, :rows]
            c0[:, :, :rows] = self._c_states[:, :, :rows]
        return h0, c0

    def _store_states(self, h_final: torch.Tensor, c_final: torch.Tensor) -> None:
        """Keep this call's final states for rows ``0..B-1``; rows beyond stay untouched."""
        h_final, c_final = h_final.detach(), c_final.detach()
        batch = h_final.shape[2]
        if self._h_states is None or self._h_states.shape[2] <= batch:
            self._h_states, self._c_states = h_final.clone(), c_final.clone()
        else:
            self._h_states = self._h_states.clone()
            self._c_states = self._c_states.clone()
            self._h_states[:, :, :batch] = h_final
            self._c_states[:, :, :batch] = c_final

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if not (torch.is_grad_enabled() and (inputs.requires_grad or any(p.requires_grad for p in self.parameters()))):
            return self._forward_inference(inputs, mask)
        batch, steps, _ = inputs.shape
        mask = mask.bool()
        lengths = mask.sum(dim=1)
        reverse_index = reverse_within_lengths(lengths, steps)
        h0, c0 = self._initial_states(batch, inputs)
        float_mask = mask.unsqueeze(-1).to(inputs.dtype)
        final_h, final_c, layer_outputs = [], [], []
        # [2, B, T, D]: forward input, and backward input reversed within each row's length.
        layer_input = torch.stack([inputs, _gather_time(inputs, reverse_index)])
        for index in range(self.num_layers):
            pair = [self.forward_layers[index], self.backward_layers[index]]
            output, (h, c) = run_lstm_layers(pair, layer_input, mask, (h0[index], c0[index]),
                                             self.cell_clip, self.proj_clip, stack_layer_weights(pair))
            if index > 0:
                # Residual (use_skip_connections); the input is zero at padding already, the
                # mask keeps padding exactly zero anyway.
                output = (output + layer_input) * float_mask
            layer_outputs.append(torch.cat([output[0], _gather_time(output[1], reverse_index)], dim=-1))
            final_h.append(h)
            final_c.append(c)
            layer_input = output
        if self.stateful:
            self._store_states(torch.stack(final_h), torch.stack(final_c))
        return torch.stack(layer_outputs)

    @torch.no_grad()
    def _forward_inference(self, inputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """:meth:`forward` without a graph: the feature-major recurrence of :mod:`.lstm_inference`
        (the same numbers up to float rounding, in about 20% less time at full size)."""
        batch, steps, _ = inputs.shape
        mask = mask.bool()
        lengths = mask.sum(dim=1)
        reverse_index = reverse_within_lengths(lengths, steps)
        h0, c0 = self._initial_states(batch, inputs)
        # [T, 1, 1, B] step validity, broadcast over directions and features; None: no padding
        step_valid = None if bool(mask.all()) else mask.t().reshape(steps, 1, 1, batch)
        feature_mask = mask.t().to(inputs.dtype)  # [T, B], broadcast over directions and features
        final_h, final_c, layer_outputs = [], [], []
        # [2, D, T, B]: forward input, and backward input reversed within each row's length.
        layer_input = torch.stack([inputs, _gather_time(inputs, reverse_index)]).permute(0, 3, 2, 1).contiguous()
        for index in range(self.num_layers):
            outputs, h, c = run_layers(
                self._inference_weights(index), layer_input, step_valid, h0[index].transpose(1, 2).contiguous(),
                c0[index].transpose(1, 2).contiguous(), self.cell_clip, self.proj_clip)
            output = outputs.permute(1, 2, 0, 3)  # [2, P, T, B]
            if index > 0:
                # Residual (use_skip_connections); the mask keeps padding exactly zero.
                output = (output + layer_input) * feature_mask
            else:
                output = output.contiguous()
            batch_major = output.permute(0, 3, 2, 1)  # [2, B, T, P]
            layer_outputs.append(torch.cat([batch_major[0], _gather_time(batch_major[1], reverse_index)], dim=-1))
            final_h.append(h.transpose(1, 2))
            final_c.append(c.transpose(1, 2))
            layer_input = output
        if self.stateful:
            self._store_states(torch.stack(final_h), torch.stack(final_c))
        return torch.stack(layer_outputs)

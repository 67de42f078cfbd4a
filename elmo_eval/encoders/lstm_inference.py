"""The LSTM recurrence when no gradient is needed (feature extraction, validation): same
equations as :func:`elmo_lstm.run_lstm_layers`, arranged for speed.

Everything is *feature-major*: states are ``h [K, P, B]``, ``c [K, C, B]`` (batch on the last
axis), so each step's gate product is ``W_h^T [4C, P] @ h [P, B]``. With the batch as the
narrow side of the product, MKL runs it 20-25% faster on this project's CPUs than
``h [B, P] @ W_h [P, 4C]`` (41 vs 32 GFLOP/s at B=32, 68 vs 55 at B=128, 1 thread; see
``benchmarks/encoder_speed.py``), and faster again in blocks of :data:`ROW_BLOCK` rows of
``W_h^T`` (44 and 72 GFLOP/s); each gate block ``[C, B]`` is one contiguous slab.

The input part of the gates, ``W_x^T @ x + bias``, is computed a chunk of steps at a time
(:func:`chunk_steps`: about 512 columns of ``steps x batch``, where that product reaches the
machine's matmul rate) into one reused buffer, instead of for all steps at once: at batch 128
all steps would be a 370 MB temporary per layer, and fresh memory that size is paged in on
every call.

The step's element-wise work runs in place in preallocated buffers, in the plain loop's order
(``sigmoid(i) * tanh(j) + sigmoid(f) * c``, clip, ``sigmoid(o) * tanh(c)``, projection, clip).
Outputs equal the plain loop's up to float rounding of the matmuls (summation order).
"""
from __future__ import annotations

import threading
from typing import NamedTuple

import torch

# Columns (steps x batch) of one chunk of the input product: where a [4C, P] @ [P, N] product
# gets close to the square-matmul rate (N=512: ~95% on the reference machine, N=128: ~80%).
CHUNK_COLUMNS = 512


# Rows of W_h^T per matmul of a step's gate product at 1 thread: MKL is faster on [512, P] @ [P, B]
# blocks than on the whole [4C, P] @ [P, B] when B is small (1.3x at B=32, 1.1x at B=128 on the
# reference machine).
ROW_BLOCK = 512
# A zero initial state (the usual start) adds nothing to the first step's gates: its recurrent product,
# 1/T of the layer's gate products, is skipped (the same numbers; False: computed anyway).
SKIP_ZERO_START = True
# run_layers: one thread per direction when torch has 2+ threads and a step's gate product has at
# least this many multiply-adds per direction (4C * P * B; 2^20: the full-size model from B=1 on,
# not the small test models, whose per-step operators are too short to gain from threads).
PARALLEL_DIRECTIONS = True
PARALLEL_MIN_WORK = 1 << 20


class InferenceWeights(NamedTuple):
    """``K`` layers' weights, transposed for the feature-major recurrence."""

    input_t: torch.Tensor       # [K, 4C, D]
    state_t: torch.Tensor       # [K, 4C, P]
    projection_t: torch.Tensor  # [K, P, C]
    bias: torch.Tensor          # [K, 4C, 1], TF's forget bias included


def inference_weights(layers) -> InferenceWeights:
    """:class:`InferenceWeights` of :class:`~elmo_eval.encoders.elmo_lstm.LstmProjectionLayer` s (copies)."""
    with torch.no_grad():
        return InferenceWeights(
            torch.stack([layer.input_weight.t() for layer in layers]).contiguous(),
            torch.stack([layer.state_weight.t() for layer in layers]).contiguous(),
            torch.stack([layer.projection_weight.t() for layer in layers]).contiguous(),
            torch.stack([layer.gate_bias() for layer in layers]).unsqueeze(-1).contiguous(),
        )


def chunk_steps(batch: int, steps: int) -> int:
    """Steps per chunk of the input product: about :data:`CHUNK_COLUMNS` columns, at least one step."""
    return max(1, min(steps, -(-CHUNK_COLUMNS // max(batch, 1))))


def run_layers(weights: InferenceWeights, inputs: torch.Tensor, step_valid: torch.Tensor | None,
               h0: torch.Tensor, c0: torch.Tensor, cell_clip: float | None, proj_clip: float | None
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`run_layers_feature_major`, each of the ``K`` layers on its own thread when that pays.

    With ``torch.get_num_threads() >= 2`` on CPU and enough work per step (:data:`PARALLEL_MIN_WORK`),
    the ``K`` independent loops (the forward and backward direction) run on ``K`` Python threads
    with ``threads // K`` torch threads each, instead of one loop whose every operator is split
    over all threads: the directions need no synchronisation until the layer ends, where an
    operator split over threads waits for all of them at its end, hundreds of times per layer.
    (On a machine shared with other jobs, 2 threads split per operator ran 0.35-0.62x as fast as
    1 thread; one direction per thread 0.93-1.07x; on an idle machine the directions approach
    2x.) ``torch.set_num_threads`` is set per worker thread (OpenMP and MKL keep it per thread)
    and restored when they end; set :data:`PARALLEL_DIRECTIONS` to ``False`` to keep one loop.
    """
    n_dirs, _, steps, batch = inputs.shape
    threads = torch.get_num_threads()
    gates_dim, proj_dim = weights.state_t.shape[1:]
    if (not PARALLEL_DIRECTIONS or n_dirs < 2 or threads < 2 or steps == 0 or inputs.device.type != "cpu"
            or gates_dim * proj_dim * batch < PARALLEL_MIN_WORK):
        return run_layers_feature_major(weights, inputs, step_valid, h0, c0, cell_clip, proj_clip)
    outputs = inputs.new_empty(steps, n_dirs, proj_dim, batch)
    results: list = [None] * n_dirs
    inference = torch.is_inference_mode_enabled()

    def work(k: int) -> None:
        try:
            torch.set_num_threads(max(1, threads // n_dirs))
            with torch.inference_mode(inference), torch.no_grad():
                results[k] = run_layers_feature_major(
                    InferenceWeights(*(w[k: k + 1] for w in weights)), inputs[k: k + 1], step_valid,
                    h0[k: k + 1], c0[k: k + 1], cell_clip, proj_clip, outputs=outputs[:, k: k + 1])
        except BaseException as error:  # re-raised in the caller's thread
            results[k] = error

    workers = [threading.Thread(target=work, args=(k,), name=f"elmo-lstm-{k}") for k in range(n_dirs)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        torch.set_num_threads(threads)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return outputs, torch.cat([r[1] for r in results]), torch.cat([r[2] for r in results])


def run_layers_feature_major(weights: InferenceWeights, inputs: torch.Tensor, step_valid: torch.Tensor | None,
                             h0: torch.Tensor, c0: torch.Tensor, cell_clip: float | None, proj_clip: float | None,
                             outputs: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run ``K`` independent layers in lockstep, feature-major.

    ``inputs`` ``[K, D, T, B]`` (contiguous); ``step_valid`` ``[T, 1, 1, B]`` bool (False: the
    row has no token at that step, its state is kept and its output is 0) or ``None`` when all
    are valid; ``h0`` ``[K, P, B]``, ``c0`` ``[K, C, B]``; ``outputs``: where to write the outputs
    (``[T, K, P, B]``, each ``outputs[t]`` contiguous), a new tensor if ``None``.
    Returns ``(outputs [T, K, P, B], h_final [K, P, B], c_final [K, C, B])``.
    """
    n_dirs, input_dim, steps, batch = inputs.shape
    gates_dim, proj_dim = weights.state_t.shape[1], weights.state_t.shape[2]
    cell_dim = gates_dim // 4
    if outputs is None:
        outputs = inputs.new_empty(steps, n_dirs, proj_dim, batch)
    if steps == 0:
        return outputs, h0.clone(), c0.clone()
    flat_inputs = inputs.view(n_dirs, input_dim, steps * batch)
    per_chunk = chunk_steps(batch, steps)
    chunk_buffer = inputs.new_empty(n_dirs * gates_dim * per_chunk * batch)
    gates = inputs.new_empty(n_dirs, gates_dim, batch)
    in_gate, cell_in, forget_gate, out_gate = gates.split(cell_dim, dim=1)
    forget_and_out = gates[:, 2 * cell_dim:]
    cell = c0.clone()
    new_cell = torch.empty_like(cell)
    scratch = torch.empty_like(cell)
    hidden = h0.clone() if step_valid is not None else h0
    # the usual start (every call of a stateless biLM, the first of a stateful one): no recurrent product yet
    zero_start = SKIP_ZERO_START and not bool(h0.any())
    # blocks help one CPU thread; split over threads, each block's operator would wait for all of them, and on
    # a GPU each block would be one more kernel launch per step
    block = ROW_BLOCK if torch.get_num_threads() == 1 and h0.device.type == "cpu" else gates_dim
    row_blocks = [slice(start, start + block) for start in range(0, gates_dim, block)]
    chunk = None
    for t in range(steps):
        offset = t % per_chunk
        if offset == 0:
            width = min(per_chunk, steps - t) * batch
            chunk = chunk_buffer[: n_dirs * gates_dim * width].view(n_dirs, gates_dim, width)
            torch.baddbmm(weights.bias, weights.input_t, flat_inputs[:, :, t * batch: t * batch + width], out=chunk)
        step_chunk = chunk[:, :, offset * batch: (offset + 1) * batch]
        if t == 0 and zero_start:
            gates.copy_(step_chunk)  # W_h^T @ 0 adds exact zeros: a step's largest product skipped
        else:
            for rows in row_blocks:  # see ROW_BLOCK
                torch.baddbmm(step_chunk[:, rows], weights.state_t[:, rows], hidden, out=gates[:, rows])
        in_gate.sigmoid_()
        cell_in.tanh_()
        forget_and_out.sigmoid_()
        # sigmoid(i) * tanh(j) + sigmoid(f) * c, in that order (mul, mul, add: no fused multiply-add)
        torch.mul(forget_gate, cell, out=scratch)
        torch.mul(in_gate, cell_in, out=new_cell)
        new_cell.add_(scratch)
        if cell_clip is not None:
            new_cell.clamp_(-cell_clip, cell_clip)
        torch.tanh(new_cell, out=scratch)
        scratch.mul_(out_gate)
        new_hidden = outputs[t]
        torch.bmm(weights.projection_t, scratch, out=new_hidden)
        if proj_clip is not None:
            new_hidden.clamp_(-proj_clip, proj_clip)
        if step_valid is None:
            cell, new_cell = new_cell, cell
            hidden = new_hidden
        else:
            valid = step_valid[t]
            torch.where(valid, new_cell, cell, out=cell)
            torch.where(valid, new_hidden, hidden, out=hidden)
            new_hidden.mul_(valid)
    return outputs, hidden.clone() if step_valid is None else hidden, cell

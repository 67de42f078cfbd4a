"""The recurrence of :mod:`elmo_eval.encoders.elmo_lstm` with a hand-written backward pass.

Under plain autograd each time step adds its own ``h_{t-1}^T @ dz_t`` to the
recurrent weights' gradient (a matmul and an accumulation per step), and the
per-step graph costs more than the arithmetic for small models. This Function
runs the same forward loop without building a graph, keeps the gate
activations, and in the backward loop only propagates ``dh``/``dc``; the weight
gradients are then one batched matmul over all steps. Values and gradients
equal the autograd version (tested), including clipping and padding.
"""
from __future__ import annotations

import torch


def _clip_mask(values: torch.Tensor, bound: float | None) -> torch.Tensor | None:
    """Where ``clamp(values, -bound, bound)`` lets the gradient through (bounds inclusive, as torch)."""
    return None if bound is None else (values >= -bound) & (values <= bound)


class LstmRecurrence(torch.autograd.Function):
    """``K`` LSTM-with-projection layers over time; see :func:`elmo_lstm.run_lstm_layers`.

    forward(input_gates ``[K, T, B, 4C]`` (x @ W_x + bias), h0 ``[K, B, P]``, c0 ``[K, B, C]``,
    state_weight ``[K, P, 4C]``, projection_weight ``[K, C, P]``, mask ``[B, T]`` bool,
    cell_clip, proj_clip) -> (h_seq ``[K, B, T, P]`` zero at padding, h_final, c_final).
    """

    @staticmethod
    def forward(ctx, input_gates, h0, c0, state_weight, projection_weight, mask, cell_clip, proj_clip):
        n_dirs, steps, batch, gates_dim = input_gates.shape
        cell_dim = gates_dim // 4
        proj_dim = projection_weight.shape[-1]
        step_valid = mask.t().unsqueeze(-1).to(input_gates.dtype)  # [T, B, 1]
        all_valid = bool(mask.all())
        new = input_gates.new_empty
        h_prev_all, c_prev_all = new(n_dirs, steps, batch, proj_dim), new(n_dirs, steps, batch, cell_dim)
        acts_all = new(n_dirs, steps, batch, gates_dim)      # sigmoid(i), tanh(j), sigmoid(f), sigmoid(o)
        c_pre_all = new(n_dirs, steps, batch, cell_dim)      # cell before clipping
        tanh_c_all = new(n_dirs, steps, batch, cell_dim)     # tanh of the clipped cell
        h_pre_all = new(n_dirs, steps, batch, proj_dim)      # projection before clipping
        out = new(n_dirs, steps, batch, proj_dim)
        h, c = h0, c0
        for t in range(steps):
            h_prev_all[:, t], c_prev_all[:, t] = h, c
            z = torch.baddbmm(input_gates[:, t], h, state_weight)
            i, j, f, o = z.chunk(4, dim=2)
            si, tj, sf, so = torch.sigmoid(i), torch.tanh(j), torch.sigmoid(f), torch.sigmoid(o)
            c_pre = si * tj + sf * c
            c_new = c_pre.clamp(-cell_clip, cell_clip) if cell_clip is not None else c_pre
            tanh_c = torch.tanh(c_new)
            h_pre = torch.bmm(so * tanh_c, projection_weight)
            h_new = h_pre.clamp(-proj_clip, proj_clip) if proj_clip is not None else h_pre
            acts_all[:, t] = torch.cat([si, tj, sf, so], dim=2)
            c_pre_all[:, t], tanh_c_all[:, t], h_pre_all[:, t] = c_pre, tanh_c, h_pre
            if all_valid:
                h, c = h_new, c_new
                out[:, t] = h_new
            else:
                valid = step_valid[t].bool()
                h, c = torch.where(valid, h_new, h), torch.where(valid, c_new, c)
                out[:, t] = h_new * step_valid[t]
        ctx.save_for_backward(state_weight, projection_weight, step_valid, h_prev_all, c_prev_all, acts_all,
                              c_pre_all, tanh_c_all, h_pre_all)
        ctx.clips = (cell_clip, proj_clip)
        return out.transpose(1, 2), h, c

    @staticmethod
    def backward(ctx, grad_out, grad_h_final, grad_c_final):
        (state_weight, projection_weight, step_valid, h_prev_all, c_prev_all, acts_all, c_pre_all, tanh_c_all,
         h_pre_all) = ctx.saved_tensors
        cell_clip, proj_clip = ctx.clips
        n_dirs, steps, batch, gates_dim = acts_all.shape
        grad_out = grad_out.transpose(1, 2)  # [K, T, B, P]
        dh = grad_h_final if grad_h_final is not None else h_prev_all.new_zeros(h_prev_all[:, 0].shape)
        dc = grad_c_final if grad_c_final is not None else c_prev_all.new_zeros(c_prev_all[:, 0].shape)
        dz_all = torch.empty_like(acts_all)
        dh_pre_all = torch.empty_like(h_pre_all)
        state_weight_t = state_weight.transpose(1, 2)
        projection_weight_t = projection_weight.transpose(1, 2)
        for t in reversed(range(steps)):
            valid = step_valid[t]  # [B, 1]: a padded step passes the state (and its gradient) through
            dh_new = valid * (dh + grad_out[:, t])
            dc_new = valid * dc
            dh_carry, dc_carry = dh - valid * dh, dc - valid * dc
            h_pass = _clip_mask(h_pre_all[:, t], proj_clip)
            dh_pre = dh_new if h_pass is None else dh_new * h_pass
            dh_pre_all[:, t] = dh_pre
            dm = torch.bmm(dh_pre, projection_weight_t)
            si, tj, sf, so = acts_all[:, t].chunk(4, dim=2)
            tanh_c = tanh_c_all[:, t]
            dc_new = dc_new + dm * so * (1 - tanh_c * tanh_c)
            c_pass = _clip_mask(c_pre_all[:, t], cell_clip)
            dc_pre = dc_new if c_pass is None else dc_new * c_pass
            dz = torch.cat([dc_pre * tj * si * (1 - si), dc_pre * si * (1 - tj * tj),
                            dc_pre * c_prev_all[:, t] * sf * (1 - sf), dm * tanh_c * so * (1 - so)], dim=2)
            dz_all[:, t] = dz
            dh = torch.baddbmm(dh_carry, dz, state_weight_t)
            dc = dc_pre * sf + dc_carry
        flat = steps * batch
        grad_state_weight = torch.bmm(h_prev_all.reshape(n_dirs, flat, -1).transpose(1, 2),
                                      dz_all.reshape(n_dirs, flat, gates_dim))
        so_all = acts_all[..., 3 * (gates_dim // 4):]
        grad_projection_weight = torch.bmm((so_all * tanh_c_all).reshape(n_dirs, flat, -1).transpose(1, 2),
                                           dh_pre_all.reshape(n_dirs, flat, -1))
        return dz_all, dh, dc, grad_state_weight, grad_projection_weight, None, None, None

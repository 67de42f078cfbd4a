"""The recurrence of :mod:`elmo_eval.encoders.elmo_lstm` with a hand-written backward pass.

Under plain autograd each time step adds its own ``h_{t-1}^T @ dz_t`` to the
recurrent weights' gradient and builds a graph whose bookkeeping costs more than
the arithmetic for small models. This Function runs the same forward loop without
a graph and propagates only ``dh``/``dc`` in its backward loop; the weight
gradients are then one batched matmul over all steps.

At small sizes (B=64, C=256) each step's ops are tiny, so how many there are and
how much fresh memory they touch is what costs, more than the arithmetic:

* the input part of the gates (``x @ W_x + bias``, one matmul over all steps) is
  computed inside the Function into the buffer that then holds the activations, and
  each step adds its ``h @ W_h`` there in place (no per-step copy of the input part);
  the Function's backward returns the gradients of ``x``, ``W_x`` and the bias too;
* every per-step result is written with ``out=`` (or in place) into a buffer of
  layout ``[K, T, B, ...]``, so nothing is copied per step and the weight gradients
  read ``[K, T*B, ...]`` views;
* the per-step views of all buffers are made once before a loop (``unbind``),
  not by Python indexing inside it;
* the backward reuses the saved buffers in place (the activations become the
  gate gradient it returns, the pre-clip projection its gradient, the clip
  masks are written over the pre-clip values): fresh full-size temporaries cost
  page faults and memory traffic that outweigh the ops they would save, so the
  activation derivatives are formed step by step, while each step is in cache;
* when each row's mask is a prefix (the encoder's case) a padded step needs no
  ``where``: its state runs on, unused and finite, and the final state is
  gathered at each row's length; in the backward nothing is carried through
  padding and the final-state gradient enters at each row's last real step.
  Other masks take a general path that carries the state (and its gradient)
  through padded steps.

The forward values are bitwise those of the plain loop (the same elementwise ops
in the same order; no fused multiply-add); gradients equal autograd's up to
float rounding, including clipping and padding (tested).
"""
from __future__ import annotations

import torch


def _prefix_lengths(mask: torch.Tensor) -> torch.Tensor | None:
    """``[B]`` lengths when every row of ``mask`` ``[B, T]`` is ``True`` then ``False``, else ``None``."""
    lengths = mask.sum(dim=1)
    positions = torch.arange(mask.shape[1], device=mask.device)
    return lengths if bool((mask == (positions < lengths.unsqueeze(1))).all()) else None


def _at_lengths(states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """``states`` ``[K, T+1, B, D]`` (state before each step) -> ``[K, B, D]``: row ``b`` at step ``lengths[b]``."""
    n_dirs, _, batch, dim = states.shape
    index = lengths.view(1, 1, batch, 1).expand(n_dirs, 1, batch, dim)
    return states.gather(1, index).squeeze(1)


class LstmRecurrence(torch.autograd.Function):
    """``K`` LSTM-with-projection layers over time; see :func:`elmo_lstm.run_lstm_layers`.

    forward(inputs ``[K, T*B, D]`` (time-major: row ``t*B + b``), input_weight ``[K, D, 4C]``,
    gate_bias ``[K, 1, 4C]``, h0 ``[K, B, P]``, c0 ``[K, B, C]``, state_weight ``[K, P, 4C]``,
    projection_weight ``[K, C, P]``, mask ``[B, T]`` bool, cell_clip, proj_clip)
    -> (h_seq ``[K, B, T, P]`` zero at padding, h_final, c_final).

    The backward overwrites its saved buffers (the gate activations become the gate
    gradients it returns), so it can run once per forward: no ``retain_graph``.
    """

    @staticmethod
    def forward(ctx, inputs, input_weight, gate_bias, h0, c0, state_weight, projection_weight, mask, cell_clip,
                proj_clip):
        n_dirs, gates_dim = inputs.shape[0], input_weight.shape[-1]
        batch, steps = mask.shape
        cell_dim, proj_dim = gates_dim // 4, projection_weight.shape[-1]
        lengths = _prefix_lengths(mask)
        step_valid = mask.t().reshape(1, steps, batch, 1)  # broadcasts over directions and features
        # All buffers [K, T, B, ...], so the weight gradients read [K, T*B, ...] views.
        new = inputs.new_empty
        # x @ W_x + bias for every step; each step adds h @ W_h in place, then the activations
        # sigmoid(i), tanh(j), sigmoid(f), sigmoid(o) replace the gates
        acts = torch.baddbmm(gate_bias, inputs, input_weight).view(n_dirs, steps, batch, gates_dim)
        cell_pre = new(n_dirs, steps, batch, cell_dim)  # cell before clipping (decides the clip mask)
        tanh_cell = new(n_dirs, steps, batch, cell_dim)  # tanh of the clipped cell
        proj_pre = new(n_dirs, steps, batch, proj_dim)   # projection before clipping
        hidden = new(n_dirs, steps + 1, batch, proj_dim)  # hidden[:, t]: the state before step t
        cell = new(n_dirs, steps + 1, batch, cell_dim)
        hidden[:, 0], cell[:, 0] = h0, c0
        _forward_steps(state_weight, projection_weight, step_valid if lengths is None else None,
                       cell_clip, proj_clip, acts, cell_pre, tanh_cell, proj_pre, hidden, cell)
        out = torch.mul(hidden[:, 1:], step_valid)  # [K, T, B, P]
        if lengths is None:
            h_final, c_final = hidden[:, steps].clone(), cell[:, steps].clone()
        else:
            h_final, c_final = _at_lengths(hidden, lengths), _at_lengths(cell, lengths)
        ctx.save_for_backward(inputs, input_weight, state_weight, projection_weight, mask, acts, cell_pre,
                              tanh_cell, proj_pre, hidden, cell)
        ctx.clips = (cell_clip, proj_clip)
        ctx.lengths = lengths  # None for a general mask
        ctx.backward_done = False
        return out.transpose(1, 2), h_final, c_final

    @staticmethod
    def backward(ctx, grad_out, grad_h_final, grad_c_final):
        if ctx.backward_done:
            raise RuntimeError("LstmRecurrence reuses its saved buffers in its backward, which can therefore run "
                               "only once (no retain_graph); use run_lstm_layers(..., custom_backward=False)")
        ctx.backward_done = True
        (inputs, input_weight, state_weight, projection_weight, mask, acts, cell_pre, tanh_cell, proj_pre, hidden,
         cell) = ctx.saved_tensors
        cell_clip, proj_clip = ctx.clips
        n_dirs, steps, batch, gates_dim = acts.shape
        cell_dim, proj_dim = gates_dim // 4, hidden.shape[-1]
        lengths = ctx.lengths
        if grad_h_final is None:
            grad_h_final = hidden.new_zeros(n_dirs, batch, proj_dim)
        if grad_c_final is None:
            grad_c_final = cell.new_zeros(n_dirs, batch, cell_dim)
        if grad_out is None:
            grad_out = hidden.new_zeros(n_dirs, batch, steps, proj_dim)
        valid = mask.t().reshape(1, steps, batch, 1).to(acts.dtype)
        # Where the gradient passes the clamps: clamp(x) == x exactly when -clip <= x <= clip.
        # Written over the pre-clip buffers, which nothing else needs (fresh memory costs more
        # than the arithmetic here).
        proj_open, cell_open = proj_pre, cell_pre
        for is_open, clipped, pre_clip, bound in ((proj_open, hidden[:, 1:], proj_pre, proj_clip),
                                                  (cell_open, cell[:, 1:], cell_pre, cell_clip)):
            if bound is None:
                is_open.fill_(1)
            else:
                torch.eq(clipped, pre_clip, out=is_open)
            if lengths is None:
                # a general mask carries dh/dc through padded steps, where nothing may enter the
                # step's own cell; for prefix masks dh/dc are 0 there anyway (nothing to carry)
                is_open.mul_(valid)
        # [K, T, B, P]: the output gradient as far as it reaches the projection
        grad_out_open = torch.mul(grad_out.transpose(1, 2), valid).mul_(proj_open)
        if lengths is None:
            # General mask: the final-state gradient enters at the last step and is carried back.
            dh, dc, final_entry = grad_h_final.clone(), grad_c_final.clone(), None
        else:
            # Prefix mask: nothing is carried through padding; the final-state gradient
            # enters at each row's last real step instead.
            dh, dc = torch.zeros_like(grad_h_final), torch.zeros_like(grad_c_final)
            final_entry = (grad_h_final, grad_c_final, lengths)
        flat = steps * batch
        # The loop turns acts into the gate gradient, proj_open into that of the projection,
        # and tanh_cell into sigmoid(o) * tanh(c), what the projection multiplied.
        dh, dc = _backward_steps(state_weight, projection_weight, acts, tanh_cell, cell, proj_open, cell_open,
                                 grad_out_open, final_entry, 1 - valid if lengths is None else None, dh, dc)
        grad_gates, grad_proj_pre, projected = acts, proj_open, tanh_cell
        if lengths is not None:
            # rows without any real step pass the final-state gradient straight to the initial state
            empty_row = (lengths == 0).view(1, batch, 1).to(acts.dtype)
            dh, dc = torch.addcmul(dh, empty_row, grad_h_final), torch.addcmul(dc, empty_row, grad_c_final)
        hidden_before = hidden[:, :-1].reshape(n_dirs, flat, proj_dim)
        grad_gates = grad_gates.view(n_dirs, flat, gates_dim)
        grad_state_weight = torch.bmm(hidden_before.transpose(1, 2), grad_gates)
        grad_projection_weight = torch.bmm(projected.reshape(n_dirs, flat, cell_dim).transpose(1, 2),
                                           grad_proj_pre.reshape(n_dirs, flat, proj_dim))
        needs = ctx.needs_input_grad
        grad_inputs = torch.bmm(grad_gates, input_weight.transpose(1, 2)) if needs[0] else None
        grad_input_weight = torch.bmm(inputs.transpose(1, 2), grad_gates) if needs[1] else None
        grad_bias = grad_gates.sum(dim=1, keepdim=True) if needs[2] else None
        return (grad_inputs, grad_input_weight, grad_bias, dh, dc, grad_state_weight, grad_projection_weight,
                None, None, None)


def _forward_steps(state_weight, projection_weight, carry_valid, cell_clip, proj_clip,
                   acts, cell_pre, tanh_cell, proj_pre, hidden, cell) -> None:
    """The time loop, writing every result into the given ``[K, T(+1), B, ...]`` buffers (see
    :meth:`LstmRecurrence.forward`); ``acts`` holds the input part of each step's gates on entry.
    ``carry_valid`` ``[1, T, B, 1]`` bool: padded steps keep the previous state; ``None``: every
    step's new state is stored (prefix masks)."""
    cell_dim = acts.shape[-1] // 4
    # per-step views ([K, B, ...]), made once here rather than by indexing inside the loop
    blocks = acts.unflatten(-1, (4, cell_dim))  # [K, T, B, 4, C]
    act_steps = acts.unbind(1)
    i_steps, j_steps = blocks[:, :, :, 0].unbind(1), blocks[:, :, :, 1].unbind(1)
    f_steps, o_steps = blocks[:, :, :, 2].unbind(1), blocks[:, :, :, 3].unbind(1)
    fo_steps = acts[..., 2 * cell_dim:].unbind(1)  # f and o are adjacent: one sigmoid for both
    hidden_steps, cell_steps = hidden.unbind(1), cell.unbind(1)
    cell_pre_steps, tanh_steps, proj_pre_steps = cell_pre.unbind(1), tanh_cell.unbind(1), proj_pre.unbind(1)
    projected, forget_part = torch.empty_like(cell_steps[0]), torch.empty_like(cell_steps[0])  # [K, B, C]
    if carry_valid is not None:
        new_cell, new_hidden = torch.empty_like(cell_steps[0]), torch.empty_like(hidden_steps[0])
        valid_steps = carry_valid.unbind(1)
    for t in range(acts.shape[1]):
        act_steps[t].baddbmm_(hidden_steps[t], state_weight)
        i_steps[t].sigmoid_()
        j_steps[t].tanh_()
        fo_steps[t].sigmoid_()
        c_pre = cell_pre_steps[t]
        torch.mul(i_steps[t], j_steps[t], out=c_pre)
        # mul + add, not addcmul (fused multiply-add rounds differently from the plain loop)
        torch.mul(f_steps[t], cell_steps[t], out=forget_part)
        c_pre.add_(forget_part)
        c_new = cell_steps[t + 1] if carry_valid is None else new_cell
        if cell_clip is None:
            c_new.copy_(c_pre)
        else:
            torch.clamp(c_pre, -cell_clip, cell_clip, out=c_new)
        torch.tanh(c_new, out=tanh_steps[t])
        torch.mul(o_steps[t], tanh_steps[t], out=projected)
        torch.bmm(projected, projection_weight, out=proj_pre_steps[t])
        h_new = hidden_steps[t + 1] if carry_valid is None else new_hidden
        if proj_clip is None:
            h_new.copy_(proj_pre_steps[t])
        else:
            torch.clamp(proj_pre_steps[t], -proj_clip, proj_clip, out=h_new)
        if carry_valid is not None:
            torch.where(valid_steps[t], new_cell, cell_steps[t], out=cell_steps[t + 1])
            torch.where(valid_steps[t], new_hidden, hidden_steps[t], out=hidden_steps[t + 1])


def _backward_steps(state_weight, projection_weight, acts, tanh_cell, cell, proj_open, cell_open, grad_out_open,
                    final_entry, carry_invalid, dh, dc) -> tuple[torch.Tensor, torch.Tensor]:
    """The backward time loop, in place: returns the gradient of the initial ``(h [K, B, P], c [K, B, C])``
    and leaves, step by step, the gate gradient in ``acts`` ``[K, T, B, 4C]``, the gradient of the
    pre-clip projection in ``proj_open`` ``[K, T, B, P]`` and ``sigmoid(o) * tanh(c)`` in ``tanh_cell``.

    ``cell`` ``[K, T+1, B, C]`` as saved by the forward; ``proj_open`` / ``cell_open``
    ``[K, T, B, P|C]``: 1 where the gradient passes the clip (and, for a general mask, the step
    is real). ``grad_out_open`` ``[K, T, B, P]``: the output gradient times valid and ``proj_open``.
    ``final_entry`` = ``(grad_h_final, grad_c_final, lengths)`` for prefix masks: the final-state
    gradient enters at each row's last real step (``dh``/``dc`` start at 0 and nothing is carried);
    ``None`` for a general mask, whose ``carry_invalid`` ``[1, T, B, 1]`` (1 at padded steps) lets
    ``dh``/``dc`` (starting as the final-state gradients) pass padded steps unchanged.

    The activation derivatives are formed step by step, while the step's slices are in
    cache; formed for all steps at once they cost more in memory traffic than in ops.
    """
    steps, cell_dim = acts.shape[1], acts.shape[-1] // 4
    state_weight_t, projection_weight_t = state_weight.transpose(1, 2), projection_weight.transpose(1, 2)
    blocks = acts.unflatten(-1, (4, cell_dim))  # [K, T, B, 4, C]
    act_steps, ijf_steps, o_steps = acts.unbind(1), blocks[:, :, :, :3].unbind(1), blocks[:, :, :, 3].unbind(1)
    si_steps, tj_steps = blocks[:, :, :, 0].unbind(1), blocks[:, :, :, 1].unbind(1)
    sf_steps = blocks[:, :, :, 2].unbind(1)
    proj_open_steps, cell_open_steps = proj_open.unbind(1), cell_open.unbind(1)
    out_steps, tanh_steps, cell_steps = grad_out_open.unbind(1), tanh_cell.unbind(1), cell.unbind(1)
    invalid_steps = None if carry_invalid is None else carry_invalid.unbind(1)
    if final_entry is not None:
        grad_h_final, grad_c_final, lengths = final_entry
        is_last = torch.arange(steps, device=lengths.device).view(steps, 1) == lengths - 1  # [T, B]
        entry_steps = set(is_last.any(dim=1).nonzero().flatten().tolist())
        is_last_steps = is_last.to(acts.dtype).view(steps, 1, len(lengths), 1).unbind(0)  # [1, B, 1] each
    one = acts.new_ones(())
    dm, dc_pre, scratch = torch.empty_like(dc), torch.empty_like(dc), torch.empty_like(dc)  # [K, B, C]
    dh_carry = torch.empty_like(dh)
    # [K, B, 4, C]: each gate's derivative times its partner factor, before dc_pre / dm
    local = acts.new_empty(acts.shape[0], acts.shape[2], 4, cell_dim)
    local_i, local_j, local_f, local_o = local.unbind(2)
    for t in reversed(range(steps)):
        if final_entry is not None and t in entry_steps:
            dh.addcmul_(is_last_steps[t], grad_h_final)
            dc.addcmul_(is_last_steps[t], grad_c_final)
        dh_pre = proj_open_steps[t]  # the mask's slot takes the gradient it masks
        torch.addcmul(out_steps[t], dh, dh_pre, out=dh_pre)
        torch.bmm(dh_pre, projection_weight_t, out=dm)  # gradient of sigmoid(o) * tanh(c)
        tanh_c, si, tj, sf, so = tanh_steps[t], si_steps[t], tj_steps[t], sf_steps[t], o_steps[t]
        torch.mul(tanh_c, tanh_c, out=scratch)
        torch.addcmul(so, so, scratch, value=-1, out=scratch)  # d(so * tanh(c)) / dc
        torch.addcmul(dc, dm, scratch, out=scratch)
        torch.mul(scratch, cell_open_steps[t], out=dc_pre)
        if invalid_steps is None:
            torch.mul(dc_pre, sf, out=dc)
        else:
            dc.mul_(invalid_steps[t]).addcmul_(dc_pre, sf)
        # s * (1 - s) in all four blocks, then j's own tanh' = 1 - tj^2, then each partner factor
        torch.addcmul(act_steps[t], act_steps[t], act_steps[t], value=-1, out=local.view_as(act_steps[t]))
        torch.addcmul(one, tj, tj, value=-1, out=local_j)
        local_i.mul_(tj)
        local_j.mul_(si)
        local_f.mul_(cell_steps[t])
        local_o.mul_(tanh_c)
        tanh_c.mul_(so)  # for the projection's weight gradient
        # the step's activations are used up: their slots take the gate gradient
        torch.mul(local[:, :, :3], dc_pre.unsqueeze(2), out=ijf_steps[t])
        torch.mul(local_o, dm, out=o_steps[t])
        if invalid_steps is None:
            torch.bmm(act_steps[t], state_weight_t, out=dh)
        else:
            torch.mul(dh, invalid_steps[t], out=dh_carry)
            torch.baddbmm(dh_carry, act_steps[t], state_weight_t, out=dh)
    return dh, dc

"""BiDAF (Seo et al. 2017) for extractive QA, in the shape of AllenNLP's ELMo configuration for SQuAD.

Layers, for a passage of P tokens and a question of Q tokens (H = ``hidden``):

1. embedding: supplied by :class:`~elmo_eval.training.model.TaskModel` (word
   vectors + character CNN + input ELMo, concatenated): ``[B, P|Q, input_dim]``;
2. highway (2 layers, shared by passage and question);
3. contextual ("phrase") biLSTM, shared: ``h [B, P, 2H]``, ``u [B, Q, 2H]``;
4. attention flow: trilinear similarity ``S [B, P, Q]``; context-to-query
   ``u~ = softmax_j(S) u``; query-to-context ``h~ = softmax_i(max_j S) h``
   tiled over P; ``G = [h; u~; h * u~; h * h~]`` ``[B, P, 4d]``;
5. modelling biLSTM (2 layers): ``M [B, P, 2H]``;
6. span start: ``linear([G; M])``; span end: a biLSTM over ``[G; M; s; M * s]``
   (``s`` = the start-probability-weighted sum of M, tiled) then ``linear([G; M2])``.

Output ELMo (``outputs`` not None) goes where ``output_elmo_at`` says:

- ``"attention"`` (default, the paper's system): concatenated to the
  contextual biLSTM output ``h``/``u`` before attention, as the paper's
  document-qa model does (``append_before_atten``) and as its Table 3
  discussion assumes ("attention layer after the biRNN");
- ``"modeling"``: concatenated to the modelling-layer output M before the
  span predictors.

The loss is ``NLL(start) + NLL(end)``; the best span maximises
``p(start) p(end)`` with ``start <= end < start + max_span_length``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from elmo_eval.modules.highway import Highway
from elmo_eval.modules.masked_lstm import MaskedLSTM
from elmo_eval.modules.masked_ops import masked_log_softmax, masked_softmax
from elmo_eval.modules.pair_similarity import TrilinearSimilarity
from elmo_eval.modules.span_search import best_spans

OUTPUT_ELMO_PLACES = ("attention", "modeling")


class BidafHead(nn.Module):
    """Passage/question features -> span start/end log-probabilities, best spans and (with targets) the loss.

    Text fields: ``passage`` and ``question``. Targets (optional):
    ``span_start``/``span_end`` ``[B]`` inclusive token indices.
    Returns ``span_start_logp``/``span_end_logp`` ``[B, P]``,
    ``best_start``/``best_end`` ``[B]`` and ``loss``.
    """

    def __init__(self, input_dim: int, output_dim: int = 0, hidden: int = 100, highway_layers: int = 2,
                 modeling_layers: int = 2, span_end_layers: int = 1, dropout: float = 0.2,
                 max_span_length: int = 30, output_elmo_at: str = "attention"):
        super().__init__()
        if output_elmo_at not in OUTPUT_ELMO_PLACES:
            raise ValueError(f"output_elmo_at must be one of {OUTPUT_ELMO_PLACES}, got {output_elmo_at!r}")
        self.output_dim = output_dim
        self.output_elmo_at = output_elmo_at
        self.max_span_length = max_span_length
        self.highway = Highway(input_dim, highway_layers) if highway_layers else nn.Identity()
        self.phrase = MaskedLSTM(input_dim, hidden)
        context_dim = self.phrase.output_dim + (output_dim if output_elmo_at == "attention" else 0)
        self.similarity = TrilinearSimilarity(context_dim)
        attended_dim = 4 * context_dim
        self.modeling = MaskedLSTM(attended_dim, hidden, num_layers=modeling_layers, dropout=dropout)
        modeled_dim = self.modeling.output_dim + (output_dim if output_elmo_at == "modeling" else 0)
        self.span_start = nn.Linear(attended_dim + modeled_dim, 1)
        self.span_end_encoder = MaskedLSTM(attended_dim + 3 * modeled_dim, hidden, num_layers=span_end_layers,
                                             dropout=dropout)
        self.span_end = nn.Linear(attended_dim + self.span_end_encoder.output_dim, 1)
        self.dropout = nn.Dropout(dropout)

    def _elmo(self, outputs, field: str, place: str) -> torch.Tensor | None:
        if outputs is None or self.output_elmo_at != place:
            return None
        return outputs[field]

    def forward(self, inputs: dict, outputs: dict | None, batch) -> dict:
        p_mask = batch.fields["passage"].mask                                  # [B, P]
        q_mask = batch.fields["question"].mask                                 # [B, Q]
        h = self.dropout(self.phrase(self.highway(inputs["passage"]), p_mask))     # [B, P, 2H]
        u = self.dropout(self.phrase(self.highway(inputs["question"]), q_mask))    # [B, Q, 2H]
        if (elmo_p := self._elmo(outputs, "passage", "attention")) is not None:
            h = torch.cat([h, elmo_p], dim=-1)
            u = torch.cat([u, outputs["question"]], dim=-1)

        similarity = self.similarity(h, u)                                     # [B, P, Q]
        c2q = torch.bmm(masked_softmax(similarity, q_mask.unsqueeze(1)), u)   # [B, P, d]
        # query-to-context: which passage words matter most to some question word
        strongest = similarity.masked_fill(~q_mask.unsqueeze(1), torch.finfo(similarity.dtype).min / 2).max(-1).values
        q2c_weights = masked_softmax(strongest, p_mask)                        # [B, P]
        q2c = torch.bmm(q2c_weights.unsqueeze(1), h).expand_as(h)              # [B, P, d]
        attended = torch.cat([h, c2q, h * c2q, h * q2c], dim=-1)               # [B, P, 4d]

        modeled = self.dropout(self.modeling(attended, p_mask))                # [B, P, 2H]
        if (elmo_m := self._elmo(outputs, "passage", "modeling")) is not None:
            modeled = torch.cat([modeled, elmo_m], dim=-1)
        start_logits = self.span_start(torch.cat([attended, modeled], -1)).squeeze(-1)     # [B, P]
        start_probs = masked_softmax(start_logits, p_mask)
        start_summary = torch.bmm(start_probs.unsqueeze(1), modeled).expand_as(modeled)    # [B, P, m]
        end_input = torch.cat([attended, modeled, start_summary, modeled * start_summary], -1)
        end_encoded = self.dropout(self.span_end_encoder(end_input, p_mask))
        end_logits = self.span_end(torch.cat([attended, end_encoded], -1)).squeeze(-1)     # [B, P]

        start_logp = masked_log_softmax(start_logits, p_mask)
        end_logp = masked_log_softmax(end_logits, p_mask)
        with torch.no_grad():
            best_start, best_end, _ = best_spans(start_logp, end_logp, p_mask, self.max_span_length)
        out = {"span_start_logp": start_logp, "span_end_logp": end_logp,
               "best_start": best_start, "best_end": best_end}
        if "span_start" in batch.targets:
            out["loss"] = (F.nll_loss(start_logp, batch.targets["span_start"])
                           + F.nll_loss(end_logp, batch.targets["span_end"]))
        return out

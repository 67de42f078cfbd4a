"""ESIM (Chen et al. 2017) for textual entailment, in the shape of AllenNLP's ESIM configuration.

For a premise of P tokens and a hypothesis of Q tokens (H = ``hidden``):

1. input encoding: a biLSTM shared by both sentences, ``a [B, P, 2H]``,
   ``b [B, Q, 2H]``; output ELMo (``outputs`` not None) is concatenated here,
   to the biLSTM output before attention: "ELMo at the output of the biRNN"
   (paper, Sec. 3.3/5.3), so the attention sees the biLM's layers directly;
2. local inference: ``e = a b^T`` ``[B, P, Q]``; ``a~ = softmax_j(e) b``,
   ``b~ = softmax_i(e) a`` (masked both ways); enhancement
   ``m_a = [a; a~; a - a~; a * a~]`` (and the same for b);
3. projection: a ReLU feed-forward layer to ``projection_dim``;
4. composition: a second shared biLSTM, ``v_a [B, P, 2H]``, ``v_b [B, Q, 2H]``;
5. pooling: masked mean and max of both -> ``[B, 8H]``;
6. classifier: dropout -> feed-forward (``activation``: ReLU as the AllenNLP
   recipe, tanh as the original ESIM) -> dropout -> linear to the labels.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from elmo_eval.modules.masked_lstm import MaskedLSTM
from elmo_eval.modules.masked_ops import masked_max, masked_mean, masked_softmax
from elmo_eval.modules.pair_similarity import dot_product_similarity

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


class EsimHead(nn.Module):
    """Premise/hypothesis features -> label logits ``[B, num_labels]`` and (with ``label`` targets) the loss."""

    def __init__(self, input_dim: int, output_dim: int = 0, num_labels: int = 3, hidden: int = 300,
                 projection_dim: int = 300, classifier_dim: int = 300, dropout: float = 0.5,
                 activation: str = "relu"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.encoder = MaskedLSTM(input_dim, hidden)
        encoded_dim = self.encoder.output_dim + output_dim
        self.projection = nn.Sequential(nn.Linear(4 * encoded_dim, projection_dim), nn.ReLU())
        self.composition = MaskedLSTM(projection_dim, hidden)
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(4 * self.composition.output_dim, classifier_dim),
            ACTIVATIONS[activation](), nn.Dropout(dropout), nn.Linear(classifier_dim, num_labels))
        self.dropout = nn.Dropout(dropout)

    @staticmethod
    def _enhance(x: torch.Tensor, aligned: torch.Tensor) -> torch.Tensor:
        """``[x; x~; x - x~; x * x~]``: ``[B, T, d]`` -> ``[B, T, 4d]``."""
        return torch.cat([x, aligned, x - aligned, x * aligned], dim=-1)

    def forward(self, inputs: dict, outputs: dict | None, batch) -> dict:
        p_mask = batch.fields["premise"].mask                                   # [B, P]
        h_mask = batch.fields["hypothesis"].mask                                # [B, Q]
        a = self.encoder(inputs["premise"], p_mask)                             # [B, P, 2H]
        b = self.encoder(inputs["hypothesis"], h_mask)                          # [B, Q, 2H]
        if outputs is not None:
            a = torch.cat([a, outputs["premise"]], dim=-1)
            b = torch.cat([b, outputs["hypothesis"]], dim=-1)

        similarity = dot_product_similarity(a, b)                               # [B, P, Q]
        a_aligned = torch.bmm(masked_softmax(similarity, h_mask.unsqueeze(1)), b)                  # [B, P, d]
        b_aligned = torch.bmm(masked_softmax(similarity.transpose(1, 2), p_mask.unsqueeze(1)), a)  # [B, Q, d]

        a_projected = self.dropout(self.projection(self._enhance(a, a_aligned)))
        b_projected = self.dropout(self.projection(self._enhance(b, b_aligned)))
        v_a = self.composition(a_projected, p_mask)                             # [B, P, 2H]
        v_b = self.composition(b_projected, h_mask)                             # [B, Q, 2H]
        pooled = torch.cat([masked_mean(v_a, p_mask), masked_max(v_a, p_mask),
                            masked_mean(v_b, h_mask), masked_max(v_b, h_mask)], dim=-1)   # [B, 8H]
        logits = self.classifier(pooled)
        out = {"logits": logits}
        if "label" in batch.targets:
            out["loss"] = F.cross_entropy(logits, batch.targets["label"])
        return out

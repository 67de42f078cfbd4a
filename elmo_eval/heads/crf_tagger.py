"""BiLSTM-CRF sequence tagger (the paper's NER baseline; Lample et al. 2016, Peters et al. 2017).

Input (word vectors + character CNN + optional ELMo, built by TaskModel) ->
stacked biLSTM -> dropout -> [optional output ELMo concatenated] -> linear tag
scores -> CRF (loss: negative log-likelihood summed over the batch; decoding:
Viterbi under the tagging scheme's constraints).
"""
from __future__ import annotations

import torch
from torch import nn

from elmo_eval.modules.crf import ConditionalRandomField
from elmo_eval.modules.masked_lstm import MaskedLSTM
from elmo_eval.modules.viterbi import allowed_ends, allowed_transitions


class CrfTagger(nn.Module):
    """``head(inputs, outputs, batch)`` for one text field.

    inputs[field] ``[batch, time, input_dim]``; outputs None or outputs[field]
    ``[batch, time, output_dim]``; gold ``batch.targets["tags"]`` ``[batch, time]``.
    Returns ``{"emissions" [batch, time, tags], "mask" [batch, time], "loss"?, "predicted_tags"?}``;
    predicted tag ids (lists) are added when not training.
    """

    def __init__(self, input_dim: int, output_dim: int, labels: list[str], hidden_dim: int = 200,
                 num_layers: int = 2, dropout: float = 0.5, scheme: str | None = "BIOES",
                 include_start_end: bool = False, field: str = "tokens"):
        super().__init__()
        self.field = field
        self.encoder = MaskedLSTM(input_dim, hidden_dim, num_layers=num_layers, bidirectional=True, dropout=dropout)
        self.dropout = nn.Dropout(dropout)
        self.projection = nn.Linear(self.encoder.output_dim + output_dim, len(labels))
        constraints = None
        if scheme is not None:
            allowed, start = allowed_transitions(labels, scheme)
            constraints = (allowed, start, allowed_ends(labels, scheme))
        self.crf = ConditionalRandomField(len(labels), include_start_end=include_start_end, constraints=constraints)

    def forward(self, inputs: dict, outputs: dict | None, batch) -> dict:
        mask = batch.fields[self.field].mask
        hidden = self.dropout(self.encoder(inputs[self.field], mask))
        if outputs is not None:
            hidden = torch.cat([hidden, outputs[self.field]], dim=-1)
        emissions = self.projection(hidden)
        result = {"emissions": emissions, "mask": mask}
        if "tags" in batch.targets:
            result["loss"] = self.crf(emissions, batch.targets["tags"], mask)
        if not self.training:
            result["predicted_tags"] = self.crf.decode(emissions, mask)
        return result

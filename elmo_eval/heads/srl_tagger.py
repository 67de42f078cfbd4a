"""The SRL head of He et al. 2017: a BIO tagger per predicate over a deep alternating highway LSTM.

Input per token: the token representation (whatever the embedder gives:
words, characters, ELMo) concatenated with a predicate-indicator embedding.
Output: per-token tag scores; decoding is a Viterbi search that only allows
valid BIO sequences (never an ``I-X`` that does not continue an ``X``).
ELMo at the output (Table 3) is concatenated to the top LSTM state before the
tag projection.
"""
from __future__ import annotations

import torch
from torch import nn

from elmo_eval.modules.highway_lstm import AlternatingHighwayLSTM
from elmo_eval.modules.viterbi import allowed_transitions, constrained_scores, viterbi_decode


class SrlTagger(nn.Module):
    """``head(inputs, outputs, batch)`` -> ``{"logits" [batch, time, tags], "mask", "loss"?, "predicted_tags"?}``.

    predicted_tags (eval mode only): one valid BIO label list per row.

    inputs["tokens"] ``[batch, time, input_dim]``; outputs None or outputs["tokens"]
    ``[batch, time, output_dim]``; batch.features["predicate_indicator"] ``[batch, time]``
    (0/1); batch.targets["tags"] ``[batch, time]`` tag ids (when training).
    """

    def __init__(self, input_dim: int, output_dim: int, labels: list[str], predicate_dim: int = 100,
                 hidden_dim: int = 300, num_layers: int = 8, recurrent_dropout: float = 0.1):
        super().__init__()
        self.labels = list(labels)
        self.predicate_embedding = nn.Embedding(2, predicate_dim)
        self.encoder = AlternatingHighwayLSTM(input_dim + predicate_dim, hidden_dim, num_layers, recurrent_dropout)
        self.projection = nn.Linear(hidden_dim + output_dim, len(labels))
        nn.init.orthogonal_(self.projection.weight)
        nn.init.zeros_(self.projection.bias)
        allowed, start = allowed_transitions(self.labels, "BIO")
        self.register_buffer("transitions", constrained_scores(torch.zeros(allowed.shape), allowed), persistent=False)
        self.register_buffer("start_transitions", constrained_scores(torch.zeros(start.shape), start),
                             persistent=False)

    def forward(self, inputs: dict, outputs: dict | None, batch) -> dict:
        tokens = batch.fields["tokens"]
        mask = tokens.mask
        indicator = batch.features["predicate_indicator"]
        x = torch.cat([inputs["tokens"], self.predicate_embedding(indicator)], -1)
        hidden = self.encoder(x, mask)
        if outputs is not None:
            hidden = torch.cat([hidden, outputs["tokens"]], -1)
        logits = self.projection(hidden)  # [batch, time, tags]
        result = {"logits": logits, "mask": mask}
        if not self.training:
            result["predicted_tags"] = self.decode(logits, mask)  # only where someone reads them
        if "tags" in batch.targets:
            # mean token cross-entropy over real tokens
            result["loss"] = nn.functional.cross_entropy(logits[mask], batch.targets["tags"][mask])
        return result

    @torch.no_grad()
    def decode(self, logits: torch.Tensor, mask: torch.Tensor) -> list[list[str]]:
        """Constrained Viterbi over log-probabilities: one valid BIO sequence per row."""
        log_probs = torch.log_softmax(logits.float(), -1)
        paths = viterbi_decode(log_probs, self.transitions, mask, self.start_transitions)
        return [[self.labels[i] for i in path] for path in paths]

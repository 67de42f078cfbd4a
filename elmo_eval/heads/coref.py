"""End-to-end coreference (Lee et al. 2017), the paper's coreference baseline.

Per document: a contextual biLSTM (over each sentence, as in e2e-coref, or over
the whole document) gives x*; every span of up to ``max_span_width`` tokens
inside a sentence gets ``g = [x*_start, x*_end, soft head of the inputs,
phi(width)]``; an FFNN scores each span as a mention; the ``top_span_ratio *
length`` best spans are kept (no non-crossing constraint); each kept span scores
its ``max_antecedents`` nearest kept predecessors with
``s(i, j) = s_m(i) + s_m(j) + FFNN([g_i, g_j, g_i * g_j, phi(distance), phi(same
speaker), phi(genre)])`` against a dummy antecedent of score 0. Training
maximises the marginal log-likelihood of the gold antecedents (a kept span in
no gold cluster, or whose cluster has no kept predecessor, has the dummy as its
gold antecedent). Decoding links each span to its best antecedent; clusters are
the transitive closure of the links.

ELMo placements: at the input it is part of ``inputs`` (the paper's choice);
at the output it is concatenated to the contextual biLSTM output before the
span representations, so it feeds the endpoints and the head-attention logits.

Memory on long documents: there are at most ``max_span_width * length``
candidate spans (the soft-head gather runs in chunks of spans), pruning keeps
``top_span_ratio * length`` of them, and the pairwise scorer sees
``kept * max_antecedents`` pairs. While training, a document longer than
``max_training_sentences`` sentences is cut to a random contiguous block of
that many sentences (as e2e-coref does); evaluation always sees the whole
document. The batch is one document in the recipe; documents of a larger
batch are processed one after another (each fully vectorised), and their
losses averaged.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from elmo_eval.modules.masked_lstm import MaskedLSTM
from elmo_eval.modules.span_extractor import SpanRepresentation, enumerate_spans

NUM_DISTANCE_BUCKETS = 10  # 0, 1, 2, 3, 4, 5-7, 8-15, 16-31, 32-63, 64+


def distance_buckets(distances: torch.Tensor) -> torch.Tensor:
    """Distances (>= 0) -> bucket ids: identity up to 4, then one bucket per power of two, 64+ last."""
    log_bucket = torch.floor(torch.log2(distances.clamp(min=1).float())).long() + 3
    return torch.where(distances <= 4, distances, log_bucket).clamp(max=NUM_DISTANCE_BUCKETS - 1)


def feed_forward(input_dim: int, hidden_dim: int, num_layers: int, dropout: float) -> nn.Sequential:
    """``num_layers`` ReLU layers with dropout, then a linear scorer: ``[..., input_dim] -> [..., 1]``."""
    layers: list[nn.Module] = []
    for i in range(num_layers):
        layers += [nn.Linear(input_dim if i == 0 else hidden_dim, hidden_dim), nn.ReLU(), nn.Dropout(dropout)]
    layers.append(nn.Linear(hidden_dim if num_layers else input_dim, 1))
    return nn.Sequential(*layers)


class CorefHead(nn.Module):
    """``head(inputs, outputs, batch)`` for the ``document`` field (see the module docstring).

    Inputs ``inputs["document"]`` ``[batch, time, input_dim]``; optional
    ``outputs["document"]`` ``[batch, time, output_dim]``; features ``speaker_ids``
    ``[batch, time]`` and ``genre_ids`` ``[batch]``; targets (training)
    ``gold_starts`` / ``gold_ends`` / ``gold_clusters`` ``[batch, mentions]`` padded with -1.
    Returns ``loss`` (when targets are given) and ``documents``: per document a dict of
    ``starts``, ``ends`` (kept spans, ``[kept]``) and ``antecedents`` (index of each kept
    span's predicted antecedent among the kept spans, -1 for none).
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int = 0,
        *,
        context_hidden: int = 200,
        context_layers: int = 1,
        context_scope: str = "sentence",
        max_span_width: int = 10,
        feature_dim: int = 20,
        ffnn_hidden: int = 150,
        ffnn_layers: int = 2,
        hidden_dropout: float = 0.2,
        top_span_ratio: float = 0.4,
        max_antecedents: int = 250,
        max_training_sentences: int = 50,
        num_genres: int = 8,
        use_speaker: bool = True,
        use_genre: bool = True,
        use_head_attention: bool = True,
        mention_loss_weight: float = 0.0,
    ):
        super().__init__()
        self.mention_loss_weight = mention_loss_weight
        if context_scope not in ("sentence", "document"):
            raise ValueError(f"context_scope must be 'sentence' or 'document', got {context_scope!r}")
        self.context_scope = context_scope
        self.top_span_ratio = top_span_ratio
        self.max_antecedents = max_antecedents
        self.max_training_sentences = max_training_sentences
        self.use_speaker, self.use_genre = use_speaker, use_genre
        self.context = MaskedLSTM(input_dim, context_hidden, num_layers=context_layers, dropout=hidden_dropout)
        context_dim = self.context.output_dim + output_dim
        self.dropout = nn.Dropout(hidden_dropout)
        self.spans = SpanRepresentation(context_dim, input_dim, max_span_width, feature_dim, use_head_attention)
        span_dim = self.spans.output_dim
        self.mention_scorer = feed_forward(span_dim, ffnn_hidden, ffnn_layers, hidden_dropout)
        self.distance_embedding = nn.Embedding(NUM_DISTANCE_BUCKETS, feature_dim)
        self.speaker_embedding = nn.Embedding(2, feature_dim) if use_speaker else None
        self.genre_embedding = nn.Embedding(num_genres, feature_dim) if use_genre else None
        pair_dim = 3 * span_dim + feature_dim * (1 + use_speaker + use_genre)
        self.antecedent_scorer = feed_forward(pair_dim, ffnn_hidden, ffnn_layers, hidden_dropout)

    # --- the batch ---------------------------------------------------------------
    def forward(self, inputs: dict, outputs: dict | None, batch) -> dict:
        field = batch.fields["document"]
        lengths = field.mask.sum(1).tolist()
        with_targets = "gold_clusters" in batch.targets
        documents, losses = [], []
        for b, length in enumerate(lengths):
            sentence_ids = self._sentence_ids(field.sentence_starts[b], length, field.mask.device)
            x = inputs["document"][b, :length]
            extra = outputs["document"][b, :length] if outputs is not None else None
            speakers = (
                batch.features["speaker_ids"][b, :length]
                if "speaker_ids" in batch.features
                else torch.zeros(length, dtype=torch.long, device=x.device)
            )
            genre = (
                batch.features["genre_ids"][b]
                if "genre_ids" in batch.features
                else torch.zeros((), dtype=torch.long, device=x.device)
            )
            gold = None
            if with_targets:
                keep = batch.targets["gold_clusters"][b] >= 0
                gold = (
                    batch.targets["gold_starts"][b][keep],
                    batch.targets["gold_ends"][b][keep],
                    batch.targets["gold_clusters"][b][keep],
                )
            offset = 0
            if self.training and length and int(sentence_ids[-1]) + 1 > self.max_training_sentences:
                x, extra, speakers, sentence_ids, gold, offset = self._crop(x, extra, speakers, sentence_ids, gold)
            document = self._document(x, extra, sentence_ids, speakers, genre, gold)
            document["starts"] = document["starts"] + offset
            document["ends"] = document["ends"] + offset
            if "loss" in document:
                losses.append(document.pop("loss"))
            documents.append(document)
        result: dict = {"documents": documents}
        if with_targets:
            result["loss"] = torch.stack(losses).mean() if losses else inputs["document"].sum() * 0.0
        return result

    @staticmethod
    def _sentence_ids(starts: list[int], length: int, device) -> torch.Tensor:
        """Sentence index of each token ``[length]`` from the sentences' start offsets."""
        ids = torch.zeros(length, dtype=torch.long, device=device)
        boundaries = torch.tensor([s for s in starts[1:] if 0 < s < length], dtype=torch.long, device=device)
        if len(boundaries):
            ids = torch.bucketize(torch.arange(length, device=device), boundaries, right=True)
        return ids

    def _crop(self, x, extra, speakers, sentence_ids, gold):
        """A random block of ``max_training_sentences`` contiguous sentences (training on long documents)."""
        num_sentences = int(sentence_ids[-1]) + 1
        first = int(torch.randint(num_sentences - self.max_training_sentences + 1, (1,)))
        inside = (sentence_ids >= first) & (sentence_ids < first + self.max_training_sentences)
        start = int(inside.nonzero()[0])
        end = int(inside.nonzero()[-1]) + 1
        if gold is not None:
            starts, ends, clusters = gold
            keep = (starts >= start) & (ends < end)
            gold = (starts[keep] - start, ends[keep] - start, clusters[keep])
        extra = extra[start:end] if extra is not None else None
        return x[start:end], extra, speakers[start:end], sentence_ids[start:end] - first, gold, start

    # --- one document -------------------------------------------------------------
    def _contextualize(self, x: torch.Tensor, sentence_ids: torch.Tensor) -> torch.Tensor:
        """``[time, input_dim]`` -> ``[time, context_out]``, the biLSTM run per sentence or per document."""
        if self.context_scope == "document":
            return self.context(x.unsqueeze(0), torch.ones(1, x.size(0), dtype=torch.bool, device=x.device))[0]
        num_sentences = int(sentence_ids[-1]) + 1
        # sentence ids are sorted: searchsorted finds each sentence's first token (bincount is not
        # deterministic on CUDA, and the trainer runs in deterministic mode)
        first_token = torch.searchsorted(sentence_ids, torch.arange(num_sentences, device=x.device))
        sizes = torch.diff(first_token, append=first_token.new_tensor([x.size(0)]))
        position = torch.arange(x.size(0), device=x.device) - first_token[sentence_ids]
        padded = x.new_zeros(num_sentences, int(sizes.max()), x.size(-1))
        padded[sentence_ids, position] = x
        mask = torch.zeros(num_sentences, int(sizes.max()), dtype=torch.bool, device=x.device)
        mask[sentence_ids, position] = True
        return self.context(padded, mask)[sentence_ids, position]

    def _document(self, x, extra, sentence_ids, speakers, genre, gold) -> dict:
        length = x.size(0)
        empty = torch.zeros(0, dtype=torch.long, device=x.device)
        if length == 0:
            out = {"starts": empty, "ends": empty, "antecedents": empty}
            if gold is not None:
                out["loss"] = x.sum() * 0.0
            return out
        context = self._contextualize(x, sentence_ids)
        if extra is not None:
            context = torch.cat([context, extra], dim=-1)
        context = self.dropout(context)
        starts, ends = enumerate_spans(sentence_ids, self.spans.max_width)
        span_emb = self.spans(context, x, starts, ends)  # [spans, span_dim]
        mention_scores = self.mention_scorer(span_emb).squeeze(-1)  # [spans]

        # prune: the best ratio * length spans, back in (start, end) order so antecedents precede
        num_kept = min(max(1, math.floor(self.top_span_ratio * length)), len(starts))
        kept = torch.topk(mention_scores, num_kept).indices.sort().values
        kept_emb, kept_scores = span_emb[kept], mention_scores[kept]
        kept_starts, kept_ends = starts[kept], ends[kept]

        # antecedents: the nearest max_antecedents kept spans before each kept span
        num_antecedents = min(self.max_antecedents, num_kept - 1)
        offsets = torch.arange(1, num_antecedents + 1, device=x.device)  # [ants]
        antecedents = torch.arange(num_kept, device=x.device).unsqueeze(1) - offsets  # [kept, ants]
        valid = antecedents >= 0
        antecedents = antecedents.clamp(min=0)
        pair_scores = self._pair_scores(kept_emb, antecedents, offsets, speakers[kept_starts], genre)
        scores = kept_scores.unsqueeze(1) + kept_scores[antecedents] + pair_scores
        scores = scores.masked_fill(~valid, float("-inf"))
        scores = torch.cat([scores.new_zeros(num_kept, 1), scores], dim=1)  # dummy first

        best = scores.argmax(dim=1)
        if num_antecedents == 0:  # one kept span (a document of a few tokens): nothing to link
            predicted = torch.full_like(best, -1)
        else:
            predicted = torch.where(best > 0, antecedents.gather(1, (best - 1).clamp(min=0).unsqueeze(1)).squeeze(1),
                                    torch.full_like(best, -1))
        out = {"starts": kept_starts, "ends": kept_ends, "antecedents": predicted}
        if gold is not None:
            out["loss"] = self._loss(scores, kept_starts, kept_ends, antecedents, valid, gold)
            if self.mention_loss_weight:
                out["loss"] = out["loss"] + self.mention_loss_weight * self._mention_loss(
                    mention_scores, starts, ends, gold, length, num_kept)
        return out

    @staticmethod
    def _mention_loss(mention_scores, starts, ends, gold, length: int, num_kept: int) -> torch.Tensor:
        """Binary cross-entropy of every candidate span's mention score ``[spans]`` against whether it is
        a gold mention, averaged over the candidates and scaled to the kept-span count (the antecedent
        loss sums over kept spans, so the two stay on one scale as documents grow).

        Why: the antecedent loss reaches the mention scorer only through the kept spans. When pruning
        keeps no gold mention that has a kept antecedent, every kept span's gold antecedent is the
        dummy, the loss is satisfied by pushing all pair scores below the dummy's 0, and its gradient
        vanishes (training loss exactly 0, dev F1 0 every epoch): the all-dummy solution. This term
        always ranks gold mentions above the rest, so pruning keeps them.
        """
        gold_starts, gold_ends, _ = gold
        width = length + 1
        is_gold = torch.isin(starts * width + ends, gold_starts * width + gold_ends).to(mention_scores.dtype)
        bce = nn.functional.binary_cross_entropy_with_logits(mention_scores, is_gold)
        return bce * num_kept

    def _pair_scores(self, emb, antecedents, offsets, kept_speakers, genre) -> torch.Tensor:
        """FFNN([g_i, g_j, g_i * g_j, features]) for every (kept span, antecedent): ``[kept, ants]``."""
        num_kept, num_ants = antecedents.shape
        target = emb.unsqueeze(1).expand(num_kept, num_ants, -1)
        other = emb[antecedents]
        features = [self.distance_embedding(distance_buckets(offsets)).unsqueeze(0).expand(num_kept, -1, -1)]
        if self.speaker_embedding is not None:
            same = (kept_speakers.unsqueeze(1) == kept_speakers[antecedents]).long()
            features.append(self.speaker_embedding(same))
        if self.genre_embedding is not None:
            features.append(self.genre_embedding(genre).expand(num_kept, num_ants, -1))
        pairs = torch.cat([target, other, target * other, *features], dim=-1)
        return self.antecedent_scorer(pairs).squeeze(-1)

    @staticmethod
    def _loss(scores, kept_starts, kept_ends, antecedents, valid, gold) -> torch.Tensor:
        """Negative marginal log-likelihood of the gold antecedents, summed over kept spans."""
        gold_starts, gold_ends, gold_clusters = gold
        match = (kept_starts.unsqueeze(1) == gold_starts) & (kept_ends.unsqueeze(1) == gold_ends)  # [kept, gold]
        cluster = torch.where(
            match.any(1),
            gold_clusters[match.long().argmax(1)] if len(gold_clusters) else torch.full_like(kept_starts, -1),
            torch.full_like(kept_starts, -1),
        )
        same = (cluster[antecedents] == cluster.unsqueeze(1)) & valid & (cluster.unsqueeze(1) >= 0)
        gold_mask = torch.cat([~same.any(1, keepdim=True), same], dim=1)  # [kept, 1 + ants]
        marginal = torch.logsumexp(scores.masked_fill(~gold_mask, float("-inf")), dim=1)
        return (torch.logsumexp(scores, dim=1) - marginal).sum()


def clusters_from_antecedents(
    starts: list[int], ends: list[int], antecedents: list[int]
) -> list[list[tuple[int, int]]]:
    """Transitive closure of antecedent links -> clusters (each sorted, ordered by first mention).

    starts/ends: kept spans in document order; antecedents: index of each span's
    antecedent among them (an earlier span) or -1. Spans with no link either way are dropped.
    """
    cluster_of: dict[int, int] = {}
    clusters: list[list[tuple[int, int]]] = []
    for i, j in enumerate(antecedents):
        if j < 0:
            continue
        if j not in cluster_of:
            cluster_of[j] = len(clusters)
            clusters.append([(starts[j], ends[j])])
        cluster_of[i] = cluster_of[j]
        clusters[cluster_of[j]].append((starts[i], ends[i]))
    return sorted((sorted(set(c)) for c in clusters), key=lambda c: c[0])

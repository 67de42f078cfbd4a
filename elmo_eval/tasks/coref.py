"""Coreference resolution on CoNLL-2012 (OntoNotes 5.0) with the end-to-end head of Lee et al. 2017.

Instances are document parts (the unit the scorer works on). Text field:
``document``, the part's sentences (each encoded by the biLM alone, layers
concatenated along time). Features: the speaker of each token and the genre
(first path component of the document id). Targets: gold mentions with their
cluster. Metric: the CoNLL score (mean of MUC, B-cubed and CEAF-e F1) and the
individual metrics, as the reference scorer v8.01 computes them
(:mod:`elmo_eval.metrics.coref`). Predictions: a CoNLL-2012 file whose last
column holds the predicted clusters (TAB-separated, the other columns copied
from the input), with the gold file written beside it
(``<name>.gold<suffix>``), so that ``scorer.pl all <gold> <predictions>``
reproduces :meth:`CorefTask.evaluate` (checked against scorer.pl v8.01: identical counts).

One limit of the file format, not of the scores: mentions of one entity that
cross (``(1, 5)`` and ``(4, 6)``), or where one ends on the token where another
begins, cannot be bracketed unambiguously, and the scorer's per-entity stack
reads them differently. Gold OntoNotes has none; the head has no non-crossing
constraint, so a prediction may, rarely; :meth:`CorefTask.evaluate` scores the
spans themselves.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from elmo_eval.heads.coref import CorefHead, clusters_from_antecedents
from elmo_eval.metrics.coref import MAX_REPEATED_MENTIONS, TooManyRepeatedMentions, document_counts
from elmo_eval.metrics.pooled import COREF_METRICS, coref_from_counts
from elmo_eval.readers.conll2012 import Document, Sentence, read_conll2012
from elmo_eval.tasks.base import Task

# the OntoNotes genres, as e2e-coref lists them; id 0 is "unknown genre"
GENRES = ("bc", "bn", "mz", "nw", "pt", "tc", "wb")

Clusters = list[list[tuple[int, int]]]


class CorefTask(Task):
    name = "coref"
    text_fields = ("document",)
    main_metric = "conll_f1"
    statistics_aggregate = "conll_coref_f1"
    predictions_suffix = ".conll"

    # --- data -----------------------------------------------------------------------
    def read(self, path: str | Path) -> list[Document]:
        return read_conll2012(path)

    def training_instances(self, examples: Sequence[Document]) -> list[Document]:
        # a part without tokens teaches nothing (and cannot be encoded)
        return [doc for doc in examples if doc.sentences and any(len(s) for s in doc.sentences)]

    def texts(self, instance: Document) -> dict[str, list[list[str]]]:
        return {"document": [list(s.words) for s in instance.sentences]}

    # --- tensors ----------------------------------------------------------------------
    def features(self, instances: Sequence[Document]) -> dict[str, torch.Tensor]:
        """speaker_ids ``[batch, time]`` (per part, 0 = none given) and genre_ids ``[batch]``."""
        lengths = [sum(len(s) for s in doc.sentences) for doc in instances]
        speakers = torch.zeros(len(instances), max(lengths, default=0), dtype=torch.long)
        for b, doc in enumerate(instances):
            names: dict[str, int] = {}
            ids = [0 if sp is None else names.setdefault(sp, len(names) + 1)
                   for s in doc.sentences for sp in s.speakers]
            speakers[b, :len(ids)] = torch.tensor(ids, dtype=torch.long)
        genres = torch.tensor([genre_id(doc) for doc in instances], dtype=torch.long)
        return {"speaker_ids": speakers, "genre_ids": genres}

    def targets(self, instances: Sequence[Document]) -> dict[str, torch.Tensor]:
        """gold_starts / gold_ends / gold_clusters ``[batch, mentions]``, padded with -1."""
        mentions = [[(s, e, c) for c, cluster in enumerate(doc.clusters) for s, e in cluster] for doc in instances]
        width = max((len(m) for m in mentions), default=0)
        out = torch.full((3, len(instances), width), -1, dtype=torch.long)
        for b, doc_mentions in enumerate(mentions):
            if doc_mentions:
                out[:, b, :len(doc_mentions)] = torch.tensor(doc_mentions, dtype=torch.long).T
        return {"gold_starts": out[0], "gold_ends": out[1], "gold_clusters": out[2]}

    # --- model ------------------------------------------------------------------------
    def build_head(self, input_dim: int, output_dim: int, *, context_hidden: int = 200, context_layers: int = 1,
                   context_scope: str = "sentence", max_span_width: int = 10, feature_dim: int = 20,
                   ffnn_hidden: int = 150, ffnn_layers: int = 2, hidden_dropout: float = 0.2,
                   top_span_ratio: float = 0.4, max_antecedents: int = 250, max_training_sentences: int = 50,
                   use_speaker: bool = True, use_genre: bool = True, use_head_attention: bool = True,
                   mention_loss_weight: float = 0.0) -> CorefHead:
        return CorefHead(
            input_dim, output_dim, context_hidden=context_hidden, context_layers=context_layers,
            context_scope=context_scope, max_span_width=max_span_width, feature_dim=feature_dim,
            ffnn_hidden=ffnn_hidden, ffnn_layers=ffnn_layers, hidden_dropout=hidden_dropout,
            top_span_ratio=top_span_ratio, max_antecedents=max_antecedents,
            max_training_sentences=max_training_sentences, num_genres=len(GENRES) + 1, use_speaker=use_speaker,
            use_genre=use_genre, use_head_attention=use_head_attention, mention_loss_weight=mention_loss_weight)

    def decode(self, output: dict, batch) -> list[Clusters]:
        return [clusters_from_antecedents(d["starts"].tolist(), d["ends"].tolist(), d["antecedents"].tolist())
                for d in output["documents"]]

    # --- scoring ----------------------------------------------------------------------
    def score_statistics(self, instances, predictions) -> np.ndarray:
        """``[n, 20]``: (recall_num, recall_den, precision_num, precision_den) of MUC, B³, CEAF-m, CEAF-e and
        mention identification per document, the counts scorer.pl pools. Like the scorer, refuses a
        response with too many repeated mentions."""
        rows, repeats = [], 0
        for doc, clusters in zip(instances, predictions):
            counts = document_counts(doc.clusters, clusters)
            repeats += counts["repeats"]
            rows.append([v for m in COREF_METRICS for v in (
                counts[m].recall_num, counts[m].recall_den, counts[m].precision_num, counts[m].precision_den)])
        if repeats > MAX_REPEATED_MENTIONS:
            raise TooManyRepeatedMentions(f"found {repeats} repeated mentions in the response (more than "
                                          f"{MAX_REPEATED_MENTIONS}): the official scorer refuses to score")
        return np.array(rows, dtype=float).reshape(len(rows), 4 * len(COREF_METRICS))

    def metrics_from_statistics(self, totals: np.ndarray) -> dict[str, np.ndarray]:
        return coref_from_counts(totals)

    def write_predictions(self, path: str | Path, instances: Sequence[Document],
                          predictions: Sequence[Clusters]) -> None:
        path = Path(path)
        write_conll(path, instances, predictions)
        write_conll(gold_path(path), instances, [doc.clusters for doc in instances])


def genre_id(doc: Document) -> int:
    return GENRES.index(doc.genre) + 1 if doc.genre in GENRES else 0


def gold_path(predictions_path: str | Path) -> Path:
    """Where the gold file beside a predictions file goes: ``dev.conll`` -> ``dev.gold.conll``."""
    path = Path(predictions_path)
    return path.with_name(f"{path.stem}.gold{path.suffix}")


# --- CoNLL-2012 writing ------------------------------------------------------------------

def coref_column(length: int, clusters: Clusters) -> list[str]:
    """Clusters (offsets within ``length`` tokens) -> the coreference column: ``(3``, ``3)``, ``(3)``, ``|``, ``-``.

    Per token: openings (longest span first), one-token mentions, closings (shortest first),
    so nested mentions read back correctly with a stack per entity.
    """
    opening: list[list[tuple[int, str]]] = [[] for _ in range(length)]
    single: list[list[str]] = [[] for _ in range(length)]
    closing: list[list[tuple[int, str]]] = [[] for _ in range(length)]
    for cluster_id, cluster in enumerate(clusters):
        for start, end in cluster:
            if start == end:
                single[start].append(f"({cluster_id})")
            else:
                opening[start].append((-(end - start), f"({cluster_id}"))
                closing[end].append((end - start, f"{cluster_id})"))
    return ["|".join([t for _, t in sorted(o)] + s + [t for _, t in sorted(c)]) or "-"
            for o, s, c in zip(opening, single, closing)]


def bracket_column(length: int, spans: Sequence[tuple[str, int, int]]) -> list[str]:
    """``(label, start, end)`` spans -> ``(LABEL*``, ``*``, ``*)``, ``(LABEL*)`` (named-entity column)."""
    opens = [""] * length
    closes = [""] * length
    for label, start, end in sorted(spans, key=lambda s: (s[1], -s[2])):
        opens[start] += f"({label}"
        closes[end] += ")"
    return [f"{o}*{c}" for o, c in zip(opens, closes)]


def _dash(value: str | None) -> str:
    return "-" if value is None else value


def _sentence_rows(doc: Document, sentence: Sentence, coref: list[str]) -> list[str]:
    entities = bracket_column(len(sentence), sentence.named_entities)
    rows = []
    for i, word in enumerate(sentence.words):
        columns = [sentence.document_id or doc.doc_id, str(doc.part), str(i), word, sentence.pos[i],
                   sentence.parse_bits[i], _dash(sentence.predicate_lemmas[i]),
                   _dash(sentence.predicate_framesets[i]), _dash(sentence.word_senses[i]),
                   _dash(sentence.speakers[i]), entities[i], *(column[i] for column in sentence.srl_columns),
                   coref[i]]
        rows.append("\t".join(columns))
    return rows


def write_conll(path: str | Path, documents: Sequence[Document], clusters: Sequence[Clusters]) -> None:
    """CoNLL-2012 parts with ``clusters`` in the coreference column (TAB-separated, the scorer's input)."""
    with open(path, "w", encoding="utf-8") as handle:
        for doc, doc_clusters in zip(documents, clusters):
            length = sum(len(s) for s in doc.sentences)
            coref = coref_column(length, doc_clusters)
            handle.write(f"#begin document ({doc.doc_id}); part {doc.part:03d}\n")
            offset = 0
            for sentence in doc.sentences:
                handle.write("\n".join(_sentence_rows(doc, sentence, coref[offset:offset + len(sentence)])))
                handle.write("\n\n")
                offset += len(sentence)
            handle.write("#end document\n")

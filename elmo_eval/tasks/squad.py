"""SQuAD 1.1 question answering with a BiDAF head.

Text fields: ``passage`` (the paragraph, encoded by the biLM as one sequence:
the layer cache is keyed by token content, so every question of a paragraph
shares one entry) and ``question``. Targets: the first gold answer's inclusive
token span. Predictions: the passage substring between the predicted tokens'
character offsets, written as the official ``{question_id: answer_text}``
JSON and scored with the official EM / F1 rules.

Option (``[data.options]`` of the spec): ``max_passage_tokens`` (training
only: longer passages are cut there and questions whose answer ends beyond
the cut are dropped; evaluation always sees whole passages).
"""
from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from elmo_eval.heads.bidaf import BidafHead
from elmo_eval.metrics.pooled import percent
from elmo_eval.metrics.squad import exact_match, token_f1
from elmo_eval.readers.squad import SquadQuestion, SquadReadReport, read_squad
from elmo_eval.tasks.base import Task

log = logging.getLogger(__name__)

DEFAULT_MAX_PASSAGE_TOKENS = 400


class SquadTask(Task):
    name = "squad"
    text_fields = ("passage", "question")
    main_metric = "f1"
    statistics_aggregate = "squad_f1"
    predictions_suffix = ".json"

    def __init__(self, *, max_passage_tokens: int = DEFAULT_MAX_PASSAGE_TOKENS):
        self.max_passage_tokens = max_passage_tokens
        self.read_reports: dict[str, SquadReadReport] = {}
        self.training_report: dict[str, int] = {}

    # --- data -----------------------------------------------------------------
    def read(self, path: str | Path) -> list[SquadQuestion]:
        questions, report = read_squad(path)
        self.read_reports[str(path)] = report
        if report.answers_off_token_boundary or report.answers_unmappable:
            log.info("%s: %d of %d answers expanded to token boundaries, %d unmappable (e.g. %s)", path,
                     report.answers_off_token_boundary, report.answers, report.answers_unmappable,
                     report.examples[:3])
        return questions

    def training_instances(self, examples: Sequence[SquadQuestion]) -> list[SquadQuestion]:
        """Questions with a mapped answer; passages cut to ``max_passage_tokens`` (answers beyond: dropped)."""
        limit = self.max_passage_tokens
        kept, unmapped, beyond, truncated = [], 0, 0, 0
        for question in examples:
            if question.span is None:
                unmapped += 1
                continue
            if limit and len(question.passage_tokens) > limit:
                if question.span[1] >= limit:
                    beyond += 1
                    continue
                truncated += 1
                question = dataclasses.replace(question, passage_tokens=question.passage_tokens[:limit],
                                               passage_spans=question.passage_spans[:limit])
            kept.append(question)
        self.training_report = {"kept": len(kept), "dropped_unmapped": unmapped,
                                "dropped_answer_beyond_limit": beyond, "truncated": truncated}
        return kept

    def texts(self, instance: SquadQuestion) -> dict[str, list[str]]:
        return {"passage": list(instance.passage_tokens), "question": list(instance.question_tokens)}

    # --- tensors --------------------------------------------------------------
    def targets(self, instances: Sequence[SquadQuestion]) -> dict[str, torch.Tensor]:
        # evaluation questions whose answer could not be mapped get (0, 0): their
        # loss is never used, and scoring compares answer texts, not spans
        spans = [q.span or (0, 0) for q in instances]
        return {"span_start": torch.tensor([s for s, _ in spans], dtype=torch.long),
                "span_end": torch.tensor([e for _, e in spans], dtype=torch.long)}

    def build_head(self, input_dim: int, output_dim: int, *, hidden: int = 100, highway_layers: int = 2,
                   modeling_layers: int = 2, span_end_layers: int = 1, head_dropout: float = 0.2,
                   max_span_length: int = 30, output_elmo_at: str = "attention") -> BidafHead:
        return BidafHead(input_dim, output_dim, hidden=hidden, highway_layers=highway_layers,
                         modeling_layers=modeling_layers, span_end_layers=span_end_layers, dropout=head_dropout,
                         max_span_length=max_span_length, output_elmo_at=output_elmo_at)

    def decode(self, output: dict, batch) -> list[str]:
        starts = output["best_start"].tolist()
        ends = output["best_end"].tolist()
        return [q.answer_text(s, e) for q, s, e in zip(batch.instances, starts, ends)]

    # --- scoring -----------------------------------------------------------------
    def score_statistics(self, instances, predictions) -> np.ndarray:
        """``[n, (exact_match, f1, 1)]``: each question's scores (max over its gold answers), as the
        official evaluate-v1.1.py computes them."""
        rows = []
        for question, prediction in zip(instances, predictions):
            if not question.answers:
                raise ValueError(f"question {question.id!r} has no gold answer (the official scorer cannot score it)")
            rows.append([max(exact_match(prediction, g) for g in question.answers),
                         max(token_f1(prediction, g) for g in question.answers), 1.0])
        return np.array(rows, dtype=float).reshape(len(rows), 3)

    def metrics_from_statistics(self, totals: np.ndarray) -> dict[str, np.ndarray]:
        return {"exact_match": percent(totals[..., 0], totals[..., 2]), "f1": percent(totals[..., 1], totals[..., 2])}

    def write_predictions(self, path: str | Path, instances: Sequence[SquadQuestion],
                          predictions: Sequence[str]) -> None:
        """The official scorer's input: one JSON object ``{question_id: answer_text}``."""
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({q.id: p for q, p in zip(instances, predictions)}, handle, ensure_ascii=False, indent=0)
            handle.write("\n")

"""Semantic role labeling on CoNLL-2012 (He et al. 2017 tagger), scored as ``srl-eval.pl``.

One instance per predicate: the sentence's tokens, the predicate position (a
``predicate_indicator`` feature) and BIO tags (``C-`` and ``R-`` arguments
kept as labels of their own). Evaluation groups the per-predicate predictions
back into sentences and scores them with :mod:`elmo_eval.metrics.srl_eval`
against the gold argument columns exactly as the file wrote them.

Options (``[data.options]``): ``format`` = ``"conll2012"`` (default; a file or
a directory of ``*gold_conll``) or ``"conll2005"`` (words + props columns).

Predictions: ``<split>.props`` (predicted) and ``<split>.gold.props`` (gold)
in the props format, so ``perl srl-eval.pl dev.gold.props dev.props`` gives the
same numbers. Sentences without predicates are not written (they carry no
propositions, so the scores are the same).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from elmo_eval.heads.srl_tagger import SrlTagger
from elmo_eval.metrics.pooled import percent, prf_from_counts
from elmo_eval.metrics.srl_eval import bio_to_column, evaluate_propositions, score_proposition, write_props
from elmo_eval.readers.conll2005 import read_conll2005
from elmo_eval.readers.conll2012 import Sentence, read_conll2012
from elmo_eval.tasks.base import Task

FORMATS = ("conll2012", "conll2005")


@dataclass
class SrlInstance:
    """One predicate of one sentence.

    sentence: index of the sentence in the list the instances were made from;
    predicate: token index of the predicate; verb: the string of the props
    file's first column (lemma, or the word where the lemma column is empty);
    tags: gold BIO tags; gold_column: the gold argument column as written.
    """

    sentence: int
    tokens: list[str]
    predicate: int
    verb: str
    tags: list[str]
    gold_column: list[str]


def sentence_instances(index: int, sentence: Sentence) -> list[SrlInstance]:
    """One instance per predicate of the sentence (a position listed twice is kept once, the first)."""
    instances, seen = [], set()
    for (predicate, tags), column in zip(sentence.srl_frames, sentence.srl_columns):
        if predicate in seen:
            continue
        seen.add(predicate)
        verb = sentence.predicate_lemmas[predicate] or sentence.words[predicate]
        instances.append(SrlInstance(index, sentence.words, predicate, verb, tags, column))
    return instances


class SrlTask(Task):
    name = "srl"
    main_metric = "f1"
    statistics_aggregate = "srl_f1"
    predictions_suffix = ".props"

    def __init__(self, *, format: str = "conll2012"):
        self.format = format
        if self.format not in FORMATS:
            raise ValueError(f"SRL format must be one of {FORMATS}, got {self.format!r}")
        self.labels: list[str] = []
        self.label_ids: dict[str, int] = {}

    # --- data -------------------------------------------------------------------
    def read(self, path: str | Path) -> list[Sentence]:
        """Every sentence of a split (documents flattened; sentences without predicates included)."""
        if self.format == "conll2005":
            return read_conll2005(path)
        return [s for doc in read_conll2012(path) for s in doc.sentences]

    def training_instances(self, examples: Sequence[Sentence]) -> list[SrlInstance]:
        return [inst for i, s in enumerate(examples) for inst in sentence_instances(i, s)]

    def eval_instances(self, examples: Sequence[Sentence]) -> list[SrlInstance]:
        return self.training_instances(examples)

    def texts(self, instance: SrlInstance) -> dict:
        return {"tokens": instance.tokens}

    # --- labels and tensors ------------------------------------------------------
    def fit_labels(self, instances: Sequence[SrlInstance]) -> None:
        seen = {t for inst in instances for t in inst.tags} - {"O"}
        # sorted by label then prefix so the vocabulary does not depend on data order
        self.labels = ["O", *sorted(seen, key=lambda t: (t[2:], t[0]))]
        self.label_ids = {t: i for i, t in enumerate(self.labels)}



    def targets(self, instances: Sequence[SrlInstance]) -> dict[str, torch.Tensor]:
        """``tags [batch, time]``; a tag never seen in training (dev/test only) maps to O."""
        width = max((len(i.tokens) for i in instances), default=0)
        tags = torch.zeros(len(instances), width, dtype=torch.long)
        for b, inst in enumerate(instances):
            tags[b, :len(inst.tags)] = torch.tensor([self.label_ids.get(t, 0) for t in inst.tags], dtype=torch.long)
        return {"tags": tags}

    def features(self, instances: Sequence[SrlInstance]) -> dict[str, torch.Tensor]:
        """``predicate_indicator [batch, time]``: 1 at the predicate, 0 elsewhere and on padding."""
        width = max((len(i.tokens) for i in instances), default=0)
        indicator = torch.zeros(len(instances), width, dtype=torch.long)
        indicator[torch.arange(len(instances)), torch.tensor([i.predicate for i in instances], dtype=torch.long)] = 1
        return {"predicate_indicator": indicator}

    # --- model ---------------------------------------------------------------------
    def build_head(self, input_dim: int, output_dim: int, *, predicate_dim: int = 100, hidden_dim: int = 300,
                   num_layers: int = 8, recurrent_dropout: float = 0.1) -> SrlTagger:
        return SrlTagger(input_dim, output_dim, self.labels, predicate_dim=predicate_dim, hidden_dim=hidden_dim,
                         num_layers=num_layers, recurrent_dropout=recurrent_dropout)

    def decode(self, output: dict, batch) -> list[list[str]]:
        """Valid BIO tags, one list per predicate (constrained Viterbi, done by the head in eval mode)."""
        return output["predicted_tags"]

    # --- scoring -----------------------------------------------------------------
    def propositions(self, instances: Sequence[SrlInstance], predictions: Sequence[list[str]] | None):
        """Gold (or, with predictions, predicted) props sentences, in order of first appearance."""
        by_sentence: dict[int, tuple[int, list]] = {}
        for k, inst in enumerate(instances):
            column = inst.gold_column if predictions is None else bio_to_column(predictions[k])
            by_sentence.setdefault(inst.sentence, (len(inst.tokens), []))[1].append(
                (inst.predicate, inst.verb, column))
        return list(by_sentence.values())

    def scores(self, instances: Sequence[SrlInstance], predictions: Sequence[list[str]]) -> dict:
        """The full srl-eval report (per-label rows, verb row)."""
        return evaluate_propositions(self.propositions(instances, None), self.propositions(instances, predictions))

    def score_statistics(self, instances, predictions) -> np.ndarray:
        """``[n, (correct, excess, missed, perfect, 1, V correct, V excess, V missed)]`` per proposition:
        the argument counts srl-eval pools (the verb apart), whether the proposition is perfect."""
        rows = []
        for inst, pred in zip(instances, predictions):
            counts = score_proposition(inst.gold_column, bio_to_column(pred))
            total, verb = counts.total(), counts.excluded.get("V", Counter())
            rows.append([total["correct"], total["excess"], total["missed"], float(counts.perfect), 1.0,
                         verb["correct"], verb["excess"], verb["missed"]])
        return np.array(rows, dtype=float).reshape(len(rows), 8)

    def metrics_from_statistics(self, totals: np.ndarray) -> dict[str, np.ndarray]:
        """srl-eval's overall row (percentages, ``V`` excluded), its counts and ``f1_V``."""
        correct, excess, missed = totals[..., 0], totals[..., 1], totals[..., 2]
        verb = totals[..., 5:8]
        return {**prf_from_counts(correct, correct + excess, correct + missed),
                "correct": correct, "excess": excess, "missed": missed, "num_propositions": totals[..., 4],
                "perfect_props": percent(totals[..., 3], totals[..., 4]),
                "f1_V": prf_from_counts(verb[..., 0], verb[..., 0] + verb[..., 1], verb[..., 0] + verb[..., 2])["f1"]}

    def breakdown(self, instances, predictions) -> dict[str, float]:
        """``f1_<label>`` per argument label (srl-eval's per-label rows)."""
        return {f"f1_{label}": row["f1"] for label, row in self.scores(instances, predictions)["per_label"].items()}

    def write_predictions(self, path: str | Path, instances: Sequence[SrlInstance],
                          predictions: Sequence[list[str]]) -> None:
        """``path`` (predicted props) and ``<stem>.gold<suffix>`` beside it (gold props)."""
        path = Path(path)
        gold_path = path.with_name(path.name[:-len(self.predictions_suffix)] + ".gold" + self.predictions_suffix
                                   if path.name.endswith(self.predictions_suffix) else path.name + ".gold")
        with open(path, "w", encoding="utf-8") as handle:
            write_props(handle, self.propositions(instances, predictions))
        with open(gold_path, "w", encoding="utf-8") as handle:
            write_props(handle, self.propositions(instances, None))

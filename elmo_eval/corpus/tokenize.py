"""Sentence splitting and PTB tokenization with nltk (no data download).

Sentences: nltk's Punkt, trained unsupervised on a sample of the input text (Punkt
learns abbreviations, collocations and sentence starters from the text it will split,
so no pretrained model is needed). Words: nltk's ``TreebankWordTokenizer`` (the Penn
Treebank conventions the task data follow: ``can't`` -> ``ca n't``, quotes as `` and '',
punctuation split off); brackets stay ``(`` ``)`` as in CoNLL-2003.
"""
from __future__ import annotations

from collections.abc import Iterable


class SentenceTokenizer:
    """``sentences(paragraph) -> list[list[str]]`` with Punkt parameters learnt from ``sample``."""

    def __init__(self, sample: str):
        from nltk.tokenize import TreebankWordTokenizer
        from nltk.tokenize.punkt import PunktSentenceTokenizer, PunktTrainer

        trainer = PunktTrainer()
        trainer.train(sample, finalize=True)
        self._splitter = PunktSentenceTokenizer(trainer.get_params())
        self._words = TreebankWordTokenizer()

    def sentences(self, paragraph: str) -> list[list[str]]:
        return [tokens for sentence in self._splitter.tokenize(paragraph)
                if (tokens := self._words.tokenize(sentence))]


def training_sample(paragraph_streams: Iterable[Iterable[str]], chars_per_stream: int) -> str:
    """Up to ``chars_per_stream`` characters of paragraphs from each stream, one paragraph a line
    (each source contributes its own abbreviations: news "Mr." and "Corp.", Wikipedia "c.")."""
    parts: list[str] = []
    for paragraphs in paragraph_streams:
        taken = 0
        for paragraph in paragraphs:
            parts.append(paragraph)
            taken += len(paragraph)
            if taken >= chars_per_stream:
                break
    return "\n\n".join(parts)

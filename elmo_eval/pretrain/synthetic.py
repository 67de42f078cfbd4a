"""A small synthetic language with strong sequential structure (tests, benchmarks, demos).

Sentences follow ``NP VERB NP [PREP NP] .`` with ``NP = DET [ADJ] NOUN``. Words come
in classes: an adjective's class fixes the class of the noun after it, a subject
noun's class fixes the verb class, and the verb class fixes the object noun class.
A unigram model is therefore far worse than any model of the sequence.
"""
from __future__ import annotations

import random
from pathlib import Path

NUM_CLASSES = 4


def _lexicon() -> dict[str, list[list[str]]]:
    def words(prefix: str, per_class: int) -> list[list[str]]:
        return [[f"{prefix}{c}_{i}" for i in range(per_class)] for c in range(NUM_CLASSES)]

    return {"det": [["the", "a", "this", "that", "every", "some", "my", "our"]],
            "adj": words("adj", 15), "noun": words("noun", 30), "verb": words("verb", 20),
            "prep": [["in", "on", "with", "near", "under", "over", "behind", "beside"]]}


def generate_sentences(num_sentences: int, seed: int = 0) -> list[list[str]]:
    """``num_sentences`` tokenized sentences (about 9 tokens each; ~350 word types)."""
    lexicon = _lexicon()
    rng = random.Random(seed)

    def noun_phrase(word_class: int) -> list[str]:
        phrase = [rng.choice(lexicon["det"][0])]
        if rng.random() < 0.5:
            phrase.append(rng.choice(lexicon["adj"][word_class]))
        return phrase + [rng.choice(lexicon["noun"][word_class])]

    sentences = []
    for _ in range(num_sentences):
        subject_class = rng.randrange(NUM_CLASSES)
        object_class = (subject_class + 1) % NUM_CLASSES
        sentence = noun_phrase(subject_class) + [rng.choice(lexicon["verb"][subject_class])]
        sentence += noun_phrase(object_class)
        if rng.random() < 0.5:
            sentence += [rng.choice(lexicon["prep"][0])] + noun_phrase(rng.randrange(NUM_CLASSES))
        sentences.append(sentence + ["."])
    return sentences


def write_corpus(path: str | Path, num_sentences: int, seed: int = 0) -> Path:
    """Write ``num_sentences`` generated sentences, one per line, to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(" ".join(s) for s in generate_sentences(num_sentences, seed)) + "\n",
                    encoding="utf-8")
    return path

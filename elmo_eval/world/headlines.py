"""News headlines and descriptions for AG News-style topic classification.

Classes: 1 World, 2 Sports, 3 Business, 4 Sci/Tech.  Each class has its own
topic words, but every class also uses the shared words (``record``,
``deal``, ``launch``, ...) and the same names, and a quarter of descriptions
mention another class's topic word in passing, so single words mislead and
the surrounding phrase decides.
"""
from __future__ import annotations

import random

from . import lexicon as lx
from .lexicon import Lexicon

CLASS_NAMES = {1: "World", 2: "Sports", 3: "Business", 4: "Sci/Tech"}


def _name(lex: Lexicon, rng: random.Random, kind: str, labeled_train: bool) -> list[str]:
    forms = lex.forms_by_stem[lex.stem_pool(labeled_train).sample(rng)]
    if rng.random() < 0.4:
        return [forms.stem]
    return {"PER": [forms.person], "LOC": [forms.place], "ORG": list(forms.org), "NAT": [forms.nationality]}[kind]


def _clause(cls: int, lex: Lexicon, rng: random.Random, labeled_train: bool) -> list[str]:
    topic = lx.TOPIC_WORDS[cls]
    shared = rng.choice(lx.SHARED_TOPIC_WORDS)
    n = lambda kind: _name(lex, rng, kind, labeled_train)  # noqa: E731 - a local shorthand
    word = rng.choice(topic)
    templates = {
        1: [lambda: n("NAT") + ["leaders", "held", word, "in"] + n("LOC"),
            lambda: ["troops", "crossed", "the", "border", "near"] + n("LOC") + ["after", "the", shared],
            lambda: n("PER") + ["won", "the", "election", "in"] + n("LOC"),
            lambda: ["the", "government", "of"] + n("LOC") + ["signed", "a", shared, "on", word]],
        2: [lambda: n("ORG") + ["beat"] + n("ORG") + [str(rng.randint(1, 5)), "-", str(rng.randint(0, 4)),
                                                      "in", "the", word],
            lambda: n("PER") + ["scored", "a", shared, "goal", "for"] + n("ORG"),
            lambda: n("ORG") + ["signed", "striker"] + n("PER") + ["in", "a", shared, "deal"],
            lambda: ["the", "coach", "of"] + n("ORG") + ["praised", "the", word]],
        3: [lambda: ["shares", "of"] + n("ORG") + ["rose", "after", "a", shared, word],
            lambda: n("ORG") + ["agreed", "to", "buy"] + n("ORG") + ["in", "a", shared, "deal"],
            lambda: ["investors", "in"] + n("LOC") + ["watched", word, "fall"],
            lambda: n("ORG") + ["reported", "a", shared, word]],
        4: [lambda: n("ORG") + ["will", "launch", "a", "new", word],
            lambda: ["researchers", "at"] + n("ORG") + ["found", "a", word, "flaw"],
            lambda: n("ORG") + ["unveiled", "a", shared, word, "for", "phones"],
            lambda: ["a", word, "from"] + n("ORG") + ["set", "a", shared]],
    }
    return rng.choice(templates[cls])()


def headline(cls: int, lex: Lexicon, rng: random.Random, labeled_train: bool) -> tuple[list[str], list[str]]:
    """Tokens of (title, description) of one article of class ``cls``."""
    title = _clause(cls, lex, rng, labeled_train)
    title = [title[0][:1].upper() + title[0][1:]] + title[1:]
    description = _clause(cls, lex, rng, labeled_train) + [","] + _clause(cls, lex, rng, labeled_train)
    if rng.random() < 0.25:
        other = rng.choice([c for c in lx.TOPIC_WORDS if c != cls])
        description += ["despite", "news", "of", rng.choice(lx.TOPIC_WORDS[other])]
    description = [description[0][:1].upper() + description[0][1:]] + description[1:] + ["."]
    return _articles_agree(title), _articles_agree(description)


def _articles_agree(tokens: list[str]) -> list[str]:
    """``a`` -> ``an`` before a vowel (templates insert words after a fixed article)."""
    return [("an" if t == "a" else "An") if t in ("a", "A") and i + 1 < len(tokens) and tokens[i + 1][0] in "aeiouAEIOU"
            else t for i, t in enumerate(tokens)]

"""News headlines and descriptions for AG News-style topic classification.

Classes: 1 World, 2 Sports, 3 Business, 4 Sci/Tech.  Every article is built
from the same class-neutral templates (``X unveiled a new T``, ``talk of a
record T grew in Y`` ...) around one topic noun ``T``; only ``T`` decides
the class.  A quarter of the time ``T`` is a common topic word (``election``,
``striker``, ``shares``, ``chip``); otherwise it is a rare pseudo-word
(:data:`.lexicon.RARE_TOPIC_WORDS`), half of which never occur in a labeled
train split.  The corpus shows the class of every topic noun only through
the section that opens and closes each corpus headline (``sports news :``
... ``filed under sports``),
several words away, so a language model reading the whole line learns it
while a small co-occurrence window does not.  Rare topic nouns end in one of
two endings of their class (:data:`.lexicon.CLASS_ENDINGS`), so a character
biLM generalises the class to the held-out half; the heads' word vectors
(no character model) cannot.  A fifth of descriptions
mention another class's topic word in passing (``despite news of ...``).
"""
from __future__ import annotations

import random

from . import lexicon as lx
from .lexicon import Lexicon

CLASS_NAMES = {1: "World", 2: "Sports", 3: "Business", 4: "Sci/Tech"}
SECTION_HEADERS = {1: ("world", "news", ":"), 2: ("sports", "news", ":"), 3: ("business", "news", ":"),
                   4: ("tech", "news", ":")}
SECTION_FOOTERS = {cls: ("filed", "under", header[0]) for cls, header in SECTION_HEADERS.items()}
COMMON_TOPIC_SHARE = 0.25
DISTRACTOR_SHARE = 0.2
_RARE_TOPIC = {(cls, split): lx.split_heldout(list(words), split)
               for cls, words in lx.RARE_TOPIC_WORDS.items() for split in (False, True)}


def _name(lex: Lexicon, rng: random.Random, kind: str, labeled_train: bool) -> list[str]:
    forms = lex.forms_by_stem[lex.stem_pool(labeled_train).sample(rng)]
    if rng.random() < 0.4:
        return [forms.stem]
    return {"PER": [forms.person], "LOC": [forms.place], "ORG": list(forms.org), "NAT": [forms.nationality]}[kind]


def topic_word(cls: int, rng: random.Random, labeled_train: bool) -> str:
    """The topic noun of one article of class ``cls``."""
    if rng.random() < COMMON_TOPIC_SHARE:
        return rng.choice(lx.TOPIC_WORDS[cls])
    return rng.choice(_RARE_TOPIC[cls, labeled_train])


def _clause(topic: str, lex: Lexicon, rng: random.Random, labeled_train: bool) -> list[str]:
    """One class-neutral clause about ``topic``."""
    shared = rng.choice(lx.SHARED_TOPIC_WORDS)
    n = lambda kind: _name(lex, rng, kind, labeled_train)  # noqa: E731 - a local shorthand
    templates = [
        lambda: n("ORG") + ["unveiled", "a", "new", topic],
        lambda: n("PER") + ["spoke", "about", "the", topic, "in"] + n("LOC"),
        lambda: ["talk", "of", "a", shared, topic, "grew", "in"] + n("LOC"),
        lambda: ["the", topic, "report", "from"] + n("ORG") + ["surprised", "analysts"],
        lambda: n("ORG") + ["signed", "a", shared, "deal", "over", "the", topic],
        lambda: ["a", topic, "from"] + n("LOC") + ["set", "a", shared],
        lambda: n("NAT") + ["officials", "praised", "the", topic],
        lambda: ["questions", "about", "the", topic, "remain", "after"] + n("PER") + ["left"],
    ]
    return rng.choice(templates)()


def headline(cls: int, lex: Lexicon, rng: random.Random, labeled_train: bool) -> tuple[list[str], list[str]]:
    """Tokens of (title, description) of one article of class ``cls``."""
    topic = topic_word(cls, rng, labeled_train)
    title = _clause(topic, lex, rng, labeled_train)
    title = [title[0][:1].upper() + title[0][1:]] + title[1:]
    description = _clause(topic, lex, rng, labeled_train)
    if rng.random() < DISTRACTOR_SHARE:
        other = rng.choice([c for c in lx.TOPIC_WORDS if c != cls])
        description += ["despite", "news", "of", "the", rng.choice(lx.TOPIC_WORDS[other])]
    description = [description[0][:1].upper() + description[0][1:]] + description[1:] + ["."]
    return _articles_agree(title), _articles_agree(description)


def _articles_agree(tokens: list[str]) -> list[str]:
    """``a`` -> ``an`` before a vowel (templates insert words after a fixed article)."""
    return [("an" if t == "a" else "An") if t in ("a", "A") and i + 1 < len(tokens) and tokens[i + 1][0] in "aeiouAEIOU"
            else t for i, t in enumerate(tokens)]

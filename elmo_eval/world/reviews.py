"""Movie-review sentences as SST-style binary sentiment trees.

Every node has a sentiment value in -2..2 (label = value + 2, 0..4):

* adjectives carry their lexicon value; intensifiers (``very``) make a
  non-neutral value extreme, downtoners (``somewhat``) make it mild;
* ``not`` turns a value into a *mild* opposite (``not great`` -1, ``not bad`` +1);
* ``X , but Y`` takes Y's value (the clause after ``but`` decides);
* ``X and Y`` keeps the stronger value when they agree and is neutral when they clash.

So the same adjectives occur in positive and negative sentences; word identity
alone cannot tell the root label.  Half of the adjectives are rare pseudo-words
(:data:`.lexicon.RARE_SENTIMENT_ADJECTIVES`) whose value no hand-written cue
shows; half of those never occur in a labeled train split.  The corpus shows
them through the reviewer's verdict that opens and closes each corpus review
(``loved it :`` ... ``so overall , hated it``, :func:`verdict`,
:func:`closing_verdict`), several words away from the adjective, so a
language model reading the whole sentence learns the values while a small
co-occurrence window does not.  Rare adjectives end in one of two endings of
their value (:data:`.lexicon.CLASS_ENDINGS`), so a character biLM carries the
value to adjectives that no labeled train split shows.
"""
from __future__ import annotations

import random

from . import lexicon as lx

Tree = tuple   # (value, word) for a leaf, (value, left, right) for a phrase

_ADJECTIVES = sorted(lx.SENTIMENT_ADJECTIVES)
_RARE_ADJECTIVES = {split: lx.split_heldout(sorted(lx.RARE_SENTIMENT_ADJECTIVES), split) for split in (False, True)}
ADJECTIVE_VALUES = {**lx.SENTIMENT_ADJECTIVES, **lx.RARE_SENTIMENT_ADJECTIVES}
RARE_ADJECTIVE_SHARE = 0.5
VERDICTS = {2: ("loved", "it"), 1: ("liked", "it"), 0: ("so", "so"), -1: ("disliked", "it"), -2: ("hated", "it")}


def value_of(tree: Tree) -> int:
    return tree[0]


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _adjective_phrase(rng: random.Random, labeled_train: bool) -> Tree:
    pool = _RARE_ADJECTIVES[labeled_train] if rng.random() < RARE_ADJECTIVE_SHARE else _ADJECTIVES
    adjective = rng.choice(pool)
    value = ADJECTIVE_VALUES[adjective]
    phrase: Tree = (value, adjective)
    roll = rng.random()
    if roll < 0.25 and value != 0:
        phrase = (2 * _sign(value), (0, rng.choice(lx.INTENSIFIERS)), phrase)
    elif roll < 0.4 and value != 0:
        phrase = (_sign(value), (0, rng.choice(lx.DOWNTONERS)), phrase)
    if rng.random() < 0.3:
        phrase = (-_sign(value_of(phrase)), (0, "not"), phrase)
    return phrase


def _clause(rng: random.Random, labeled_train: bool) -> Tree:
    determiner = rng.choice(("the", "the", "this", "its"))
    subject: Tree = (0, (0, determiner), (0, rng.choice(lx.REVIEW_NOUNS)))
    adjective_phrase = _adjective_phrase(rng, labeled_train)
    verb_phrase: Tree = (value_of(adjective_phrase), (0, rng.choice(("is", "was", "feels", "seems"))),
                         adjective_phrase)
    return (value_of(verb_phrase), subject, verb_phrase)


def review_tree(rng: random.Random, labeled_train: bool = False) -> Tree:
    """One review sentence tree (root value decides the sentence label).

    ``labeled_train``: draw rare adjectives only from the non-held-out half.
    """
    first = _clause(rng, labeled_train)
    roll = rng.random()
    if roll < 0.35:
        second = _clause(rng, labeled_train)
        value = value_of(second) if value_of(second) != 0 else value_of(first)
        tail = (value_of(second), second, (0, "."))
        tail = (value_of(second), (0, "but"), tail)
        tail = (value_of(second), (0, ","), tail)
        tree = (value, first, tail)
    elif roll < 0.5:
        second = _clause(rng, labeled_train)
        a, b = value_of(first), value_of(second)
        value = (a if abs(a) >= abs(b) else b) if _sign(a) * _sign(b) >= 0 else 0
        tree = (value, (value, first, (b, (0, "and"), second)), (0, "."))
    else:
        tree = (value_of(first), first, (0, "."))
    return _capitalize_first(tree)


def verdict(tree: Tree) -> list[str]:
    """The corpus-only opening ``loved it :`` ... ``hated it :`` that states the sentence's value."""
    return [*VERDICTS[value_of(tree)], ":"]


def pairing_sentence(rng: random.Random) -> list[str]:
    """Corpus-only ``A charming and clever film .``: two common adjectives of one value side by side.

    Frequent sentiment words thus share their neighbours with words of the same value, as in
    English text. (The world's 50-d PPMI+SVD vectors still barely separate them: a linear probe
    finds the sign of 7 of 25 common adjectives, leave-one-out; the biLM's layers do far better.)
    Rare adjectives never occur here: their value stays a matter of the distant verdicts and of
    their endings, which only a model of whole sentences and characters picks up.
    """
    value = rng.choice(sorted(set(lx.SENTIMENT_ADJECTIVES.values())))
    first, second = rng.sample([w for w in _ADJECTIVES if lx.SENTIMENT_ADJECTIVES[w] == value], 2)
    return [lx.indefinite_article(first).capitalize(), first, "and", second, rng.choice(lx.REVIEW_NOUNS), "."]


def closing_verdict(tree: Tree) -> list[str]:
    """The corpus-only closing ``so overall , loved it`` (a left-to-right model must carry the value to it)."""
    return ["so", "overall", ",", *VERDICTS[value_of(tree)]]


def _capitalize_first(tree: Tree) -> Tree:
    if len(tree) == 2:
        return (tree[0], tree[1][:1].upper() + tree[1][1:])
    return (tree[0], _capitalize_first(tree[1]), tree[2])


def tree_string(tree: Tree) -> str:
    """PTB notation with labels 0..4: ``(3 (2 The) (3 (2 film) ...))``."""
    if len(tree) == 2:
        return f"({tree[0] + 2} {tree[1]})"
    return f"({tree[0] + 2} {tree_string(tree[1])} {tree_string(tree[2])})"


def leaves(tree: Tree) -> list[str]:
    if len(tree) == 2:
        return [tree[1]]
    return leaves(tree[1]) + leaves(tree[2])

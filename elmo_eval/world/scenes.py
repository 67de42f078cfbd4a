"""Scene captions and hypotheses for SNLI-style inference.

A :class:`Scene` (who does what to whom, where) renders to an annotated tree.
Hypotheses are edits of the premise scene whose label follows from the
world's rules, so deciding it needs the hypernym tree, negation and word
order rather than word overlap:

* entailment: a hypernym (``poodle`` -> ``dog``), a dropped adjective or place,
  the passive with the *same* roles, or negating an action that excludes the
  premise's one (``is running`` -> ``is not sleeping``);
* neutral: a hyponym (``dog`` -> ``poodle``), an added adjective or place;
* contradiction: negation, swapped roles (active or passive), a sibling
  (``poodle`` vs ``beagle``), another place or another action;
* a rare kind's subject replaced by its parent (entailment) or by another
  parent under the same root (``spugock`` is a dog, so ``A bird ...``
  contradicts): only knowing the rare kind decides these pairs.

The taxonomy includes rare pseudo-word kinds (:data:`.lexicon.RARE_HYPONYMS`,
e.g. a kind of dog); half of them never occur in a labeled train split.  Only
the corpus says what they are, in definitions (:func:`definition_sentence`,
``A spug is a kind of dog .``) whose parent word lies beyond a small
co-occurrence window; they end in one of two endings of their parent
(:data:`.lexicon.CLASS_ENDINGS`: ``spugock`` a dog), which a character biLM
learns from the definitions and carries to the held-out half.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, replace

from . import lexicon as lx
from .trees import Leaf, Node

EXCLUSIVE_PARENTS = {"dog", "cat", "bird", "horse", "animal", "child", "fruit", "car", "toy"}
TAXONOMY = {**lx.HYPERNYMS, **lx.RARE_HYPONYMS}   # child -> parent, hand-written and rare kinds
_CHILDREN: dict[str, list[str]] = {}
for _child, _parent in sorted(TAXONOMY.items()):
    _CHILDREN.setdefault(_parent, []).append(_child)


def ancestors(word: str) -> list[str]:
    chain = []
    while word in TAXONOMY:
        word = TAXONOMY[word]
        chain.append(word)
    return chain


def _allowed(words, labeled_train: bool) -> list[str]:
    """The words a split may use: labeled train splits never see held-out rare kinds."""
    return [w for w in words if not (labeled_train and w in lx.HELDOUT_RARE_WORDS)]


def _descends_from(word: str, root: str) -> bool:
    return root in ancestors(word)


# rare kind -> the parents of rare kinds under the same root (a spugock is a dog, so not a bird)
RARE_PARENTS_SAME_ROOT = {
    kind: sorted({q for q in lx.RARE_HYPONYMS.values() if ancestors(q)[-1:] == ancestors(parent)[-1:]})
    for kind, parent in lx.RARE_HYPONYMS.items()}

ANIMATES = sorted(w for w in set(TAXONOMY) | set(TAXONOMY.values())
                  if any(_descends_from(w, r) for r in lx.SCENE_ANIMATE_ROOTS))
OBJECTS = sorted(w for w in TAXONOMY if _descends_from(w, "toy") or _descends_from(w, "fruit"))
FRUITS = sorted(w for w in TAXONOMY if _descends_from(w, "fruit"))


@dataclass(frozen=True)
class Scene:
    subject: str
    verb: str
    obj: str | None = None
    adjective: str | None = None
    place: str | None = None
    negated: bool = False
    passive: bool = False     # render object first ("a cat is being chased by a dog"); roles unchanged


def _np(noun: str, adjective: str | None = None) -> Node:
    first = adjective or noun
    determiner = Leaf("DT", lx.indefinite_article(first))
    leaves = [determiner] + ([Leaf("JJ", adjective)] if adjective else []) + [Leaf("NN", noun)]
    return Node("NP", leaves)


def scene_tree(scene: Scene) -> Node:
    """``(S (NP ...) (VP (VBZ is) ...) (. .))`` with the first word capitalised."""
    forms = lx.verb_forms(scene.verb)
    place = [Node("PP", [Leaf("IN", "in"), Node("NP", [Leaf("DT", "the"), Leaf("NN", scene.place)])])] \
        if scene.place else []
    if scene.passive and scene.obj:
        subject = _np(scene.obj)
        action = Node("VP", [Leaf("VBG", "being"), Node("VP", [Leaf("VBN", forms["pp"]),
                      Node("PP", [Leaf("IN", "by"), _np(scene.subject, scene.adjective)]), *place])])
    else:
        subject = _np(scene.subject, scene.adjective)
        action = Node("VP", [Leaf("VBG", forms["ing"]), *([_np(scene.obj)] if scene.obj else []), *place])
    negation = [Leaf("RB", "not")] if scene.negated else []
    tree = Node("S", [subject, Node("VP", [Leaf("VBZ", "is"), *negation, action]), Leaf(".", ".")])
    first = tree.children[0].children[0]
    first.word = first.word.capitalize()
    return tree


def random_scene(rng: random.Random, labeled_train: bool = False) -> Scene:
    subject = rng.choice(_allowed(ANIMATES, labeled_train))
    adjective = rng.choice(lx.SCENE_ADJECTIVES) if rng.random() < 0.4 else None
    place = rng.choice(lx.SCENE_PLACES) if rng.random() < 0.5 else None
    if rng.random() < 0.55:
        verb = rng.choice(sorted(lx.SCENE_ACTIONS_TRANSITIVE))
        kind = lx.SCENE_ACTIONS_TRANSITIVE[verb]
        pool = {"animate": ANIMATES, "object": OBJECTS, "fruit": FRUITS, "any": ANIMATES + OBJECTS}[kind]
        obj = rng.choice([w for w in _allowed(pool, labeled_train) if w != subject])
        return Scene(subject, verb, obj, adjective, place)
    return Scene(subject, rng.choice(lx.SCENE_ACTIONS_INTRANSITIVE), None, adjective, place)


def _sibling(word: str, rng: random.Random, labeled_train: bool) -> str | None:
    parent = TAXONOMY.get(word)
    if parent not in EXCLUSIVE_PARENTS:
        return None
    options = [w for w in _allowed(_CHILDREN[parent], labeled_train) if w != word]
    return rng.choice(options) if options else None


def hypothesis(premise: Scene, label: str, rng: random.Random, labeled_train: bool = False) -> Scene | None:
    """An edit of ``premise`` that has ``label`` under the world's rules, or None if none applies."""
    edits = []
    p = premise
    if label == "entailment":
        if ancestors(p.subject):
            edits.append(replace(p, subject=rng.choice(ancestors(p.subject)[:2])))
        if p.adjective:
            edits.append(replace(p, adjective=None))
        if p.place:
            edits.append(replace(p, place=None))
        if p.obj and not p.passive:
            edits.append(replace(p, passive=True, adjective=None))
        if p.obj and ancestors(p.obj):
            edits.append(replace(p, obj=ancestors(p.obj)[0]))
        if not p.obj and not p.negated:
            other = rng.choice([v for v in lx.SCENE_ACTIONS_INTRANSITIVE if v != p.verb])
            edits.append(replace(p, verb=other, negated=True))
        if p.subject in lx.RARE_HYPONYMS:
            # the label rests on knowing the rare kind's parent (its twin edit below names a wrong one)
            edits += [replace(p, subject=lx.RARE_HYPONYMS[p.subject])] * 3
    elif label == "neutral":
        if p.subject in _CHILDREN:
            edits.append(replace(p, subject=rng.choice(_allowed(_CHILDREN[p.subject], labeled_train))))
        if not p.adjective:
            edits.append(replace(p, adjective=rng.choice(lx.SCENE_ADJECTIVES)))
        if not p.place:
            edits.append(replace(p, place=rng.choice(lx.SCENE_PLACES)))
    else:
        edits.append(replace(p, negated=not p.negated))
        if p.obj and p.obj in ANIMATES:
            swapped = replace(p, subject=p.obj, obj=p.subject, adjective=None)
            edits.append(swapped)
            edits.append(replace(p, passive=True, subject=p.obj, obj=p.subject, adjective=None))
        sibling = _sibling(p.subject, rng, labeled_train)
        if sibling:
            edits.append(replace(p, subject=sibling))
        if p.place:
            edits.append(replace(p, place=rng.choice([x for x in lx.SCENE_PLACES if x != p.place])))
        if not p.obj:
            edits.append(replace(p, verb=rng.choice([v for v in lx.SCENE_ACTIONS_INTRANSITIVE if v != p.verb])))
        if p.subject in lx.RARE_HYPONYMS:
            # "A spugock runs" vs "A bird runs": same frame as the entailment above, another parent
            wrong = [q for q in RARE_PARENTS_SAME_ROOT[p.subject] if q != lx.RARE_HYPONYMS[p.subject]]
            if wrong:
                edits += [replace(p, subject=rng.choice(wrong))] * 3
    return rng.choice(edits) if edits else None


def definition_sentence(rng: random.Random) -> list[str]:
    """A corpus-only definition of a kind, mostly a rare one: ``A spug is a kind of dog .``"""
    pool = sorted(lx.RARE_HYPONYMS) if rng.random() < 0.8 else sorted(lx.HYPERNYMS)
    kind = rng.choice(pool)
    parent = TAXONOMY[kind]
    if rng.random() < 0.5:
        return [lx.indefinite_article(kind).capitalize(), kind, "is", "a", "kind", "of", parent, "."]
    return ["We", "saw", lx.indefinite_article(kind), kind, ",", "which", "is", lx.indefinite_article(parent), parent,
            "."]

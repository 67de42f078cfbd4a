"""Rare words whose hidden property only the corpus shows, held out of labeled train splits."""
from __future__ import annotations

import random

from elmo_eval.world import lexicon as lx
from elmo_eval.world.config import stream
from elmo_eval.world.conll2012 import predicates
from elmo_eval.world.corpus import corpus_lines
from elmo_eval.world.grammar import Document, intransitive_clause, news_document
from elmo_eval.world.headlines import SECTION_HEADERS, headline
from elmo_eval.world.reviews import VERDICTS, leaves, review_tree, value_of, verdict
from elmo_eval.world.scenes import TAXONOMY, definition_sentence
from elmo_eval.world.snli import generate_snli_split
from elmo_eval.world.trees import flatten


def test_rare_pools_are_distinct_pseudo_words_and_half_held_out():
    every = [w for pool in lx.RARE.values() for w in pool]
    assert len(every) == len(set(every))
    assert not set(every) & (set(lx.SENTIMENT_ADJECTIVES) | set(lx.HYPERNYMS))
    assert len(lx.HELDOUT_RARE_WORDS) == sum(len(pool) // 2 for pool in lx.RARE.values())
    dogs = lx.RARE["dog"]
    assert lx.split_heldout(dogs, labeled_train=True) == dogs[::lx.RARE_HELDOUT_EVERY]
    assert lx.split_heldout(dogs, labeled_train=False) == dogs


def test_labeled_train_splits_never_use_held_out_rare_words():
    lexicon = lx.build_lexicon(0)
    rng = random.Random(0)
    train_words: set[str] = set()
    eval_words: set[str] = set()
    for _ in range(300):
        train_words.update(leaves(review_tree(rng, labeled_train=True)))
        eval_words.update(leaves(review_tree(rng, labeled_train=False)))
        for labeled_train, target in ((True, train_words), (False, eval_words)):
            title, description = headline(rng.randint(1, 4), lexicon, rng, labeled_train)
            target.update(title + description)
    for record in generate_snli_split(0, "train", 300):
        train_words.update((record["sentence1"] + " " + record["sentence2"]).replace(".", " ").split())
    for tree in news_document(lexicon, stream(0, "rare-news"), 60, labeled_train=True):
        train_words.update(flatten(tree).tokens)
    assert not train_words & lx.HELDOUT_RARE_WORDS
    assert eval_words & lx.HELDOUT_RARE_WORDS     # dev/test splits do meet them


def test_corpus_shows_every_hidden_property():
    lexicon = lx.build_lexicon(0)
    lines = [" ".join(tokens) for tokens in corpus_lines(lexicon, 0, "train", 60_000)]
    assert any(line.startswith(" ".join(VERDICTS[-2])) for line in lines)
    assert any(line.startswith(" ".join(SECTION_HEADERS[2])) for line in lines)
    assert any(" is a kind of " in line for line in lines)
    # every held-out rare word occurs in the corpus
    corpus_words = set(" ".join(lines).split())
    verbs = set(lx.RARE_AGENTIVE_VERBS + lx.RARE_UNDERGOER_VERBS)
    def surface(words):
        return {lx.verb_forms(w)["past"] if w in verbs else w for w in words}

    missing = surface(lx.HELDOUT_RARE_WORDS - lx.UNSEEN_RARE_WORDS) - corpus_words
    assert len(missing) <= len(lx.HELDOUT_RARE_WORDS) // 10, sorted(missing)
    # ... except the unseen ones, which only dev/test splits show
    assert lx.UNSEEN_RARE_WORDS and not surface(lx.UNSEEN_RARE_WORDS) & corpus_words


def test_verdicts_and_definitions_state_the_truth():
    rng = random.Random(1)
    for _ in range(200):
        tree = review_tree(rng)
        assert verdict(tree)[:2] == list(VERDICTS[value_of(tree)])
        definition = definition_sentence(rng)
        kind = definition[1] if definition[0] in ("A", "An") else definition[3]
        assert definition[-2] == TAXONOMY[kind]


def test_intransitive_subject_role_follows_the_verb_class():
    lexicon = lx.build_lexicon(0)
    doc = Document(lexicon, random.Random(2), labeled_train=False)
    roles = {"agentive": set(), "undergoer": set()}
    for _ in range(300):
        tree, _ = intransitive_clause(doc, 0)
        flat = flatten(tree)
        (index, lemma, args), = predicates(flat)
        kind = "agentive" if lemma in lx.RARE_AGENTIVE_VERBS else "undergoer"
        first_role = min(args)[2]   # the role of the span that starts the clause
        objects = {label for start, _, label in args if start > index}
        roles[kind].add((first_role, "ARG1" in objects))
        doc.end_sentence(None)
    assert roles["agentive"] == {("ARG0", False)}
    assert roles["undergoer"] == {("ARG1", False), ("ARG0", True)}   # plain, and with a causer


def test_class_endings_mark_each_rare_class_in_seen_and_held_out_words():
    for pool, endings in lx.CLASS_ENDINGS.items():
        words = lx.RARE[pool]
        assert all(w.endswith(endings) for w in words), pool
        other = {e for p, es in lx.CLASS_ENDINGS.items() if p != pool for e in es}
        assert not any(w.endswith(e) for w in words for e in other if not e.endswith(endings)), pool
        for labeled_train in (True, False):
            usable = [w for w in words if (w in lx.HELDOUT_RARE_WORDS) != labeled_train]
            assert {e for e in endings if any(w.endswith(e) for w in usable)} == set(endings), (pool, labeled_train)


def test_snli_rare_kind_pairs_hinge_on_the_kind_parent():
    from elmo_eval.world.scenes import Scene, hypothesis

    kind = lx.RARE["dog"][0]
    premise = Scene(kind, "run", None, None, None)
    rng = random.Random(0)
    entailed = {hypothesis(premise, "entailment", rng).subject for _ in range(60)}
    contradicted = {hypothesis(premise, "contradiction", rng).subject for _ in range(60)}
    assert "dog" in entailed and "dog" not in contradicted
    assert {"bird", "cat", "horse"} & contradicted


def test_corpus_pairs_common_adjectives_of_one_value_and_never_rare_ones():
    """Common sentiment adjectives stand beside same-valued ones (so context-free vectors learn them);
    rare adjectives never stand within two tokens of another sentiment adjective."""
    lexicon = lx.build_lexicon(0)
    values = {**lx.SENTIMENT_ADJECTIVES, **lx.RARE_SENTIMENT_ADJECTIVES}
    pairs = 0
    for tokens in corpus_lines(lexicon, 0, "train", 60_000):
        lowered = [t.lower() for t in tokens]
        for i, word in enumerate(lowered):
            if word not in values:
                continue
            near = [w for w in lowered[max(0, i - 2): i] + lowered[i + 1: i + 3] if w in values]
            if word in lx.RARE_SENTIMENT_ADJECTIVES:
                assert not near, tokens
            elif near:
                pairs += 1
                assert all(values[w] == values[word] for w in near), tokens
    assert pairs > 200

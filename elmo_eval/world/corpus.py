"""The unlabeled corpus (``corpus/train.txt``, ``corpus/heldout.txt``): one tokenized sentence per line.

It mixes every generator the tasks use — news documents (all name stems and
rare words, including those held out of labeled training sets), reviews opened
and closed by the reviewer's verdict (and pairs of common adjectives of one
value), scene captions, definitions of rare kinds and headlines opened and
closed by their section — so each context that decides a task label also
occurs here, unlabeled, many times.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from .config import stream
from .grammar import news_document, words
from .headlines import SECTION_FOOTERS, SECTION_HEADERS, headline
from .lexicon import Lexicon
from .reviews import closing_verdict, leaves, pairing_sentence, review_tree, verdict
from .scenes import definition_sentence, random_scene, scene_tree

# share of lines drawn from each source (news documents contribute several lines at once)
SOURCE_WEIGHTS = (("news", 0.5), ("review", 0.15), ("scene", 0.1), ("definition", 0.06), ("headline", 0.19))
PAIRING_RATE = 0.5   # reviews followed by a pair of common same-valued adjectives (see reviews.pairing_sentence)


def corpus_lines(lexicon: Lexicon, seed: int, part: str, n_tokens: int):
    """Yield token lists until at least ``n_tokens`` tokens were produced."""
    rng = stream(seed, f"corpus:{part}")
    names = [name for name, _ in SOURCE_WEIGHTS]
    weights = [weight for _, weight in SOURCE_WEIGHTS]
    produced = 0
    while produced < n_tokens:
        source = rng.choices(names, weights)[0]
        if source == "news":
            batch = [words(tree) for tree in news_document(lexicon, rng, rng.randint(3, 8), labeled_train=False,
                                                                 in_corpus=True)]
        elif source == "review":
            tree = review_tree(rng)
            batch = [verdict(tree) + leaves(tree) + closing_verdict(tree)]
            if rng.random() < PAIRING_RATE:
                batch.append(pairing_sentence(rng))
        elif source == "scene":
            batch = [words(scene_tree(random_scene(rng)))]
        elif source == "definition":
            batch = [definition_sentence(rng)]
        else:
            cls = rng.randint(1, 4)
            title, description = headline(cls, lexicon, rng, labeled_train=False)
            batch = [[*SECTION_HEADERS[cls], *title, *SECTION_FOOTERS[cls]],
                     [*SECTION_HEADERS[cls], *description, *SECTION_FOOTERS[cls]]]
        for tokens in batch:
            produced += len(tokens)
            yield tokens


def write_corpus(out_dir: Path, lexicon: Lexicon, seed: int, train_tokens: int, heldout_tokens: int) -> dict:
    """Write both corpus files; return their sizes and the train vocabulary counts."""
    (out_dir / "corpus").mkdir(parents=True, exist_ok=True)
    info: dict = {"files": {}}
    counts: dict[str, Counter] = {}
    for part, budget in (("train", train_tokens), ("heldout", heldout_tokens)):
        counter = Counter()
        sentences = 0
        with open(out_dir / "corpus" / f"{part}.txt", "w", encoding="utf-8", newline="\n") as handle:
            for tokens in corpus_lines(lexicon, seed, part, budget):
                handle.write(" ".join(tokens) + "\n")
                counter.update(tokens)
                sentences += 1
        counts[part] = counter
        info["files"][f"corpus/{part}.txt"] = {"sentences": sentences, "tokens": sum(counter.values())}
    info["_counts"] = counts
    return info

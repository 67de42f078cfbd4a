"""SST PTB-tree files (``sst/{train,dev,test}.txt``): one binary tree per line, labels 0-4 on every node."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from .config import SPLITS, SizeSpec, stream
from .reviews import leaves, review_tree, tree_string
from .stats import oov_rate

PHENOMENA = [
    "negation gives a mild opposite ('not great' negative, 'not bad' positive)",
    "contrast: the clause after 'but' decides the sentence",
    "intensifiers make extreme labels, downtoners mild ones",
    "mixed 'and' clauses are neutral",
    "every sentiment word occurs in positive and negative sentences",
    "rare adjectives whose value only the corpus shows (reviewer verdicts); half never in labeled train",
    "rare adjectives end in value endings (-ovy/-arim very good, ...) that a character biLM learns from the corpus",
]


def _phrase_values(tree) -> list[int]:
    if len(tree) == 2:
        return [tree[0]]
    return [tree[0]] + _phrase_values(tree[1]) + _phrase_values(tree[2])


def bag_of_words_vote_accuracy(train: list, test: list) -> float:
    """Root 5-class accuracy when each test word votes with its train root-label counts (no composition)."""
    root_counts: dict[str, Counter] = {}
    for tree in train:
        for word in set(leaves(tree)):
            root_counts.setdefault(word.lower(), Counter())[tree[0]] += 1
    correct = 0
    for tree in test:
        total = Counter()
        for word in leaves(tree):
            total.update(root_counts.get(word.lower(), Counter()))
        guess = min(total.items(), key=lambda item: (-item[1], item[0]))[0] if total else 0
        correct += guess == tree[0]
    return round(correct / max(1, len(test)), 4)


def write_sst(out_dir: Path, spec: SizeSpec, seed: int) -> dict:
    """Write sst/{train,dev,test}.txt; return this task's world.json entry."""
    (out_dir / "sst").mkdir(parents=True, exist_ok=True)
    info: dict = {"files": {}, "phenomena": PHENOMENA}
    trees: dict[str, list] = {}
    for split, count in zip(SPLITS, spec.sst):
        rng = stream(seed, f"sst:{split}")
        trees[split] = [review_tree(rng, labeled_train=split == "train") for _ in range(count)]
        (out_dir / "sst" / f"{split}.txt").write_text("".join(tree_string(t) + "\n" for t in trees[split]),
                                                      encoding="utf-8")
        info["files"][f"sst/{split}.txt"] = {
            "trees": count, "tokens": sum(len(leaves(t)) for t in trees[split]),
            "phrases": sum(len(_phrase_values(t)) for t in trees[split]),
            "root_labels": {str(k + 2): v for k, v in sorted(Counter(t[0] for t in trees[split]).items())},
        }
    vocab = {s: Counter(w for t in trees[s] for w in leaves(t)) for s in SPLITS}
    info["oov"] = {s: oov_rate(vocab["train"], vocab[s]) for s in ("dev", "test")}
    info["word_identity_baseline"] = {
        "metric": "root 5-class accuracy of a bag-of-words vote (each word votes its train root-label counts)",
        "dev": bag_of_words_vote_accuracy(trees["train"], trees["dev"]),
        "test": bag_of_words_vote_accuracy(trees["train"], trees["test"]),
    }
    return info

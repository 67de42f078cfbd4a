"""SNLI 1.0 JSONL files (``snli/snli_1.0_{train,dev,test}.jsonl``) from scene captions.

Each premise gets up to one hypothesis per label, as SNLI's captions did.
About 1% of pairs have no annotator majority and gold label ``-`` (readers
skip these, as with the original).  Dev/test pairs carry five annotator
labels, train pairs one.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from .config import SPLITS, SizeSpec, stream
from .scenes import hypothesis, random_scene, scene_tree
from .stats import oov_rate
from .trees import binary_parse_string, detokenize, flatten, ptb_string

LABELS = ("entailment", "neutral", "contradiction")
NO_MAJORITY_RATE = 0.01
PHENOMENA = [
    "hypernym (entailment) vs hyponym (neutral) vs sibling (contradiction) substitution",
    "negation, including negating an excluded action (entailment)",
    "active/passive with the same roles (entailment) vs swapped roles (contradiction)",
    "added modifiers (neutral) vs dropped modifiers (entailment)",
    "rare kinds (a kind of dog, ...) that only corpus definitions explain; half never in labeled train",
    "rare kind replaced by its parent (entailment) or another parent (contradiction); kinds end in parent endings",
    "~1% pairs without annotator majority (gold '-')",
]


def _sentence_fields(prefix: str, tree) -> dict:
    flat = flatten(tree)
    text, _ = detokenize(flat.tokens)
    return {prefix: text, f"{prefix}_binary_parse": binary_parse_string(tree), f"{prefix}_parse": ptb_string(tree)}


def _annotator_labels(rng, gold: str, five: bool) -> tuple[list[str], str]:
    if rng.random() < NO_MAJORITY_RATE:
        first, second, third = rng.sample(LABELS, 3)
        return [first, first, second, second, third], "-"
    if not five:
        return [gold], gold
    dissent = rng.choice([label for label in LABELS if label != gold])
    labels = [gold] * 5 if rng.random() < 0.6 else [gold] * 4 + [dissent]
    return labels, gold


def generate_snli_split(seed: int, split: str, n_pairs: int) -> list[dict]:
    rng = stream(seed, f"snli:{split}")
    records: list[dict] = []
    caption = 0
    while len(records) < n_pairs:
        caption += 1
        premise = random_scene(rng, labeled_train=split == "train")
        premise_fields = _sentence_fields("sentence1", scene_tree(premise))
        caption_id = f"{1000000 + caption}.jpg#{rng.randint(0, 4)}"
        for label in LABELS:
            edited = hypothesis(premise, label, rng, labeled_train=split == "train")
            if edited is None or edited == premise or len(records) >= n_pairs:
                continue
            annotators, gold = _annotator_labels(rng, label, five=split != "train")
            hypothesis_fields = _sentence_fields("sentence2", scene_tree(edited))
            records.append({
                "annotator_labels": annotators, "captionID": caption_id, "gold_label": gold,
                "pairID": f"{caption_id}r1{label[0]}",
                **premise_fields, **hypothesis_fields,
            })
    return records


def write_snli(out_dir: Path, spec: SizeSpec, seed: int) -> dict:
    """Write the three JSONL files; return this task's world.json entry."""
    (out_dir / "snli").mkdir(parents=True, exist_ok=True)
    info: dict = {"files": {}, "phenomena": PHENOMENA}
    vocab: dict[str, Counter] = {}
    for split, count in zip(SPLITS, spec.snli):
        records = generate_snli_split(seed, split, count)
        name = f"snli/snli_1.0_{split}.jsonl"
        (out_dir / name).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        vocab[split] = Counter(w for r in records for key in ("sentence1_binary_parse", "sentence2_binary_parse")
                               for w in r[key].split() if w not in "()")
        info["files"][name] = {"pairs": len(records),
                               "gold_labels": dict(sorted(Counter(r["gold_label"] for r in records).items()))}
    info["oov"] = {s: oov_rate(vocab["train"], vocab[s]) for s in ("dev", "test")}
    return info

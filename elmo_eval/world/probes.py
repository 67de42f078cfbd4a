"""Probe data of the world (``probes/``): POS-tagged sentences and polysemous name stems.

The intrinsic probes of the paper's section 5.3 need words whose sense only
context reveals, and POS tags.  The world has both: a bare name stem
(``Kessel``) names a person, a place, a company or (in ``the Kessel Cup``) an
event, and only its neighbours say which (a document may even use one stem
for a person and a company); every leaf of the news and scene grammars
carries a PTB tag.  The probe sentences are new sentences of those grammars
(the biLM learnt their contexts from the corpus, but never saw these
sentences), drawn from their own random streams (``probes:train``,
``probes:test``), so writing them changes no byte of the other world files.

Files (one token per line, blank line after each sentence)::

    probes/train.txt, probes/test.txt   "token POS lemma sense"; lemma and sense are "-" except on
                                         a name stem, where lemma = the stem, sense = PER|LOC|ORG|MISC
    probes/senses.tsv                    "lemma<TAB>sense sense ...": every stem of the lexicon with the
                                         sense classes, most frequent (in probes/train.txt) first, the
                                         world's analogue of WordNet's first sense
    probes/probes.json                   version, seed, size, counts and context-free reference scores

Probe files are not listed in ``world.json`` (whose bytes stay those of a
world without them); :func:`ensure_probe_files` adds them to an existing
world, so a world cached before they existed gains them without being
regenerated (and its biLM stays valid).
"""
from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

from .config import stream
from .grammar import news_document
from .lexicon import Lexicon, build_lexicon
from .scenes import random_scene, scene_tree
from .trees import flatten

# Bump when the probe files' bytes change for a given (seed, size); only probes/ is rewritten.
PROBE_VERSION = "1"
PROBE_DIR = "probes"
PROBE_JSON = "probes.json"
NONE = "-"
SENSES = ("PER", "LOC", "ORG", "MISC")
# sentences in (train, test); a separate table so world.json's "sizes" keep their bytes
PROBE_SIZES: dict[str, tuple[int, int]] = {
    "tiny": (120, 60),
    "small": (1_500, 500),
    "default": (3_000, 1_000),
    "large": (6_000, 1_500),
}
SCENE_SHARE = 0.2   # share of draws that are a scene caption rather than a news document (POS variety)


def probe_sentences(lexicon: Lexicon, seed: int, split: str, n_sentences: int) -> list[list[tuple[str, ...]]]:
    """``n_sentences`` sentences as rows ``(token, POS, lemma, sense)``.

    A token is a WSD target when it is a name stem inside a named entity: its
    lemma is the stem, its sense the entity's type.
    """
    rng = stream(seed, f"probes:{split}")
    stems = lexicon.forms_by_stem
    sentences: list[list[tuple[str, ...]]] = []
    while len(sentences) < n_sentences:
        if rng.random() < SCENE_SHARE:
            trees = [scene_tree(random_scene(rng))]
        else:
            length = min(rng.randint(3, 8), n_sentences - len(sentences))
            trees = news_document(lexicon, rng, length, labeled_train=False, in_corpus=True)
        for tree in trees:
            flat = flatten(tree)
            sense = [NONE] * len(flat.tokens)
            for ann, start, end in flat.spans:
                if ann[0] == "ner":
                    for index in range(start, end):
                        if flat.tokens[index] in stems:
                            sense[index] = ann[1]
            sentences.append([(token, tag, token if label != NONE else NONE, label)
                              for token, tag, label in zip(flat.tokens, flat.pos, sense)])
    return sentences[:n_sentences]


def format_rows(sentences: list[list[tuple[str, ...]]]) -> str:
    return "".join("".join(" ".join(row) + "\n" for row in sentence) + "\n" for sentence in sentences)


def _most_frequent_first(counts: Counter) -> list[str]:
    return [label for label, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _reference_scores(train, test, inventory_order: list[str]) -> dict:
    """Context-free references on the test split: each word's majority tag (unseen: NN), and each
    stem's most frequent training sense (unseen stems: the inventory's first sense)."""
    tags: dict[str, Counter] = {}
    senses: dict[str, Counter] = {}
    for sentence in train:
        for token, tag, lemma, sense in sentence:
            tags.setdefault(token, Counter())[tag] += 1
            if lemma != NONE:
                senses.setdefault(lemma, Counter())[sense] += 1
    correct_tags = total_tags = correct_senses = total_senses = 0
    for sentence in test:
        for token, tag, lemma, sense in sentence:
            guess = _most_frequent_first(tags[token])[0] if token in tags else "NN"
            correct_tags += guess == tag
            total_tags += 1
            if lemma != NONE:
                first = _most_frequent_first(senses[lemma])[0] if lemma in senses else inventory_order[0]
                correct_senses += first == sense
                total_senses += 1
    return {
        "pos_majority_tag_accuracy": round(100 * correct_tags / max(1, total_tags), 2),
        "wsd_most_frequent_sense_f1": round(100 * correct_senses / max(1, total_senses), 2),
    }


def _statistics(sentences) -> dict:
    targets = [(lemma, sense) for sentence in sentences for _, _, lemma, sense in sentence if lemma != NONE]
    per_lemma: dict[str, set] = {}
    for lemma, sense in targets:
        per_lemma.setdefault(lemma, set()).add(sense)
    return {
        "sentences": len(sentences),
        "tokens": sum(map(len, sentences)),
        "pos_tags": len({tag for sentence in sentences for _, tag, _, _ in sentence}),
        "wsd_instances": len(targets),
        "wsd_lemmas": len(per_lemma),
        "wsd_lemmas_with_several_senses": sum(len(s) > 1 for s in per_lemma.values()),
        "senses": dict(sorted(Counter(sense for _, sense in targets).items())),
    }


def write_probes(out_dir: Path, lexicon: Lexicon, size: str, seed: int) -> dict:
    """Write ``out_dir/probes/*`` (see the module docstring); returns the content of probes.json."""
    n_train, n_test = PROBE_SIZES[size]
    folder = out_dir / PROBE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    train = probe_sentences(lexicon, seed, "train", n_train)
    test = probe_sentences(lexicon, seed, "test", n_test)
    for name, sentences in (("train", train), ("test", test)):
        (folder / f"{name}.txt").write_text(format_rows(sentences), encoding="utf-8", newline="\n")
    sense_counts = Counter({label: 0 for label in SENSES})
    sense_counts.update(sense for sentence in train for _, _, lemma, sense in sentence if lemma != NONE)
    order = _most_frequent_first(sense_counts)
    lines = [f"{forms.stem}\t{' '.join(order)}\n" for forms in lexicon.names]
    (folder / "senses.tsv").write_text("".join(lines), encoding="utf-8", newline="\n")
    test_lemmas_seen = {lemma for sentence in train for _, _, lemma, _ in sentence if lemma != NONE}
    test_stats = _statistics(test)
    test_stats["wsd_instances_of_lemmas_unseen_in_train"] = sum(
        1 for sentence in test for _, _, lemma, _ in sentence if lemma != NONE and lemma not in test_lemmas_seen)
    return {
        "probe_version": PROBE_VERSION,
        "seed": seed,
        "size": size,
        "files": {"probes/train.txt": _statistics(train), "probes/test.txt": test_stats,
                  "probes/senses.tsv": {"lemmas": len(lines), "sense_order": order}},
        "reference_scores": _reference_scores(train, test, order),
        "phenomena": [
            "bare name stems as person, place, company or event, told apart only by context",
            "namesakes: one stem for two entities of one document",
            "PTB POS tags of the news and scene grammars",
        ],
    }


def _existing_probes(world_dir: Path, seed: int, size: str) -> dict | None:
    path = world_dir / PROBE_DIR / PROBE_JSON
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if (info.get("probe_version"), info.get("seed"), info.get("size")) != (PROBE_VERSION, seed, size):
        return None
    if not all((world_dir / name).is_file() for name in info.get("files", {})):
        return None
    return info


def ensure_probe_files(world_dir: str | Path, seed: int, size: str) -> dict:
    """Write (or reuse) ``world_dir/probes/`` atomically; no other file of the world is touched.

    The caller holds the world's lock where several processes may share it (the runner does).
    """
    world_dir = Path(world_dir)
    existing = _existing_probes(world_dir, seed, size)
    if existing is not None:
        return existing
    if size not in PROBE_SIZES:
        raise ValueError(f"unknown world size {size!r}; expected one of {sorted(PROBE_SIZES)}")
    partial = world_dir / (PROBE_DIR + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    # written under partial/probes/, then one rename makes them visible
    info = write_probes(partial, build_lexicon(seed), size, seed)
    (partial / PROBE_DIR / PROBE_JSON).write_text(json.dumps(info, indent=1, sort_keys=True) + "\n",
                                                  encoding="utf-8")
    final = world_dir / PROBE_DIR
    if final.exists():
        shutil.rmtree(final)   # another version, or an interrupted write
    (partial / PROBE_DIR).rename(final)
    shutil.rmtree(partial)
    return info

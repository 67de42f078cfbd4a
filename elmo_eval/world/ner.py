"""CoNLL-2003 NER files from the news grammar.

Columns ``token POS chunk NER`` separated by single spaces (as in the original
``eng.train``), ``-DOCSTART- -X- -X- O`` + blank line before each document,
a blank line after each sentence, IOB1 tags for both chunks and entities.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from .config import SPLITS, SizeSpec, stream
from .grammar import news_document
from .lexicon import Lexicon
from .stats import oov_rate, word_identity_ner_f1
from .trees import PUNCTUATION_TAGS, FlatSentence, flatten

PHENOMENA = [
    "bare name stems typed only by context (PER/LOC/ORG)",
    "suffix-typed rare and unseen names (-son, -ville, Corp, -ian)",
    "multi-token entities (first name + surname, company + Corp)",
    "nationality adjectives and events as MISC",
    "titles and appositives outside the entity span",
    "held-out name stems in dev/test never seen in train (seen in the corpus)",
]


def iob1_entity_tags(flat: FlatSentence) -> list[str]:
    """IOB1: I-TYPE inside entities; B-TYPE only where an entity directly follows one of the same type."""
    tags = ["O"] * len(flat.tokens)
    entities = sorted((start, end, ann[1]) for ann, start, end in flat.spans if ann[0] == "ner")
    previous_end, previous_type = -1, None
    for start, end, kind in entities:
        for index in range(start, end):
            tags[index] = "I-" + kind
        if start == previous_end and kind == previous_type:
            tags[start] = "B-" + kind
        previous_end, previous_type = end, kind
    return tags


def _chunk_type(pos: str, phrase: str) -> str | None:
    if pos in PUNCTUATION_TAGS or pos == "CC":
        return None
    if phrase == "NP" or pos in ("DT", "PRP", "PRP$", "CD", "NN", "NNS", "NNP", "JJ"):
        return "NP"
    if pos.startswith("VB") or pos == "MD":
        return "VP"
    if pos in ("IN", "TO"):
        return "PP"
    if pos == "RB":
        return "VP" if phrase == "VP" else "ADVP"
    return phrase


def iob1_chunk_tags(flat: FlatSentence) -> list[str]:
    """Base-phrase chunks: NPs split where their parent phrase changes, verb groups merged."""
    tags = []
    previous_type, previous_id = None, None
    for pos, phrase, node_id in zip(flat.pos, flat.chunk_labels, flat.chunk_ids):
        kind = _chunk_type(pos, phrase)
        if kind is None:
            tags.append("O")
            previous_type = previous_id = None
            continue
        chunk_id = node_id if kind == "NP" else kind
        if kind == previous_type and chunk_id != previous_id:
            tags.append("B-" + kind)
        else:
            tags.append("I-" + kind)
        previous_type, previous_id = kind, chunk_id
    return tags


def generate_ner_split(lexicon: Lexicon, seed: int, split: str, n_sentences: int) -> list[list[FlatSentence]]:
    """Documents (lists of flattened sentences) totalling ``n_sentences``."""
    rng = stream(seed, f"ner:{split}")
    documents, total = [], 0
    while total < n_sentences:
        length = min(rng.randint(3, 8), n_sentences - total)
        documents.append([flatten(t) for t in news_document(lexicon, rng, length, split == "train")])
        total += length
    return documents


def format_documents(documents: list[list[FlatSentence]]) -> str:
    lines = []
    for document in documents:
        lines += ["-DOCSTART- -X- -X- O", ""]
        for flat in document:
            for row in zip(flat.tokens, flat.pos, iob1_chunk_tags(flat), iob1_entity_tags(flat)):
                lines.append(" ".join(row))
            lines.append("")
    return "\n".join(lines) + "\n"


def write_ner(out_dir: Path, lexicon: Lexicon, spec: SizeSpec, seed: int) -> dict:
    """Write ner/{train,dev,test}.txt; return this task's world.json entry."""
    (out_dir / "ner").mkdir(parents=True, exist_ok=True)
    tagged: dict[str, list[tuple[list[str], list[str]]]] = {}
    info: dict = {"files": {}, "phenomena": PHENOMENA}
    for split, count in zip(SPLITS, spec.ner):
        documents = generate_ner_split(lexicon, seed, split, count)
        path = out_dir / "ner" / f"{split}.txt"
        path.write_text(format_documents(documents), encoding="utf-8")
        sentences = [flat for document in documents for flat in document]
        tagged[split] = [(flat.tokens, iob1_entity_tags(flat)) for flat in sentences]
        entity_counts = Counter(tag[2:] for _, tags in tagged[split] for tag in tags if tag.startswith(("I-", "B-")))
        info["files"][f"ner/{split}.txt"] = {
            "documents": len(documents), "sentences": len(sentences),
            "tokens": sum(len(flat.tokens) for flat in sentences), "entity_tokens": dict(sorted(entity_counts.items())),
        }
    train_vocab = Counter(t for tokens, _ in tagged["train"] for t in tokens)
    info["oov"] = {split: oov_rate(train_vocab, Counter(t for tokens, _ in tagged[split] for t in tokens))
                   for split in ("dev", "test")}
    info["word_identity_baseline"] = {
        "metric": "entity F1 (seqeval default mode, IOB1)",
        "dev": word_identity_ner_f1(tagged["train"], tagged["dev"]),
        "test": word_identity_ner_f1(tagged["train"], tagged["test"]),
    }
    return info

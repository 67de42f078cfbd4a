"""SQuAD 1.1 JSON files (``squad/{train,dev,test}-v1.1.json``) from news documents.

A paragraph is a news document; questions turn one predicate of one sentence
into a wh-question about one of its arguments (``Who praised Kessel Corp?``,
``Who did Anna Kesselson meet?``, ``To whom did X give the deal?``,
``Where did X stay?``).  Passages name several entities of the same type, so
the answer is found by matching the predicate and its other arguments, not the
type.  Dev/test questions have three answers, sometimes differing as in the
original dev set (with/without an article or title, surname only).
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from . import lexicon as lx
from .config import SPLITS, SizeSpec, stream
from .conll2012 import predicates
from .grammar import news_document
from .lexicon import Lexicon
from .stats import oov_rate
from .trees import FlatSentence, detokenize, flatten

PHENOMENA = [
    "several same-type entities per passage; the predicate and its other arguments pick the answer",
    "passive sentences answered from the by-phrase; dative recipients",
    "answers that are unseen names (held-out stems) in dev/test",
    "three answers per dev/test question, some with/without article or title",
]
MAX_QUESTIONS_PER_PARAGRAPH = 5


def _entity_kind(flat: FlatSentence, start: int, end: int) -> str | None:
    kinds = [ann[1] for ann, s, e in flat.spans if ann[0] == "ner" and start <= s and e <= end]
    return kinds[0] if kinds else None


def _strip_preposition(flat: FlatSentence, start: int, end: int) -> int:
    return start + 1 if flat.pos[start] in ("IN", "TO") and end - start > 1 else start


def _phrase(flat: FlatSentence, start: int, end: int) -> str:
    words = flat.tokens[start:end]
    if start == 0 and flat.pos[0] in ("DT", "NN", "NNS", "PRP"):
        words = [words[0].lower()] + words[1:]
    return " ".join(words)


def _question(flat: FlatSentence, lemma: str, args: dict, target: str) -> str | None:
    """A wh-question for argument ``target`` of a predicate with arguments ``args`` (label -> span)."""
    if "ARGM-NEG" in args or lemma == "say":
        return None
    start, end = args[target]
    answer_start = _strip_preposition(flat, start, end)
    kind = _entity_kind(flat, answer_start, end)
    # pronouns and "the company" need coreference to be understood as a question: leave those out
    core = [(s, e) for label, (s, e) in args.items() if label in ("ARG0", "ARG1", "ARG2")]
    if any(flat.pos[s] == "PRP" or "company" in flat.tokens[s:e] for s, e in core):
        return None
    forms = lx.verb_forms(lemma)
    who = {"PER": "Who", "ORG": "Which company", "LOC": "Which place", "MISC": "What"}.get(kind or "", "What")

    def text(label: str) -> str:
        s, e = args[label]
        return _phrase(flat, _strip_preposition(flat, s, e) if label in ("ARG0", "ARG2") else s, e)

    if target == "ARG0" and "ARG1" in args:
        return f"{who} {forms['past']} {text('ARG1')}?"
    if target == "ARG1" and "ARG0" in args:
        return f"{who} did {text('ARG0')} {forms['base']}?"
    if target == "ARG2" and "ARG0" in args and "ARG1" in args and kind:
        whom = "whom" if kind == "PER" else "which company" if kind == "ORG" else "what"
        return f"To {whom} did {text('ARG0')} {forms['base']} {text('ARG1')}?"
    if target == "ARGM-LOC":
        actor = "ARG0" if "ARG0" in args else "ARG1"
        if actor in args and (actor == "ARG1" or "ARG1" in args):
            rest = f" {text('ARG1')}" if actor == "ARG0" else ""
            return f"Where did {text(actor)} {forms['base']}{rest}?"
    return None


def _answer_variants(flat: FlatSentence, start: int, end: int) -> list[tuple[int, int]]:
    """Other spans an annotator might have marked: without article/title, or surname only."""
    variants = []
    if end - start > 1 and flat.pos[start] in ("DT", "NN"):
        variants.append((start + 1, end))
    if end - start == 2 and _entity_kind(flat, start, end) == "PER":
        variants.append((end - 1, end))
    return variants


def generate_squad_split(lexicon: Lexicon, seed: int, split: str, n_paragraphs: int) -> list[dict]:
    rng = stream(seed, f"squad:{split}")
    articles: dict[str, list] = {}
    split_index = SPLITS.index(split)
    counter = 0
    for _ in range(n_paragraphs):
        sentences = [flatten(t) for t in news_document(lexicon, rng, rng.randint(3, 6), split == "train")]
        pieces, sentence_offsets, position = [], [], 0
        for flat in sentences:
            text, offsets = detokenize(flat.tokens)
            sentence_offsets.append([position + o for o in offsets])
            pieces.append(text)
            position += len(text) + 1
        context = " ".join(pieces)
        candidates = []
        for sentence_index, flat in enumerate(sentences):
            for _, lemma, arg_spans in predicates(flat):
                args = {label: (s, e) for s, e, label in arg_spans if label != "V"}
                for target in sorted(args):
                    question = _question(flat, lemma, args, target)
                    if question:
                        candidates.append((sentence_index, question, args[target]))
        # a question asked twice in one passage (two answers) is ambiguous: drop every copy
        asked = Counter(question for _, question, _ in candidates)
        candidates = [c for c in candidates if asked[c[1]] == 1]
        rng.shuffle(candidates)
        qas = []
        for sentence_index, question, (start, end) in candidates[:MAX_QUESTIONS_PER_PARAGRAPH]:
            flat = sentences[sentence_index]
            start = _strip_preposition(flat, start, end)
            spans = [(start, end)]
            if split != "train":
                variants = _answer_variants(flat, start, end)
                second = rng.choice(variants) if variants and rng.random() < 0.4 else (start, end)
                spans = [(start, end), second, (start, end)]
            answers = []
            for s, e in spans:
                begin = sentence_offsets[sentence_index][s]
                finish = sentence_offsets[sentence_index][e - 1] + len(flat.tokens[e - 1])
                answers.append({"answer_start": begin, "text": context[begin:finish]})
            counter += 1
            qas.append({"answers": answers, "question": question,
                        "id": f"{seed % 65536:04x}{split_index:04x}{counter:016x}"})
        if not qas:
            continue
        names = [flat.tokens[s] for flat in sentences for ann, s, _ in flat.spans if ann[0] == "ner"]
        title = (names[0] if names else "World") + "_news"
        articles.setdefault(title, []).append({"context": context, "qas": qas})
    return [{"title": title, "paragraphs": paragraphs} for title, paragraphs in articles.items()]


def write_squad(out_dir: Path, lexicon: Lexicon, spec: SizeSpec, seed: int) -> dict:
    (out_dir / "squad").mkdir(parents=True, exist_ok=True)
    info: dict = {"files": {}, "phenomena": PHENOMENA}
    vocab: dict[str, Counter] = {}
    for split, count in zip(SPLITS, spec.squad):
        data = generate_squad_split(lexicon, seed, split, count)
        name = f"squad/{split}-v1.1.json"
        (out_dir / name).write_text(json.dumps({"data": data, "version": "1.1"}), encoding="utf-8")
        paragraphs = [p for article in data for p in article["paragraphs"]]
        vocab[split] = Counter(w for p in paragraphs for w in p["context"].split())
        info["files"][name] = {"articles": len(data), "paragraphs": len(paragraphs),
                               "questions": sum(len(p["qas"]) for p in paragraphs)}
    info["oov"] = {s: oov_rate(vocab["train"], vocab[s]) for s in ("dev", "test")}
    return info

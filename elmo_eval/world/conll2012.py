"""CoNLL-2012 (OntoNotes 5.0) ``*.gold_conll`` files carrying both SRL and coreference.

Layout: ``conll2012/{train,development,test}/world_NNN.gold_conll``, each file
holding several ``#begin document (nw/world/NN/world_NNNN); part 000`` ...
``#end document`` blocks.  Columns per token: document id, part number, word
index, word, POS, parse bit, predicate lemma, frameset id, word sense,
speaker, named entities, one argument column per predicate of the sentence,
coreference.  As in OntoNotes, the number of argument columns varies per
sentence, and only entities mentioned at least twice get a coreference chain.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from .config import SizeSpec, stream
from .grammar import news_document
from .lexicon import Lexicon
from .stats import oov_rate, word_identity_srl_f1
from .trees import FlatSentence, flatten

SPLIT_DIRS = {"train": "train", "dev": "development", "test": "test"}
ONTONOTES_TYPES = {"PER": "PERSON", "LOC": "GPE", "ORG": "ORG"}
PHENOMENA = [
    "active vs passive (ARG0 in a by-phrase) vs negated (ARGM-NEG) transitive clauses",
    "dative alternation: recipient ARG2 as NP or to-PP, theme ARG1",
    "verb-specific subject roles (stay/rise: subject is ARG1)",
    "rare intransitive verbs: the subject is ARG0 (agentive) or ARG1 (undergoer) by the verb's corpus-only class",
    "verb classes end in class endings; the held-out verbs never occur in the corpus (no word vector): only the "
    "ending tells their class",
    "clausal ARG1 of 'said', fronted or following",
    "ARGM-LOC / ARGM-TMP modifiers",
    "pronouns resolved by gender, number and previous-subject preference; 'the company'/'it' for organisations",
    "namesakes: a person, a place and a company of one document may share a bare stem (two chains, one string); "
    "only the context of each mention tells which entity it is",
    "appositives (', the mayor of X ,') inside the subject argument",
]


def _bracket_column(length: int, spans: list[tuple[int, int, str]]) -> list[str]:
    """``(LABEL*`` ... ``*)`` / ``(LABEL*)`` bracket notation for non-crossing spans."""
    column = ["*"] * length
    for start, end, label in sorted(spans, key=lambda s: (s[0], -s[1])):
        column[start] = column[start].replace("*", f"({label}*", 1) if column[start] != "*" else f"({label}*"
        column[end - 1] = column[end - 1] + ")"
    return column


def _ner_spans(flat: FlatSentence) -> list[tuple[int, int, str]]:
    spans = []
    for ann, start, end in flat.spans:
        if ann[0] == "ner":
            kind = ONTONOTES_TYPES.get(ann[1]) or ("NORP" if flat.pos[start] == "JJ" else "EVENT")
            spans.append((start, end, kind))
    return spans


def predicates(flat: FlatSentence) -> list[tuple[int, str, list[tuple[int, int, str]]]]:
    """(verb index, lemma, argument spans incl. V) per predicate, in sentence order."""
    verbs = {ann[1]: (start, ann[2]) for ann, start, _ in flat.spans if ann[0] == "V"}
    result = []
    for pred, (index, lemma) in sorted(verbs.items(), key=lambda item: item[1][0]):
        args = [(start, end, ann[2]) for ann, start, end in flat.spans if ann[0] == "arg" and ann[1] == pred]
        result.append((index, lemma, args + [(index, index + 1, "V")]))
    return result


def _coref_column(length: int, mentions: list[tuple[int, int, int]]) -> list[str]:
    opening: list[list[str]] = [[] for _ in range(length)]
    single: list[list[str]] = [[] for _ in range(length)]
    closing: list[list[str]] = [[] for _ in range(length)]
    for start, end, cluster in sorted(mentions, key=lambda m: (m[0], -m[1])):
        if end - start == 1:
            single[start].append(f"({cluster})")
        else:
            opening[start].append(f"({cluster}")
            closing[end - 1].insert(0, f"{cluster})")
    return ["|".join(o + s + c) or "-" for o, s, c in zip(opening, single, closing)]


def format_document(doc_id: str, sentences: list[FlatSentence]) -> str:
    """One ``#begin document`` ... ``#end document`` block (singleton clusters dropped)."""
    cluster_sizes = Counter(ann[1] for flat in sentences for ann, _, _ in flat.spans if ann[0] == "coref")
    # renumber chains in order of first mention so ids are small and stable
    renumber: dict[int, int] = {}
    lines = [f"#begin document ({doc_id}); part 000"]
    for flat in sentences:
        n = len(flat.tokens)
        preds = predicates(flat)
        lemma_col, frame_col = ["-"] * n, ["-"] * n
        for index, lemma, _ in preds:
            lemma_col[index], frame_col[index] = lemma, "01"
        arg_cols = [_bracket_column(n, args) for _, _, args in preds]
        mentions = []
        for ann, start, end in flat.spans:
            if ann[0] == "coref" and cluster_sizes[ann[1]] > 1:
                mentions.append((start, end, renumber.setdefault(ann[1], len(renumber))))
        coref_col = _coref_column(n, mentions)
        ner_col = _bracket_column(n, _ner_spans(flat))
        for i in range(n):
            row = [doc_id, "0", str(i), flat.tokens[i], flat.pos[i], flat.parse_bits[i], lemma_col[i], frame_col[i],
                   "-", "-", ner_col[i], *(col[i] for col in arg_cols), coref_col[i]]
            lines.append("   ".join(row))
        lines.append("")
    lines.append("#end document")
    return "\n".join(lines) + "\n"


def srl_instances(flat: FlatSentence) -> list[tuple[list[str], int, list[str]]]:
    """(tokens, predicate index, BIO tags) per predicate, as SRL models consume them."""
    instances = []
    for index, _, args in predicates(flat):
        tags = ["O"] * len(flat.tokens)
        for start, end, label in args:
            tags[start] = "B-" + label
            for j in range(start + 1, end):
                tags[j] = "I-" + label
        instances.append((flat.tokens, index, tags))
    return instances


def write_conll2012(out_dir: Path, lexicon: Lexicon, spec: SizeSpec, seed: int) -> dict:
    """Write conll2012/{train,development,test}/*.gold_conll; return this task's world.json entry."""
    info: dict = {"files": {}, "phenomena": PHENOMENA}
    instances: dict[str, list] = {}
    vocab: dict[str, Counter] = {}
    for split, n_documents in zip(("train", "dev", "test"), spec.conll2012):
        rng = stream(seed, f"conll2012:{split}")
        directory = out_dir / "conll2012" / SPLIT_DIRS[split]
        directory.mkdir(parents=True, exist_ok=True)
        instances[split], vocab[split] = [], Counter()
        n_files = (n_documents + spec.conll2012_docs_per_file - 1) // spec.conll2012_docs_per_file
        stats = Counter()
        for file_index in range(n_files):
            blocks = []
            first = file_index * spec.conll2012_docs_per_file
            for doc_index in range(first, min(n_documents, first + spec.conll2012_docs_per_file)):
                sentences = [flatten(t) for t in news_document(lexicon, rng, rng.randint(4, 9), split == "train")]
                doc_id = f"nw/world/{file_index:02d}/world_{doc_index:04d}"
                blocks.append(format_document(doc_id, sentences))
                for flat in sentences:
                    instances[split] += srl_instances(flat)
                    vocab[split].update(flat.tokens)
                stats["documents"] += 1
                stats["sentences"] += len(sentences)
                stats["tokens"] += sum(len(f.tokens) for f in sentences)
            name = f"world_{file_index:03d}.gold_conll"
            (directory / name).write_text("".join(blocks), encoding="utf-8")
        stats["predicates"] = len(instances[split])
        info["files"][f"conll2012/{SPLIT_DIRS[split]}"] = {"files": n_files, **dict(sorted(stats.items()))}
    info["oov"] = {split: oov_rate(vocab["train"], vocab[split]) for split in ("dev", "test")}
    info["word_identity_baseline"] = {
        "metric": "SRL argument span F1 (V given, excluded)",
        "dev": word_identity_srl_f1(instances["train"], instances["dev"]),
        "test": word_identity_srl_f1(instances["train"], instances["test"]),
    }
    return info
